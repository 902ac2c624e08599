/** Resolves user-facing convert options once into a complete, validated, readonly settings object. */
import { availableParallelism } from 'node:os';
import { invalidParameterError, InvalidOptionError } from '../errors.js';
import { resolveImageSettings, type ImageOptions, type ImageSettings } from '../image/index.js';
import type { Compression } from '../record/index.js';
import { MANIFEST_FORMATS, type ColumnType, type ManifestFormat } from '../inputs/manifest.js';
import { parseSplitSpec, type Sharding, type SplitFraction } from '../dataset/plan.js';

export type { Sharding };
import { resolveSchema, type Schema, type SchemaName } from '../dataset/schema.js';
import { DEFAULT_COMMIT_BYTES } from '../caffe/lmdb-sink.js';

/** Options of {@link convert}. Only `input` and `output` are required. */
export interface ConvertOptions extends ImageOptions {
  /** Folder of images (each top-level folder a class, or TFDS's split/class tree). */
  readonly input?: string;
  /** A manifest (CSV, TSV, JSON Lines, Caffe list) instead of a folder. */
  readonly manifest?: string;
  readonly manifestFormat?: ManifestFormat;
  /** Fixed column types, e.g. { age: 'int64' } (default: inferred over the whole manifest). */
  readonly columns?: Readonly<Record<string, ColumnType>>;
  /** Manifest columns naming a second image per row (segmentation masks). */
  readonly imageColumns?: readonly string[];
  /** Explicit paths (as `convert -` reads them from stdin), relative to the working folder. */
  readonly inputList?: readonly string[];
  /** Feature keys: 'inception' (default), 'mnist' (implies encode raw) or 'tfds'. */
  readonly schema?: SchemaName;
  /** Key renames 'from=to', applied after the schema. */
  readonly keys?: readonly string[];
  /** Keys to leave out. */
  readonly dropKeys?: readonly string[];
  /** Also write the Object Detection API's label_map.pbtxt ('pbtxt'); labels.txt is always written. */
  readonly labelMap?: 'txt' | 'pbtxt';
  /** 'tfrecord' (default) or 'caffe-lmdb': Caffe Datum records in one LMDB database per split. */
  readonly target?: 'tfrecord' | 'caffe-lmdb';
  /** caffe-lmdb: records per LMDB transaction (default 1000). */
  readonly commitEvery?: number;
  /** caffe-lmdb: datum bytes per LMDB transaction, e.g. '64MB' (default 64 MiB); bounds memory. */
  readonly commitBytes?: number | string;
  /** caffe-lmdb: also set channels, height and width on encoded datums. */
  readonly datumDims?: boolean;
  /** caffe-lmdb: where multi-valued or float labels go; 'float_data' or an error (default 'label'). */
  readonly labelTo?: 'label' | 'float_data';
  /** caffe-lmdb: also write the mean image (BlobProto) to this path. */
  readonly mean?: string;
  /** This process is worker `index` of `count` (0-based): it writes the shards whose global number mod count is index. */
  readonly worker?: { readonly index: number; readonly count: number };
  /** Keep complete shards left by an earlier run (killed or partial) when they match the plan; rewrite the rest. */
  readonly resume?: boolean;
  /** Output folder, or '-' for one unsharded stream on stdout. */
  readonly output: string;
  /** Shard file name prefix (default 'train'). */
  readonly prefix?: string;
  /** Exactly this many shards. */
  readonly shards?: number;
  /** Start a new shard when one reaches this many bytes, e.g. 256 * 2 ** 20 or '256MB' (the default). */
  readonly shardSize?: number | string;
  /** Start a new shard every N records. */
  readonly recordsPerShard?: number;
  readonly compression?: Compression;
  /** Glob patterns (relative to input) that files must match; default all. */
  readonly include?: readonly string[];
  /** Glob patterns (relative to input) to leave out. */
  readonly exclude?: readonly string[];
  readonly followSymlinks?: boolean;
  /** Added to every label id (1 for the Inception convention, 0 = background). */
  readonly labelOffset?: number;
  /** File with one class name per line, fixing the label order. */
  readonly labels?: string;
  /** Replace existing output files. */
  readonly overwrite?: boolean;
  /** Stop at the first bad input and leave no output. */
  readonly strict?: boolean;
  /** Files read and processed at once is jobs x 3; default: the number of cores. */
  readonly jobs?: number;
  /** Seconds one input may take (read, decode, encode); over it the file is reported `too-slow`. 0 = no limit; default 60. */
  readonly fileTimeout?: number;
  /** Split fractions, e.g. 'train=0.8,validation=0.1,test=0.1'; each split gets its own shard set. */
  readonly split?: string | readonly SplitFraction[];
  /** With `split` on a pre-split tree (train/, val/ folders): pool the folders and re-split them (default: refused). */
  readonly resplit?: boolean;
  /** Seed of the split hash and the shuffle (default 0). */
  readonly seed?: number;
  /** Shuffle records within each split with a seeded permutation (default: sorted order). */
  readonly shuffle?: boolean;
  /** Write a DALI index `<shard>.idx` next to each shard (uncompressed shards only). */
  readonly index?: boolean;
}

