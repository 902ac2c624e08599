/** The convert option table: every option written once; the library type, the CLI flags, help and mapping derive from it. */
import type { ImageOptions } from '../../image/index.js';
import type { Compression } from '../../record/index.js';
import { parseColumnSpec, type ColumnType, type ManifestFormat } from '../../inputs/manifest.js';
import type { SplitFraction } from '../../dataset/plan.js';
import type { SchemaName } from '../../dataset/schema.js';
import { parseWorker } from '../../scale/slices.js';
import type { AnnotationFormat } from '../../annotations/index.js';
import type { AnnotationFrame } from '../../annotations/index.js';
import { JPEG_CHROMA_SUBSAMPLING } from '../../image/index.js';

/** Which part of a run an option steers (for docs and grouping; `image` options go to the image stage). */
export type OptionGroup = 'input' | 'output' | 'dataset' | 'image' | 'caffe' | 'scale' | 'annotations' | 'tfds' | 'run' | 'report';

/** How the CLI turns a flag's text into a value; the CLI builds the parser, so this layer needs no commander. */
export type FlagParser =
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'number'; readonly min: number; readonly max: number }
  | { readonly kind: 'dimensions' }
  | { readonly kind: 'rgb' }
  | { readonly kind: 'to-number' };

/** One row of the table. `value` only carries the library type (it is never read at run time). */
export interface OptionSpec {
  /** Commander flag syntax, e.g. '--shard-size <size>'; null for a library option without a flag of its own. */
  readonly flag: string | null;
  /** --help text (null: no flag). */
  readonly help: string | null;
  readonly group: OptionGroup;
  /** false: a CLI-only flag (no library option of this name). */
  readonly library: boolean;
  readonly choices?: readonly string[];
  readonly parse?: FlagParser;
  /** The flag may be given several times; its values are collected into a list. */
  readonly repeatable?: boolean;
  /** The default commander shows in --help (the library's own default is applied by resolveConvertOptions). */
  readonly shownDefault?: string;
  readonly required?: boolean;
  /** How errors name a library option that has no flag of its own (the input argument, stdin). */
  readonly cliName?: string;
  /** Turns the flag's parsed value into the library value; `flags` are all parsed flags. */
  readonly toLibrary?: (value: unknown, flags: Readonly<Record<string, unknown>>) => unknown;
  /** The library's default (documentation; the resolver uses the same constant). */
  readonly default?: unknown;
  readonly value?: unknown;
}

/** Marks a row's library value type (a phantom: always undefined at run time). */
function declareType<T>(): T | undefined {
  return undefined;
}

/** A row of an image-stage option: its type is ImageOptions' own. */
function image<K extends keyof ImageOptions>(flag: string, help: string, extra: Pick<OptionSpec, 'choices' | 'parse'> = {}) {
  return { ...extra, flag, help, group: 'image' as const, library: true as const, value: declareType<ImageOptions[K]>() };
}

/**
 * Every convert option, in --help order. The key is the library option name (a CLI-only flag has
 * `library: false`). Adding an option is adding a row here: the `ConvertOptions` type, the commander
 * flag, its help line and the CLI -> library mapping follow; resolveConvertOptions validates it.
 *
 * @example
 * CONVERT_OPTION_TABLE.shardSize.flag; // '--shard-size <size>'
 */
