/** The `convert` command: maps flags to ConvertOptions, runs the conversion, prints the summary. */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { JPEG_CHROMA_SUBSAMPLING } from '../../image/index.js';
import { join } from 'node:path';
import { convert, type ConvertProgress } from '../../convert/convert.js';
import { parseColumnSpec } from '../../inputs/manifest.js';
import { parseWorker } from '../../scale/slices.js';
import { removeTempFilesSync } from '../../runtime/publish.js';
import { SUMMARY_FILE, workerSummaryFile, type ConvertSummary } from '../../summary/summary.js';
import { type ConvertOptions } from '../../convert/options.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { parseDimensions, parseInteger, parseNumber, parseRgb } from '../parse.js';
import { createProgressReporter, DEFAULT_PROGRESS_INTERVAL } from '../progress.js';
import { formatHumanSummary, plural } from '../report.js';

interface ConvertFlags {
  output: string;
  manifest?: string;
  manifestFormat?: 'csv' | 'tsv' | 'jsonl' | 'caffe' | 'list';
  column: string[];
  imageColumn: string[];
  split?: string;
  resplit?: boolean;
  okIfSkipped?: boolean;
  progressInterval?: number;
  seed?: number;
  shuffle?: boolean;
  schema?: 'inception' | 'mnist' | 'tfds';
  key: string[];
  dropKey: string[];
  labelMap?: 'txt' | 'pbtxt';
  target?: 'tfrecord' | 'caffe-lmdb';
  commitEvery?: number;
  commitBytes?: string;
  datumDims?: boolean;
  labelTo?: 'label' | 'float_data';
  mean?: string;
  worker?: string;
  workers?: number;
  resume?: boolean;
  prefix?: string;
  shards?: number;
  shardSize?: string;
  recordsPerShard?: number;
  compression?: 'none' | 'gzip' | 'zlib';
  include: string[];
  exclude: string[];
  followSymlinks?: boolean;
  labelOffset?: number;
  labels?: string;
  overwrite?: boolean;
  index?: boolean;
  strict?: boolean;
  json?: boolean;
  quiet?: boolean;
  jobs?: number;
  encode?: 'keep' | 'jpeg' | 'png' | 'raw';
  quality?: number;
  chromaSubsampling?: '4:4:4' | '4:2:0';
  icc?: 'keep' | 'srgb';
  pngCompression?: number;
  dtype?: 'uint8' | 'float32';
  scale?: number;
  layout?: 'hwc' | 'chw';
  channelOrder?: 'rgb' | 'bgr';
  autoOrient: boolean;
  depth?: number;
  density?: number;
  resize?: { width: number; height: number };
  fit?: 'cover' | 'contain' | 'fill' | 'inside' | 'outside';
  resizeShorter?: number;
  centerCrop?: { width: number; height: number };
  kernel?: 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';
  enlarge: boolean;
  channels?: number;
  background?: { r: number; g: number; b: number };
  maxPixels?: number;
  fileTimeout?: number;
  validate?: 'structure' | 'decode';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Adds `convert` to `program`. */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('Convert images into TFRecord shards: a folder (each top-level folder a class, or split/class), a manifest, or a list of paths on stdin.')
    .argument('[input]', 'folder of images (each top-level folder a class; train/validation/test folders are splits), or - to read paths from stdin')
    .requiredOption('-o, --output <dir>', 'output folder, or - for one unsharded stream on stdout')
    .option('--prefix <name>', 'shard file name prefix', 'train')
    .option('--shards <n>', 'write exactly N shards (records placed by input position)', parseInteger('--shards', 1, 100000))
    .option('--shard-size <size>', 'start a new shard at this size, e.g. 256MB (default), 1GB; planned from the input file sizes on disk (plus a per-record allowance) before any image is read, so every --worker plans the same shards; close for pass-through, off by the compression ratio when images are transformed')
    .option('--records-per-shard <n>', 'start a new shard every N records', parseInteger('--records-per-shard', 1))
    .addOption(new Option('--compression <type>', 'compress each shard as one stream').choices(['none', 'gzip', 'zlib']))
    .option('--include <glob>', 'only files matching this glob, relative to the input root: **/thumbs/** for thumbs/ at any depth (repeatable)', collect, [])
    .option('--exclude <glob>', 'leave out files matching this glob, relative to the input root, e.g. \'**/thumbs/**\' (repeatable)', collect, [])
    .option('--follow-symlinks', 'follow symbolic links (default: listed as ignored)')
    .option('--manifest <file>', 'CSV, TSV or JSON Lines with a path column (optional label, split, extra columns) instead of a folder')
    .addOption(new Option('--manifest-format <format>', 'manifest format (default: from the extension); caffe = "path label" lines; list = one path per line').choices(['csv', 'tsv', 'jsonl', 'caffe', 'list']))
    .option('--column <name:type>', 'fix a manifest column\'s type: int64, float or bytes (repeatable; default inferred)', collect, [])
    .option('--image-column <name>', 'manifest column naming a second image (e.g. a mask), stored as its own bytes feature (repeatable)', collect, [])
    .option('--split <spec>', 'split by keyed hash, stratified per class, e.g. train=0.8,validation=0.1,test=0.1')
    .option('--resplit', 'with --split on a pre-split tree (train/, val/ folders): pool the folders and split again (without it the combination is refused)')
    .option('--seed <n>', 'seed of the split hash and the shuffle (default 0)', parseInteger('--seed', 0))
    .option('--shuffle', 'shuffle records within each split (seeded; default: sorted order)')
    .addOption(new Option('--schema <name>', 'feature keys: inception (default), mnist (height, width, depth, label, image_raw; implies --encode raw), tfds (image, label, image/filename)').choices(['inception', 'mnist', 'tfds']))
    .option('--key <from=to>', 'rename a feature key (repeatable)', collect, [])
    .option('--drop-key <key>', 'leave a feature key out (repeatable)', collect, [])
    .option('--labels <file>', 'class names fixing the label order: one per line, id:name lines, or a label_map.pbtxt')
    .addOption(new Option('--label-map <format>', 'pbtxt: also write the Object Detection API\'s label_map.pbtxt').choices(['txt', 'pbtxt']))
    .option('--label-offset <n>', 'added to every label id (1 = Inception convention, 0 = background)', parseInteger('--label-offset', -(2 ** 31)))
    .addOption(new Option('--encode <mode>', 'keep = store the file bytes (transcode only what TensorFlow cannot decode)').choices(['keep', 'jpeg', 'png', 'raw']))
    .option('--quality <n>', 'JPEG quality 1..100 (default 95; baseline, not progressive)', parseInteger('--quality', 1, 100))
    .addOption(new Option('--chroma-subsampling <mode>', `JPEG chroma subsampling (default ${JPEG_CHROMA_SUBSAMPLING}; 4:2:0 is smaller, as TensorFlow's encode_jpeg)`).choices(['4:4:4', '4:2:0']))
    .option('--png-compression <n>', 'PNG zlib level 0..9 (default 6)', parseInteger('--png-compression', 0, 9))
    .addOption(new Option('--dtype <type>', 'raw pixel type (float32 is little-endian)').choices(['uint8', 'float32']))
    .addOption(new Option('--scale <max>', 'float32 value range: 255 (0..255) or 1 (0..1)').choices(['255', '1']).argParser(Number))
    .addOption(new Option('--layout <order>', 'raw tensor layout (Caffe is chw)').choices(['hwc', 'chw']))
    .addOption(new Option('--channel-order <order>', 'raw channel order (Caffe/OpenCV is bgr)').choices(['rgb', 'bgr']))
    .option('--no-auto-orient', 'keep the stored orientation instead of applying EXIF orientation')
    .addOption(new Option('--depth <bits>', 'keep 16-bit samples (png and raw only)').choices(['8', '16']).argParser(Number))
    .option('--density <dpi>', 'SVG rasterisation density (default 72)', parseNumber('--density', 1, 100000))
    .option('--resize <WxH>', 'resize to W x H (--fit cover by default: fill, keep the aspect ratio, crop the overflow)', parseDimensions('--resize'))
    .addOption(new Option('--fit <mode>', 'how --resize fits (sharp meanings; default cover; contain pads with --background)').choices(['cover', 'contain', 'fill', 'inside', 'outside']))
    .option('--resize-shorter <n>', 'resize so the shorter side is N, keeping the aspect ratio', parseInteger('--resize-shorter', 1, 65535))
    .option('--center-crop <WxH>', 'crop the centre W x H after resizing', parseDimensions('--center-crop'))
    .addOption(new Option('--kernel <name>', 'resampling kernel (default lanczos3)').choices(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3']))
    .option('--no-enlarge', 'never enlarge images smaller than the target size')
    .addOption(new Option('--channels <n>', '1 greyscale (Rec. 601 luma), 3 flatten alpha onto --background, 4 add opaque alpha').choices(['1', '3', '4']).argParser(Number))
    .option('--background <colour>', 'padding/flatten colour, #rrggbb or r,g,b (default black)', parseRgb('--background'))
    .option('--max-pixels <n>', 'reject images with more pixels (default 268402689, sharp\'s)', parseInteger('--max-pixels', 1))
    .option('--file-timeout <seconds>', 'report an input that takes longer as too-slow and go on (default 60; 0 = no limit)', parseNumber('--file-timeout', 0, 3600))
    .addOption(new Option('--icc <mode>', 'embedded ICC profiles of RGB/grey images: keep = keep pixel values as TensorFlow decodes them and embed the profile (default); srgb = convert pixels to sRGB (CMYK is always converted)').choices(['keep', 'srgb']))
    .addOption(new Option('--validate <level>', 'structure = check headers, chunk CRCs and end markers (fast); decode = also decode every pixel').choices(['structure', 'decode']))
    .addOption(new Option('--target <format>', 'tfrecord (default), or caffe-lmdb: Caffe Datum records in <out>/<split>_lmdb (raw uint8 CHW BGR by default)').choices(['tfrecord', 'caffe-lmdb']))
    .option('--commit-every <n>', 'caffe-lmdb: records per LMDB transaction (default 1000)', parseInteger('--commit-every', 1, 10_000_000))
    .option('--commit-bytes <size>', 'caffe-lmdb: also commit once a transaction holds this many datum bytes (default 64MB); bounds memory')
    .option('--datum-dims', 'caffe-lmdb: also set channels, height and width on encoded datums')
    .addOption(new Option('--label-to <field>', 'caffe-lmdb: float_data stores multi-valued or float labels in Datum.float_data').choices(['label', 'float_data']))
    .option('--mean <file>', 'caffe-lmdb: also write the mean image (BlobProto, as compute_image_mean) of the train split; all images must share one size')
    .option('--index', 'also write a DALI index <shard>.idx next to each (uncompressed) shard')
    .option('--worker <I/N|auto>', 'write only this worker\'s shards (global shard k goes to worker k mod N); auto reads JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or AWS_BATCH_JOB_ARRAY_INDEX. The shard plan never depends on decoded images: --shard-size plans from file sizes on disk')
    .option('--workers <n>', 'worker count for --worker auto when the environment gives only the index', parseInteger('--workers', 1, 100000))
    .option('--resume', 'keep complete shards from an earlier (killed) run that match the plan and verify; rewrite the rest')
    .option('--overwrite', 'replace existing output files')
    .option('--strict', 'stop at the first bad input and leave no output')
    .option('--jobs <n>', 'parallelism (default: number of cores)', parseInteger('--jobs', 1, 1024))
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('-q, --quiet', 'no progress and no human summary')
    .option('--progress-interval <seconds>', `seconds between progress lines when stderr is not a terminal (default ${DEFAULT_PROGRESS_INTERVAL})`, parseInteger('--progress-interval', 1, 86400))
    .option('--ok-if-skipped', 'exit 0 instead of 3 when the only problem is skipped inputs (they are still listed)')
    .addHelpText('after', `
Examples:
  $ img2tfrecord convert photos/ -o out/
  $ img2tfrecord convert photos/ -o out/ --shards 8 --compression gzip
  $ img2tfrecord convert photos/ -o out/ --resize 224x224 --encode jpeg --quality 90
  $ img2tfrecord convert photos/ -o - | gsutil cp - gs://bucket/train.tfrecord
  $ img2tfrecord convert photos/ -o out/ --split train=0.8,validation=0.1,test=0.1 --shuffle
  $ img2tfrecord convert photos/ -o out/ --include '**/*.jpg' --exclude '**/thumbs/**'
  $ img2tfrecord convert photos/ -o out/ --json --quiet --ok-if-skipped | jq .records   # CI: exit 0 despite skipped files
  $ img2tfrecord convert --manifest data.csv -o out/ --image-column mask
  $ find photos -name '*.jpg' | img2tfrecord convert - -o out/
  $ img2tfrecord convert photos/ -o out/ --shards 64 --worker 3/8      # then: img2tfrecord merge-summary out/
  $ img2tfrecord convert photos/ -o db/ --target caffe-lmdb --resize 256x256 --fit fill --mean db/mean.binaryproto
${EXIT_CODES_HELP}`)
    .action(async (input: string | undefined, flags: ConvertFlags) => {
      process.exitCode = await runConvert(input, flags);
    });
}

async function readStdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

async function toOptions(input: string | undefined, flags: ConvertFlags): Promise<ConvertOptions> {
  if (flags.manifest !== undefined && input !== undefined) throw new UsageError('give either an input folder or --manifest, not both');
  if (flags.manifest === undefined && input === undefined) throw new UsageError('missing input: a folder, - for paths on stdin, or --manifest <file>');
  const columns: Record<string, string> = {};
  for (const spec of flags.column) {
    const [name, type] = parseColumnSpec(spec);
    columns[name] = type;
  }
  const options: Record<string, unknown> = {
    ...(flags.manifest !== undefined ? { manifest: flags.manifest } : input === '-' ? { inputList: await readStdinLines() } : { input }),
    manifestFormat: flags.manifestFormat,
    columns: flags.column.length > 0 ? columns : undefined,
    imageColumns: flags.imageColumn.length > 0 ? flags.imageColumn : undefined,
    split: flags.split,
    resplit: flags.resplit,
    seed: flags.seed,
    shuffle: flags.shuffle,
    schema: flags.schema,
    keys: flags.key.length > 0 ? flags.key : undefined,
    dropKeys: flags.dropKey.length > 0 ? flags.dropKey : undefined,
    labelMap: flags.labelMap,
    target: flags.target,
    commitEvery: flags.commitEvery,
    commitBytes: flags.commitBytes,
    datumDims: flags.datumDims,
    labelTo: flags.labelTo,
    mean: flags.mean,
    worker: flags.worker === undefined ? undefined : parseWorker(flags.worker, flags.workers ?? null),
    resume: flags.resume,
    output: flags.output,
    prefix: flags.prefix,
    shards: flags.shards,
    shardSize: flags.shardSize,
    recordsPerShard: flags.recordsPerShard,
    compression: flags.compression,
    include: flags.include,
    exclude: flags.exclude,
    followSymlinks: flags.followSymlinks,
    labels: flags.labels,
    labelOffset: flags.labelOffset,
    overwrite: flags.overwrite,
    index: flags.index,
    strict: flags.strict,
    jobs: flags.jobs,
    encode: flags.encode,
    quality: flags.quality,
    chromaSubsampling: flags.chromaSubsampling,
    icc: flags.icc,
    pngCompression: flags.pngCompression,
    dtype: flags.dtype,
    scale: flags.scale,
    layout: flags.layout,
    channelOrder: flags.channelOrder,
    autoOrient: flags.autoOrient,
    depth: flags.depth,
    density: flags.density,
    resize: flags.resize,
    fit: flags.fit,
    resizeShorter: flags.resizeShorter,
    centerCrop: flags.centerCrop,
    kernel: flags.kernel,
    enlarge: flags.enlarge,
    channels: flags.channels,
    background: flags.background,
    maxPixels: flags.maxPixels,
    fileTimeout: flags.fileTimeout,
    validate: flags.validate,
  };
  for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
  return options as unknown as ConvertOptions;
}

async function runConvert(input: string | undefined, flags: ConvertFlags): Promise<number> {
  if (flags.output === '-' && flags.json === true) {
    throw new UsageError('--json cannot be used with -o - (stdout carries the records); the summary goes to stderr');
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second signal does not wait for the run to unwind; its temporary files go now.
      removeTempFilesSync();
      process.exit(signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT);
    }
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reporter = createProgressReporter({ quiet: flags.quiet === true, ...(flags.progressInterval === undefined ? {} : { intervalSeconds: flags.progressInterval }) });
  let processed = 0;
  const progress = { update: (p: ConvertProgress): void => { processed = p.done; reporter.update(p); }, stop: reporter.stop };
  const started = process.hrtime.bigint();
  let summary: ConvertSummary;
  try {
    summary = await convert(await toOptions(input, flags), { signal: controller.signal, onProgress: progress.update });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (flags.json === true) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  // A worker writes its own summary file, and says that one.
  const summaryFile = summary.plan === undefined ? SUMMARY_FILE : workerSummaryFile(summary.plan.worker, summary.plan.workers);
  if (flags.quiet !== true) process.stderr.write(formatHumanSummary(summary, seconds, { processed, summaryFile }));
  else if (summary.skipped > 0) {
    process.stderr.write(`img2tfrecord: ${summary.skipped} of ${plural(summary.found, 'file')} skipped (see ${flags.output === '-' ? 'the --json summary' : join(flags.output, summaryFile)})\n`);
  }
  if (summary.skipped === 0) return EXIT.OK;
  return flags.okIfSkipped === true ? EXIT.OK : EXIT.PARTIAL;
}