/** The complete, validated form of {@link ConvertOptions}: nothing is undefined. */
export interface ConvertSettings {
  /** The input folder, or '' when the inputs come from a manifest or a list. */
  readonly input: string;
  readonly manifest: string | null;
  readonly manifestFormat: ManifestFormat | null;
  readonly columnTypes: ReadonlyMap<string, ColumnType>;
  readonly imageColumns: readonly string[];
  readonly inputList: readonly string[] | null;
  readonly schema: Schema;
  readonly labelMap: 'txt' | 'pbtxt';
  readonly target: 'tfrecord' | 'caffe-lmdb';
  readonly commitEvery: number;
  readonly commitBytes: number;
  readonly datumDims: boolean;
  readonly labelTo: 'label' | 'float_data';
  readonly mean: string | null;
  readonly worker: { readonly index: number; readonly count: number } | null;
  readonly resume: boolean;
  readonly output: string;
  readonly toStdout: boolean;
  readonly prefix: string;
  readonly sharding: Sharding;
  readonly compression: Compression;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly followSymlinks: boolean;
  readonly labelOffset: number;
  readonly labels: string | null;
  readonly overwrite: boolean;
  readonly strict: boolean;
  readonly jobs: number;
  readonly fileTimeout: number;
  readonly splits: readonly SplitFraction[] | null;
  readonly resplit: boolean;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly index: boolean;
  readonly image: ImageSettings;
}

/** Default per-file time limit in seconds (--file-timeout): far above any sane image, far below a stuck run. */
export const DEFAULT_FILE_TIMEOUT = 60;

/** Default shard size: TensorFlow's performance guide suggests files of 100 MB or more. */
export const DEFAULT_SHARD_BYTES = 256 * 1024 * 1024;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1, B: 1, K: 1024, KB: 1024, KIB: 1024, M: 1024 ** 2, MB: 1024 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, GIB: 1024 ** 3,
};

/**
 * Parses a byte size such as `256MB`, `1.5G` or `1048576` (units are powers of 1024).
 *
 * @example
 * parseByteSize('256MB'); // 268435456
 */
export function parseByteSize(value: string | number, name = 'shardSize'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 1) throw invalidParameterError(name, 'positive integer number of bytes', value);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match?.[2]?.toUpperCase() ?? '';
  const factor = SIZE_UNITS[unit];
  if (match === null || factor === undefined) {
    throw invalidParameterError(name, 'size such as 256MB, 1GB or 1048576', value);
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (bytes < 1) throw invalidParameterError(name, 'size of at least 1 byte', value);
  return bytes;
}

/**
 * Validates `options` and fills in every default.
 *
 * @example
 * const settings = resolveConvertOptions({ input: 'photos', output: 'out', shards: 4 });
 */