export const CONVERT_OPTION_TABLE = {
  /** Folder of images (each top-level folder a class, or TFDS's split/class tree). */
  input: { flag: null, help: null, group: 'input', library: true, cliName: '<input>', value: declareType<string>() },
  /** Explicit paths (as `convert -` reads them from stdin), relative to the working folder. */
  inputList: { flag: null, help: null, group: 'input', library: true, cliName: '-', value: declareType<readonly string[]>() },
  /** Output folder, or '-' for one unsharded stream on stdout. */
  output: { flag: '-o, --output <dir>', help: 'output folder, or - for one unsharded stream on stdout', group: 'output', library: true, required: true, value: declareType<string>() },
  /** Shard file name prefix (default 'train'). */
  prefix: { flag: '--prefix <name>', help: 'shard file name prefix', group: 'output', library: true, shownDefault: 'train', default: 'train', value: declareType<string>() },
  /** Exactly this many shards. */
  shards: { flag: '--shards <n>', help: 'write exactly N shards (records placed by input position)', group: 'output', library: true, parse: { kind: 'integer', min: 1, max: 100000 }, value: declareType<number>() },
  /** Start a new shard when one reaches this many bytes, e.g. 256 * 2 ** 20 or '256MB' (the default). */
  shardSize: { flag: '--shard-size <size>', help: 'start a new shard at this size, e.g. 256MB (default), 1GB; planned from the input file sizes on disk (plus a per-record allowance) before any image is read, so every --worker plans the same shards; close for pass-through, off by the compression ratio when images are transformed', group: 'output', library: true, value: declareType<number | string>() },
  /** Start a new shard every N records. */
  recordsPerShard: { flag: '--records-per-shard <n>', help: 'start a new shard every N records', group: 'output', library: true, parse: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER }, value: declareType<number>() },
  /** Compress each shard as one stream (default 'none'). */
  compression: { flag: '--compression <type>', help: 'compress each shard as one stream', group: 'output', library: true, choices: ['none', 'gzip', 'zlib'], default: 'none', value: declareType<Compression>() },
  /** Glob patterns (relative to input) that files must match; default all. */
  include: { flag: '--include <glob>', help: 'only files matching this glob, relative to the input root: **/thumbs/** for thumbs/ at any depth (repeatable)', group: 'input', library: true, repeatable: true, value: declareType<readonly string[]>() },
  /** Glob patterns (relative to input) to leave out. */
  exclude: { flag: '--exclude <glob>', help: 'leave out files matching this glob, relative to the input root, e.g. \'**/thumbs/**\' (repeatable)', group: 'input', library: true, repeatable: true, value: declareType<readonly string[]>() },
  /** Follow symbolic links (default: listed as ignored). */
  followSymlinks: { flag: '--follow-symlinks', help: 'follow symbolic links (default: listed as ignored)', group: 'input', library: true, value: declareType<boolean>() },
  /** A manifest (CSV, TSV, JSON Lines, Caffe list) instead of a folder. */
  manifest: { flag: '--manifest <file>', help: 'CSV, TSV or JSON Lines with a path column (optional label, split, extra columns) instead of a folder', group: 'input', library: true, value: declareType<string>() },
  /** The manifest's format (default: from its extension). */
  manifestFormat: { flag: '--manifest-format <format>', help: 'manifest format (default: from the extension); caffe = "path label" lines; list = one path per line', group: 'input', library: true, choices: ['csv', 'tsv', 'jsonl', 'caffe', 'list'], value: declareType<ManifestFormat>() },
  /** Fixed column types, e.g. { age: 'int64' } (default: inferred over the whole manifest). */
  columns: {
    flag: '--column <name:type>', help: 'fix a manifest column\'s type: int64, float or bytes (repeatable; default inferred)', group: 'input', library: true, repeatable: true,
    toLibrary: (specs: unknown) => Object.fromEntries((specs as string[]).map(parseColumnSpec)),
    value: declareType<Readonly<Record<string, ColumnType>>>(),
  },
  /** Manifest columns naming a second image per row (segmentation masks). */
  imageColumns: { flag: '--image-column <name>', help: 'manifest column naming a second image (e.g. a mask), stored as its own bytes feature (repeatable)', group: 'input', library: true, repeatable: true, value: declareType<readonly string[]>() },
  /** Split fractions, e.g. 'train=0.8,validation=0.1,test=0.1'; each split gets its own shard set. */
  split: { flag: '--split <spec>', help: 'split by keyed hash, stratified per class, e.g. train=0.8,validation=0.1,test=0.1', group: 'dataset', library: true, value: declareType<string | readonly SplitFraction[]>() },
  /** With `split` on a pre-split tree (train/, val/ folders): pool the folders and re-split them (default: refused). */
  resplit: { flag: '--resplit', help: 'with --split on a pre-split tree (train/, val/ folders): pool the folders and split again (without it the combination is refused)', group: 'dataset', library: true, value: declareType<boolean>() },
  /** Seed of the split hash and the shuffle (default 0). */
  seed: { flag: '--seed <n>', help: 'seed of the split hash and the shuffle (default 0)', group: 'dataset', library: true, parse: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER }, default: 0, value: declareType<number>() },
  /** Shuffle records within each split with a seeded permutation (default: sorted order). */
  shuffle: { flag: '--shuffle', help: 'shuffle records within each split (seeded; default: sorted order)', group: 'dataset', library: true, value: declareType<boolean>() },
  /** Feature keys: 'inception' (default), 'mnist' (implies encode raw) or 'tfds'. */
  schema: { flag: '--schema <name>', help: 'feature keys: inception (default), mnist (height, width, depth, label, image_raw; implies --encode raw), tfds (image, label, image/filename)', group: 'dataset', library: true, choices: ['inception', 'mnist', 'tfds'], default: 'inception', value: declareType<SchemaName>() },
  /** Key renames 'from=to', applied after the schema. */
  keys: { flag: '--key <from=to>', help: 'rename a feature key (repeatable)', group: 'dataset', library: true, repeatable: true, value: declareType<readonly string[]>() },
  /** Also write image/key/sha256 (hex SHA-256 of the stored bytes) in classification records; annotation runs always do. */
  sha256: { flag: '--sha256', help: 'also write image/key/sha256, the hex SHA-256 of the stored bytes (object-detection runs always do, as the OD API does; off otherwise: hashing costs 15-20 % of a pass-through)', group: 'dataset', library: true, value: declareType<boolean>() },
  /** Keys to leave out. */
  dropKeys: { flag: '--drop-key <key>', help: 'leave a feature key out (repeatable)', group: 'dataset', library: true, repeatable: true, value: declareType<readonly string[]>() },
  /** File with one class name per line, fixing the label order. */
  labels: { flag: '--labels <file>', help: 'class names fixing the label order: one per line, id:name lines, or a label_map.pbtxt', group: 'dataset', library: true, value: declareType<string>() },
  /** Also write the Object Detection API's label_map.pbtxt ('pbtxt'); labels.txt is always written. */
  labelMap: { flag: '--label-map <format>', help: 'pbtxt: also write the Object Detection API\'s label_map.pbtxt', group: 'dataset', library: true, choices: ['txt', 'pbtxt'], default: 'txt', value: declareType<'txt' | 'pbtxt'>() },
  /** Added to every label id (1 for the Inception convention, 0 = background). */
  labelOffset: { flag: '--label-offset <n>', help: 'added to every label id (1 = Inception convention, 0 = background)', group: 'dataset', library: true, parse: { kind: 'integer', min: -(2 ** 31), max: Number.MAX_SAFE_INTEGER }, default: 0, value: declareType<number>() },
  encode: image<'encode'>('--encode <mode>', 'keep = store the file bytes (transcode only what TensorFlow cannot decode)', { choices: ['keep', 'jpeg', 'png', 'raw'] }),
  quality: image<'quality'>('--quality <n>', 'JPEG quality 1..100 (default 95; baseline, not progressive)', { parse: { kind: 'integer', min: 1, max: 100 } }),
  chromaSubsampling: image<'chromaSubsampling'>('--chroma-subsampling <mode>', `JPEG chroma subsampling (default ${JPEG_CHROMA_SUBSAMPLING}; 4:2:0 is smaller, as TensorFlow's encode_jpeg)`, { choices: ['4:4:4', '4:2:0'] }),
  pngCompression: image<'pngCompression'>('--png-compression <n>', 'PNG zlib level 0..9 (default 6)', { parse: { kind: 'integer', min: 0, max: 9 } }),
  dtype: image<'dtype'>('--dtype <type>', 'raw pixel type (float32 is little-endian)', { choices: ['uint8', 'float32'] }),
  scale: image<'scale'>('--scale <max>', 'float32 value range: 255 (0..255) or 1 (0..1)', { choices: ['255', '1'], parse: { kind: 'to-number' } }),
  layout: image<'layout'>('--layout <order>', 'raw tensor layout (Caffe is chw)', { choices: ['hwc', 'chw'] }),
  channelOrder: image<'channelOrder'>('--channel-order <order>', 'raw channel order (Caffe/OpenCV is bgr)', { choices: ['rgb', 'bgr'] }),
  autoOrient: image<'autoOrient'>('--no-auto-orient', 'keep the stored orientation instead of applying EXIF orientation'),
  depth: image<'depth'>('--depth <bits>', 'keep 16-bit samples (png and raw only)', { choices: ['8', '16'], parse: { kind: 'to-number' } }),
  density: image<'density'>('--density <dpi>', 'SVG rasterisation density (default 72)', { parse: { kind: 'number', min: 1, max: 100000 } }),
  resize: image<'resize'>('--resize <WxH>', 'resize to W x H (--fit cover by default: fill, keep the aspect ratio, crop the overflow)', { parse: { kind: 'dimensions' } }),
  fit: image<'fit'>('--fit <mode>', 'how --resize fits (sharp meanings; default cover; contain pads with --background)', { choices: ['cover', 'contain', 'fill', 'inside', 'outside'] }),
  resizeShorter: image<'resizeShorter'>('--resize-shorter <n>', 'resize so the shorter side is N, keeping the aspect ratio', { parse: { kind: 'integer', min: 1, max: 65535 } }),
  centerCrop: image<'centerCrop'>('--center-crop <WxH>', 'crop the centre W x H after resizing', { parse: { kind: 'dimensions' } }),
  kernel: image<'kernel'>('--kernel <name>', 'resampling kernel (default lanczos3)', { choices: ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'] }),
  enlarge: image<'enlarge'>('--no-enlarge', 'never enlarge images smaller than the target size'),
  channels: image<'channels'>('--channels <n>', '1 greyscale (Rec. 601 luma), 3 flatten alpha onto --background, 4 add opaque alpha', { choices: ['1', '3', '4'], parse: { kind: 'to-number' } }),
  background: image<'background'>('--background <colour>', 'padding/flatten colour, #rrggbb or r,g,b (default black)', { parse: { kind: 'rgb' } }),
  maxPixels: image<'maxPixels'>('--max-pixels <n>', 'reject images with more pixels (default 268402689, sharp\'s)', { parse: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER } }),
  /** Seconds one input may take (read, decode, encode); over it the file is reported `too-slow`. 0 = no limit; default 60. */
  fileTimeout: { flag: '--file-timeout <seconds>', help: 'report an input that takes longer as too-slow and go on (default 60; 0 = no limit)', group: 'run', library: true, parse: { kind: 'number', min: 0, max: 3600 }, default: 60, value: declareType<number>() },
  icc: image<'icc'>('--icc <mode>', 'embedded ICC profiles of RGB/grey images: keep = keep pixel values as TensorFlow decodes them and embed the profile (default); srgb = convert pixels to sRGB (CMYK is always converted)', { choices: ['keep', 'srgb'] }),
  validate: image<'validate'>('--validate <level>', 'structure = check headers, chunk CRCs and end markers (fast); decode = also decode every pixel', { choices: ['structure', 'decode'] }),
  /** 'tfrecord' (default) or 'caffe-lmdb': Caffe Datum records in one LMDB database per split. */
  target: { flag: '--target <format>', help: 'tfrecord (default), or caffe-lmdb: Caffe Datum records in <out>/<split>_lmdb (raw uint8 CHW BGR by default)', group: 'caffe', library: true, choices: ['tfrecord', 'caffe-lmdb'], default: 'tfrecord', value: declareType<'tfrecord' | 'caffe-lmdb'>() },
  /** caffe-lmdb: records per LMDB transaction (default 1000). */
  commitEvery: { flag: '--commit-every <n>', help: 'caffe-lmdb: records per LMDB transaction (default 1000)', group: 'caffe', library: true, parse: { kind: 'integer', min: 1, max: 10_000_000 }, default: 1000, value: declareType<number>() },
  /** caffe-lmdb: datum bytes per LMDB transaction, e.g. '64MB' (default 64 MiB); bounds memory. */
  commitBytes: { flag: '--commit-bytes <size>', help: 'caffe-lmdb: also commit once a transaction holds this many datum bytes (default 64MB); bounds memory', group: 'caffe', library: true, value: declareType<number | string>() },
  /** caffe-lmdb: also set channels, height and width on encoded datums. */
  datumDims: { flag: '--datum-dims', help: 'caffe-lmdb: also set channels, height and width on encoded datums', group: 'caffe', library: true, value: declareType<boolean>() },
  /** caffe-lmdb: where multi-valued or float labels go; 'float_data' or an error (default 'label'). */
  labelTo: { flag: '--label-to <field>', help: 'caffe-lmdb: float_data stores multi-valued or float labels in Datum.float_data', group: 'caffe', library: true, choices: ['label', 'float_data'], default: 'label', value: declareType<'label' | 'float_data'>() },
  /** caffe-lmdb: also write the mean image (BlobProto) to this path. */
  mean: { flag: '--mean <file>', help: 'caffe-lmdb: also write the mean image (BlobProto, as compute_image_mean) of the train split; all images must share one size', group: 'caffe', library: true, value: declareType<string>() },
  /** Write a DALI index `<shard>.idx` next to each shard (uncompressed shards only). */
  index: { flag: '--index', help: 'also write a DALI index <shard>.idx next to each (uncompressed) shard', group: 'output', library: true, value: declareType<boolean>() },
  /** This process is worker `index` of `count` (0-based): it writes the shards whose global number mod count is index. */
  worker: {
    flag: '--worker <I/N|auto>', help: 'write only this worker\'s shards (global shard k goes to worker k mod N); auto reads JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or AWS_BATCH_JOB_ARRAY_INDEX. The shard plan never depends on decoded images: --shard-size plans from file sizes on disk', group: 'scale', library: true,
    toLibrary: (spec: unknown, flags: Readonly<Record<string, unknown>>) => parseWorker(spec as string, (flags.workers as number | undefined) ?? null),
    value: declareType<{ readonly index: number; readonly count: number }>(),
  },
  workers: { flag: '--workers <n>', help: 'worker count for --worker auto when the environment gives only the index', group: 'scale', library: false, parse: { kind: 'integer', min: 1, max: 100000 } },
  /** Keep complete shards left by an earlier run (killed or partial) when they match the plan; rewrite the rest. */
  resume: { flag: '--resume', help: 'keep complete shards from an earlier (killed) run that match the plan and verify; rewrite the rest', group: 'scale', library: true, value: declareType<boolean>() },
  /** Replace existing output files. */
  overwrite: { flag: '--overwrite', help: 'replace existing output files', group: 'output', library: true, value: declareType<boolean>() },
  /** Stop at the first bad input and leave no output. */
  strict: { flag: '--strict', help: 'stop at the first bad input and leave no output', group: 'run', library: true, value: declareType<boolean>() },
  /** Files read and processed at once is jobs x 3; default: the number of cores. */
  jobs: { flag: '--jobs <n>', help: 'parallelism (default: number of cores)', group: 'run', library: true, parse: { kind: 'integer', min: 1, max: 1024 }, value: declareType<number>() },
  /** Object-detection box annotations: a Pascal VOC folder, a COCO JSON, a YOLO labels folder or a CSV. */
  annotations: { flag: '--annotations <file|dir>', help: 'object-detection boxes: a Pascal VOC folder, a COCO JSON, a YOLO labels folder or a CSV (one row per box)', group: 'annotations', library: true, value: declareType<string>() },
  /** The annotations' format (default 'auto': from the files). */
  annotationsFormat: { flag: '--annotations-format <format>', help: 'annotation format (default auto: .xml folder = voc, JSON = coco, .txt folder = yolo, .csv = csv)', group: 'annotations', library: true, choices: ['auto', 'voc', 'coco', 'yolo', 'csv'], default: 'auto', value: declareType<'auto' | AnnotationFormat>() },
  /** Convert only the images that have an annotation (default: unannotated images become negative examples). */
  annotatedOnly: { flag: '--annotated-only', help: 'convert only annotated images (default: the others become records without boxes)', group: 'annotations', library: true, value: declareType<boolean>() },
  /** Drop a box clipped by a crop to less than this fraction of its area (0..1; default 0: keep any positive area). */
  minBoxVisible: { flag: '--min-box-visible <fraction>', help: 'drop a box cropped to less than this fraction of its area (0..1; default 0: keep any positive area)', group: 'annotations', library: true, parse: { kind: 'number', min: 0, max: 1 }, default: 0, value: declareType<number>() },
  /** Which pixels the annotation tool drew on for EXIF-rotated images (default 'auto': per format, or the declared size). */
  annotationFrame: { flag: '--annotation-frame <frame>', help: 'for EXIF-rotated images, which pixels the boxes were drawn on: stored or displayed (default auto: from the declared size, else the format\'s tool)', group: 'annotations', library: true, choices: ['auto', 'stored', 'displayed'], default: 'auto', value: declareType<'auto' | AnnotationFrame>() },
  /** Write TFDS's external-tfrecord layout under this dataset name (implies schema 'tfds'). */
  tfdsName: { flag: '--tfds-name <NAME>', help: 'write a folder tfds.builder_from_directory loads: NAME-SPLIT.tfrecord-00000-of-0000N shards, dataset_info.json, features.json (implies --schema tfds)', group: 'tfds', library: true, value: declareType<string>() },
  json: { flag: '--json', help: 'print the summary as one JSON object on stdout', group: 'report', library: false },
  quiet: { flag: '-q, --quiet', help: 'no progress and no human summary', group: 'report', library: false },
  progressInterval: { flag: '--progress-interval <seconds>', help: 'seconds between progress lines when stderr is not a terminal (default 30)', group: 'report', library: false, parse: { kind: 'integer', min: 1, max: 86400 } },
  okIfSkipped: { flag: '--ok-if-skipped', help: 'exit 0 instead of 3 when the only problem is skipped inputs (they are still listed)', group: 'report', library: false },
} as const satisfies Readonly<Record<string, OptionSpec>>;

type Table = typeof CONVERT_OPTION_TABLE;

/** Names of the library options (rows that are not CLI-only). */
export type ConvertOptionKey = { [K in keyof Table]: Table[K] extends { readonly library: false } ? never : K }[keyof Table];

/** Library options steering the image stage (they are ImageOptions). */
export type ImageOptionKey = { [K in keyof Table]: Table[K] extends { readonly group: 'image' } ? K : never }[keyof Table];

/** The library type of a row. */
type ValueOf<K extends ConvertOptionKey> = Exclude<Table[K] extends { readonly value: infer V } ? V : never, undefined>;

/** Options of {@link convert}, derived from {@link CONVERT_OPTION_TABLE}. Only `output` and one of `input`, `manifest`, `inputList` are required. */
export type ConvertOptions = { readonly [K in Exclude<ConvertOptionKey, 'output'>]?: ValueOf<K> } & { readonly output: ValueOf<'output'> };

/** The library option names, at run time. */
export const CONVERT_OPTION_KEYS: readonly ConvertOptionKey[] = Object.entries(CONVERT_OPTION_TABLE)
  .filter(([, spec]) => spec.library).map(([key]) => key as ConvertOptionKey);

/** The library options that belong to the image stage, at run time. */
export const IMAGE_OPTION_KEYS: ReadonlySet<string> = new Set(Object.entries(CONVERT_OPTION_TABLE)
  .filter(([, spec]) => spec.group === 'image').map(([key]) => key));

// Compile-time: the image rows are exactly ImageOptions, with its types (both ways).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const imageKeysAgree: Same<ImageOptionKey, keyof ImageOptions> = true;
const imageTypesAgree: Same<{ readonly [K in ImageOptionKey]?: ValueOf<K> }, ImageOptions> = true;
void imageKeysAgree;
void imageTypesAgree;