export function resolveConvertOptions(options: ConvertOptions): ConvertSettings {
  if (typeof options !== 'object' || options === null) throw invalidParameterError('options', 'object', options);
  const { output } = options;
  const sources = [options.input, options.manifest, options.inputList].filter((v) => v !== undefined);
  if (sources.length !== 1) throw new InvalidOptionError('Expected exactly one of input (a folder), manifest and inputList');
  const input = options.input ?? '';
  if (options.input !== undefined && (typeof input !== 'string' || input.length === 0)) throw invalidParameterError('input', 'non-empty path', input);
  if (options.manifest !== undefined && (typeof options.manifest !== 'string' || options.manifest === '')) {
    throw invalidParameterError('manifest', 'path of a CSV, TSV, JSON Lines or Caffe list file', options.manifest);
  }
  if (options.manifestFormat !== undefined && !MANIFEST_FORMATS.includes(options.manifestFormat)) {
    throw invalidParameterError('manifestFormat', `one of ${MANIFEST_FORMATS.join(', ')}`, options.manifestFormat);
  }
  if (options.inputList !== undefined && !Array.isArray(options.inputList)) throw invalidParameterError('inputList', 'array of paths', options.inputList);
  const columnTypes = new Map<string, ColumnType>();
  for (const [name, type] of Object.entries(options.columns ?? {})) {
    if (!['int64', 'float', 'bytes'].includes(type)) throw invalidParameterError(`column type of ${name}`, 'int64, float or bytes', type);
    columnTypes.set(name, type);
  }
  const schema = resolveSchema(options.schema ?? 'inception', options.keys ?? [], options.dropKeys ?? []);
  let imageOptions = pickImageOptions(options);
  if (schema.name === 'mnist') {
    if (imageOptions.encode !== undefined && imageOptions.encode !== 'raw') {
      throw new InvalidOptionError(`Expected encode raw for schema mnist (its image_raw key holds pixels) but received ${imageOptions.encode}`, ['encode', 'schema']);
    }
    imageOptions = { ...imageOptions, encode: 'raw' };
  }
  const target = options.target ?? 'tfrecord';
  if (target !== 'tfrecord' && target !== 'caffe-lmdb') throw invalidParameterError('target', 'tfrecord or caffe-lmdb', target);
  const commitEvery = options.commitEvery ?? 1000;
  checkInteger('commitEvery', commitEvery, 1, 10_000_000);
  const commitBytes = parseByteSize(options.commitBytes ?? DEFAULT_COMMIT_BYTES, 'commitBytes');
  const labelTo = options.labelTo ?? 'label';
  if (labelTo !== 'label' && labelTo !== 'float_data') throw invalidParameterError('labelTo', 'label or float_data', labelTo);
  if (target === 'caffe-lmdb') {
    // Caffe's own layout: uint8 pixels, CHW, BGR (what OpenCV's imread gives convert_imageset).
    const encode = imageOptions.encode ?? 'raw';
    if (encode === 'raw') {
      for (const [key, want] of [['layout', 'chw'], ['channelOrder', 'bgr'], ['dtype', 'uint8']] as const) {
        const given = (imageOptions as Record<string, unknown>)[key];
        if (given !== undefined && given !== want) throw new InvalidOptionError(`Expected ${key} ${want} for target caffe-lmdb (Caffe's Datum holds uint8 CHW BGR pixels) but received ${String(given)}`, [key, 'target']);
      }
      if (imageOptions.depth === 16) throw new InvalidOptionError('target caffe-lmdb holds 8-bit pixels; --depth 16 is not possible');
    }
    // Caffe loads with OpenCV's IMREAD_COLOR (3 channels) unless --gray: --channels 1 here.
    const channels = imageOptions.channels ?? (encode === 'raw' ? 3 : undefined);
    imageOptions = {
      ...imageOptions, encode, ...(channels === undefined ? {} : { channels }),
      ...(encode === 'raw' ? { layout: 'chw', channelOrder: 'bgr', dtype: 'uint8' } : {}),
    };
    if (output === '-') throw new InvalidOptionError('target caffe-lmdb writes a database folder; -o - is not possible');
  } else if (options.mean !== undefined || options.datumDims !== undefined || options.labelTo !== undefined || options.commitEvery !== undefined || options.commitBytes !== undefined) {
    throw new InvalidOptionError('--mean, --datum-dims, --label-to, --commit-every and --commit-bytes apply to --target caffe-lmdb only');
  }
  let worker: { index: number; count: number } | null = null;
  if (options.worker !== undefined) {
    const { index, count } = options.worker;
    checkInteger('worker count', count, 1, 100000);
    checkInteger('worker index', index, 0, count - 1);
    worker = { index, count };
  }
  const resume = options.resume ?? false;
  if ((worker !== null || resume) && (target === 'caffe-lmdb' || output === '-')) {
    throw new InvalidOptionError('--worker and --resume work with sharded TFRecord output in a folder (not caffe-lmdb, not -o -)');
  }
  const labelMap = options.labelMap ?? 'txt';
  if (labelMap !== 'txt' && labelMap !== 'pbtxt') throw invalidParameterError('labelMap', 'txt or pbtxt', labelMap);
  if (typeof output !== 'string' || output.length === 0) throw invalidParameterError('output', 'non-empty path or "-"', output);

  const prefix = options.prefix ?? 'train';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(prefix)) {
    throw invalidParameterError('prefix', 'file-name-safe string (letters, digits, ".", "_", "-")', prefix);
  }

  const given = [options.shards, options.shardSize, options.recordsPerShard].filter((v) => v !== undefined);
  const shardOptions = ['shards', 'shardSize', 'recordsPerShard'];
  if (given.length > 1) throw new InvalidOptionError('Expected at most one of shards, shardSize and recordsPerShard', shardOptions);
  if (given.length > 0 && output === '-') throw new InvalidOptionError('output "-" writes one unsharded stream to stdout; shards, shardSize and recordsPerShard need a folder to write to', ['output', ...shardOptions]);
  let sharding: Sharding = { kind: 'size', bytes: DEFAULT_SHARD_BYTES };
  if (options.shards !== undefined) {
    checkInteger('shards', options.shards, 1, 100000);
    sharding = { kind: 'count', shards: options.shards };
  } else if (options.recordsPerShard !== undefined) {
    checkInteger('recordsPerShard', options.recordsPerShard, 1, Number.MAX_SAFE_INTEGER);
    sharding = { kind: 'records', records: options.recordsPerShard };
  } else if (options.shardSize !== undefined) {
    sharding = { kind: 'size', bytes: parseByteSize(options.shardSize) };
  }

  const compression = options.compression ?? 'none';
  if (!['none', 'gzip', 'zlib'].includes(compression)) {
    throw invalidParameterError('compression', 'one of none, gzip, zlib', compression);
  }
  const labelOffset = options.labelOffset ?? 0;
  checkInteger('labelOffset', labelOffset, -(2 ** 31), 2 ** 31 - 1);
  const jobs = options.jobs ?? availableParallelism();
  checkInteger('jobs', jobs, 1, 1024);
  const index = options.index ?? false;
  if (index && compression !== 'none') {
    throw new InvalidOptionError(`Cannot index ${compression}-compressed shards: record offsets in a compressed stream cannot be seeked to`);
  }
  if (index && output === '-') throw new InvalidOptionError('Cannot write an index for -o - (stdout); write to a folder');
  const fileTimeout = options.fileTimeout ?? DEFAULT_FILE_TIMEOUT;
  if (typeof fileTimeout !== 'number' || !(fileTimeout >= 0 && fileTimeout <= 3600)) {
    throw invalidParameterError('fileTimeout', 'number of seconds between 0 and 3600', fileTimeout);
  }
  const seed = options.seed ?? 0;
  checkInteger('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  let splits: readonly SplitFraction[] | null = null;
  if (typeof options.split === 'string') splits = parseSplitSpec(options.split);
  else if (options.split !== undefined) splits = parseSplitSpec(options.split.map((s) => `${s.name}=${s.fraction}`).join(','));
  const resplit = options.resplit ?? false;
  if (typeof resplit !== 'boolean') throw invalidParameterError('resplit', 'boolean', resplit);
  if (resplit && splits === null) throw new InvalidOptionError('resplit re-splits a pre-split tree by split fractions: it needs split', ['resplit', 'split']);

  return Object.freeze({
    input,
    manifest: options.manifest ?? null,
    manifestFormat: options.manifestFormat ?? null,
    columnTypes,
    imageColumns: Object.freeze([...(options.imageColumns ?? [])]),
    inputList: options.inputList === undefined ? null : Object.freeze([...options.inputList]),
    schema,
    labelMap,
    target,
    commitEvery,
    commitBytes,
    datumDims: options.datumDims ?? false,
    labelTo,
    mean: options.mean ?? null,
    worker,
    resume,
    output,
    toStdout: output === '-',
    prefix,
    sharding: Object.freeze(sharding),
    compression,
    include: Object.freeze([...(options.include ?? [])]),
    exclude: Object.freeze([...(options.exclude ?? [])]),
    followSymlinks: options.followSymlinks ?? false,
    labelOffset,
    labels: options.labels ?? null,
    overwrite: options.overwrite ?? false,
    strict: options.strict ?? false,
    jobs,
    fileTimeout,
    splits: splits === null ? null : Object.freeze(splits.map((s) => Object.freeze({ ...s }))),
    resplit,
    seed,
    shuffle: options.shuffle ?? false,
    index,
    image: resolveImageSettings(imageOptions),
  });
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameterError(name, `integer between ${min} and ${max}`, value);
  }
}

const CONVERT_ONLY_KEYS = new Set([
  'input', 'output', 'prefix', 'shards', 'shardSize', 'recordsPerShard', 'compression', 'include', 'exclude',
  'followSymlinks', 'labelOffset', 'labels', 'overwrite', 'strict', 'jobs', 'fileTimeout', 'split', 'seed', 'shuffle', 'index',
  'manifest', 'manifestFormat', 'columns', 'imageColumns', 'inputList', 'schema', 'keys', 'dropKeys', 'labelMap',
  'target', 'commitEvery', 'commitBytes', 'datumDims', 'labelTo', 'mean', 'worker', 'resume', 'resplit',
]);

function pickImageOptions(options: ConvertOptions): ImageOptions {
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!CONVERT_ONLY_KEYS.has(key) && value !== undefined) picked[key] = value;
  }
  return picked as ImageOptions;
}
