/** Resolves user-facing convert options once into a complete, validated, readonly settings object. */
import { availableParallelism } from 'node:os';
import { invalidParameterError, InvalidOptionError } from '../../errors.js';
import { resolveImageSettings, type ImageOptions, type ImageSettings } from '../../image/index.js';
import type { Compression } from '../../record/index.js';
import { MANIFEST_FORMATS, type ColumnType, type ManifestFormat } from '../../inputs/manifest.js';
import { parseSplitSpec, type Sharding, type SplitFraction } from '../../dataset/plan.js';
import { resolveSchema, type Schema } from '../../dataset/schema.js';
import { DEFAULT_COMMIT_BYTES } from '../../caffe/lmdb-sink.js';
import type { AnnotationFormat, AnnotationFrame } from '../../annotations/index.js';
import { checkTfdsName } from '../../tfds/index.js';
import { CONVERT_OPTION_TABLE, IMAGE_OPTION_KEYS, type ConvertOptions } from './option-table.js';

export type { Sharding, ConvertOptions };

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
  /*
   * Options whose feature is not wired into convert() yet (issues 17, 18). They are resolved and
   * readable, but not enumerable, so the settings recorded in dataset.json and the plan fingerprint
   * (which spread the enumerable fields) stay byte-identical for runs that do not use them.
   */
  /** Object-detection annotations file or folder, or null. */
  readonly annotations: string | null;
  readonly annotationsFormat: 'auto' | AnnotationFormat;
  readonly annotatedOnly: boolean;
  /** Fraction 0..1 of a box's area that must stay in the output frame. */
  readonly minBoxVisible: number;
  readonly annotationFrame: 'auto' | AnnotationFrame;
  /** TFDS dataset name of a TFDS directory output, or null. */
  readonly tfdsName: string | null;
}

/** The resolved, validated options of a run (the name the issue uses; the same type as {@link ConvertSettings}). */
export type ResolvedConvertOptions = ConvertSettings;

/** Default per-file time limit in seconds (--file-timeout): far above any sane image, far below a stuck run. */
export const DEFAULT_FILE_TIMEOUT = CONVERT_OPTION_TABLE.fileTimeout.default;

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
  const sources = resolveSources(options);
  const schema = resolveSchema(resolveSchemaName(options), options.keys ?? [], [...options.dropKeys ?? [], ...unwantedKeys(options)]);
  const caffe = resolveCaffe(options, resolveSchemaImage(options, schema), output);
  const scale = resolveScale(options, caffe.target, output);
  const labelMap = options.labelMap ?? CONVERT_OPTION_TABLE.labelMap.default;
  if (labelMap !== 'txt' && labelMap !== 'pbtxt') throw invalidParameterError('labelMap', 'txt or pbtxt', labelMap);
  if (typeof output !== 'string' || output.length === 0) throw invalidParameterError('output', 'non-empty path or "-"', output);
  const prefix = resolvePrefix(options);
  const sharding = resolveSharding(options, output);
  const run = resolveRun(options, output);
  const splits = resolveSplits(options);
  const later = { ...resolveAnnotations(options), tfdsName: resolveTfdsName(options, caffe.target, run.compression, run.labelOffset, output) };
  if (later.annotations !== null && caffe.target === 'caffe-lmdb') {
    throw new InvalidOptionError('annotations write the Object Detection API\'s box features, which a Caffe Datum cannot hold; use --target tfrecord', ['annotations', 'target']);
  }
  const { imageOptions, ...target } = caffe;
  const settings = {
    ...sources, schema, labelMap, ...target, ...scale, output, toStdout: output === '-', prefix, sharding: Object.freeze(sharding),
    compression: run.compression, include: freezeList(options.include), exclude: freezeList(options.exclude),
    followSymlinks: options.followSymlinks ?? false, labelOffset: run.labelOffset, labels: options.labels ?? null,
    overwrite: options.overwrite ?? false, strict: options.strict ?? false, jobs: run.jobs, fileTimeout: run.fileTimeout,
    splits: splits.splits, resplit: splits.resplit, seed: run.seed, shuffle: options.shuffle ?? false, index: run.index,
    image: resolveImageSettings(imageOptions),
  };
  for (const [key, value] of Object.entries(later)) Object.defineProperty(settings, key, { value, enumerable: false });
  return Object.freeze(settings as typeof settings & typeof later);
}

function freezeList(list: readonly string[] | undefined): readonly string[] {
  return Object.freeze([...(list ?? [])]);
}

/** Where the inputs come from: exactly one of a folder, a manifest and a list. */
function resolveSources(options: ConvertOptions) {
  const given = [options.input, options.manifest, options.inputList].filter((v) => v !== undefined);
  if (given.length !== 1) throw new InvalidOptionError('Expected exactly one of input (a folder), manifest and inputList');
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
  return {
    input,
    manifest: options.manifest ?? null,
    manifestFormat: options.manifestFormat ?? null,
    columnTypes: columnTypes as ReadonlyMap<string, ColumnType>,
    imageColumns: freezeList(options.imageColumns),
    inputList: options.inputList === undefined ? null : freezeList(options.inputList),
  };
}

/**
 * Keys left out unless asked for: image/key/sha256 in a classification run without --sha256. TensorFlow's
 * build_image_data.py writes no such key; the Object Detection API's converters do, so an
 * annotation run keeps it. Hashing every file cost 15-20 % of a pass-through run's CPU (issue 16,
 * bench/README.md), and issue 16 asks for it off by default unless the speed targets hold with it.
 * A `--key image/key/sha256=...` rename also keeps it (the drop names the key's own name).
 */
function unwantedKeys(options: ConvertOptions): string[] {
  const sha256 = options.sha256 ?? false;
  if (typeof sha256 !== 'boolean') throw invalidParameterError('sha256', 'boolean', sha256);
  return sha256 || options.annotations !== undefined ? [] : ['image/key/sha256'];
}

/** The schema, which --tfds-name implies. */
function resolveSchemaName(options: ConvertOptions) {
  if (options.tfdsName !== undefined && options.schema !== undefined && options.schema !== 'tfds') {
    throw new InvalidOptionError(`Expected schema tfds for tfdsName (TFDS loads the tfds keys) but received ${options.schema}`, ['tfdsName', 'schema']);
  }
  return options.schema ?? (options.tfdsName === undefined ? CONVERT_OPTION_TABLE.schema.default : 'tfds');
}

/** The image options as given, with what the schema implies (mnist stores raw pixels). */
function resolveSchemaImage(options: ConvertOptions, schema: Schema): ImageOptions {
  const imageOptions = pickImageOptions(options);
  if (schema.name !== 'mnist') return imageOptions;
  if (imageOptions.encode !== undefined && imageOptions.encode !== 'raw') {
    throw new InvalidOptionError(`Expected encode raw for schema mnist (its image_raw key holds pixels) but received ${imageOptions.encode}`, ['encode', 'schema']);
  }
  return { ...imageOptions, encode: 'raw' };
}

/** The target and its Caffe options; caffe-lmdb also fixes the image options to Caffe's layout. */
function resolveCaffe(options: ConvertOptions, imageOptions: ImageOptions, output: string) {
  const target = options.target ?? CONVERT_OPTION_TABLE.target.default;
  if (target !== 'tfrecord' && target !== 'caffe-lmdb') throw invalidParameterError('target', 'tfrecord or caffe-lmdb', target);
  const commitEvery = options.commitEvery ?? CONVERT_OPTION_TABLE.commitEvery.default;
  checkInteger('commitEvery', commitEvery, 1, 10_000_000);
  const commitBytes = parseByteSize(options.commitBytes ?? DEFAULT_COMMIT_BYTES, 'commitBytes');
  const labelTo = options.labelTo ?? CONVERT_OPTION_TABLE.labelTo.default;
  if (labelTo !== 'label' && labelTo !== 'float_data') throw invalidParameterError('labelTo', 'label or float_data', labelTo);
  if (target === 'caffe-lmdb') {
    imageOptions = resolveCaffeImage(imageOptions);
    if (output === '-') throw new InvalidOptionError('target caffe-lmdb writes a database folder; -o - is not possible');
  } else if (options.mean !== undefined || options.datumDims !== undefined || options.labelTo !== undefined || options.commitEvery !== undefined || options.commitBytes !== undefined) {
    throw new InvalidOptionError('--mean, --datum-dims, --label-to, --commit-every and --commit-bytes apply to --target caffe-lmdb only');
  }
  return { target, commitEvery, commitBytes, datumDims: options.datumDims ?? false, labelTo, mean: options.mean ?? null, imageOptions };
}

/** Caffe's own layout: uint8 pixels, CHW, BGR (what OpenCV's imread gives convert_imageset). */
function resolveCaffeImage(imageOptions: ImageOptions): ImageOptions {
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
  return {
    ...imageOptions, encode, ...(channels === undefined ? {} : { channels }),
    ...(encode === 'raw' ? { layout: 'chw', channelOrder: 'bgr', dtype: 'uint8' } : {}),
  };
}

/** This process's worker slice and whether it resumes: both need sharded TFRecord output in a folder. */
function resolveScale(options: ConvertOptions, target: 'tfrecord' | 'caffe-lmdb', output: string) {
  let worker: { readonly index: number; readonly count: number } | null = null;
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
  return { worker, resume };
}

function resolvePrefix(options: ConvertOptions): string {
  const prefix = options.prefix ?? CONVERT_OPTION_TABLE.prefix.default;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(prefix)) {
    throw invalidParameterError('prefix', 'file-name-safe string (letters, digits, ".", "_", "-")', prefix);
  }
  return prefix;
}

/** At most one of shards, shardSize and recordsPerShard; the default is shards of 256 MiB. */
function resolveSharding(options: ConvertOptions, output: string): Sharding {
  const given = [options.shards, options.shardSize, options.recordsPerShard].filter((v) => v !== undefined);
  const shardOptions = ['shards', 'shardSize', 'recordsPerShard'];
  if (given.length > 1) throw new InvalidOptionError('Expected at most one of shards, shardSize and recordsPerShard', shardOptions);
  if (given.length > 0 && output === '-') throw new InvalidOptionError('output "-" writes one unsharded stream to stdout; shards, shardSize and recordsPerShard need a folder to write to', ['output', ...shardOptions]);
  if (options.shards !== undefined) {
    checkInteger('shards', options.shards, 1, 100000);
    return { kind: 'count', shards: options.shards };
  }
  if (options.recordsPerShard !== undefined) {
    checkInteger('recordsPerShard', options.recordsPerShard, 1, Number.MAX_SAFE_INTEGER);
    return { kind: 'records', records: options.recordsPerShard };
  }
  if (options.shardSize !== undefined) return { kind: 'size', bytes: parseByteSize(options.shardSize) };
  return { kind: 'size', bytes: DEFAULT_SHARD_BYTES };
}

/** Compression, label offset, parallelism, the index sidecar, the per-file time limit and the seed. */
function resolveRun(options: ConvertOptions, output: string) {
  const compression = options.compression ?? CONVERT_OPTION_TABLE.compression.default;
  if (!['none', 'gzip', 'zlib'].includes(compression)) {
    throw invalidParameterError('compression', 'one of none, gzip, zlib', compression);
  }
  const labelOffset = options.labelOffset ?? CONVERT_OPTION_TABLE.labelOffset.default;
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
  const seed = options.seed ?? CONVERT_OPTION_TABLE.seed.default;
  checkInteger('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  return { compression, labelOffset, jobs, index, fileTimeout, seed };
}

function resolveSplits(options: ConvertOptions): { splits: readonly SplitFraction[] | null; resplit: boolean } {
  let splits: readonly SplitFraction[] | null = null;
  if (typeof options.split === 'string') splits = parseSplitSpec(options.split);
  else if (options.split !== undefined) splits = parseSplitSpec(options.split.map((s) => `${s.name}=${s.fraction}`).join(','));
  const resplit = options.resplit ?? false;
  if (typeof resplit !== 'boolean') throw invalidParameterError('resplit', 'boolean', resplit);
  if (resplit && splits === null) throw new InvalidOptionError('resplit re-splits a pre-split tree by split fractions: it needs split', ['resplit', 'split']);
  return { splits: splits === null ? null : Object.freeze(splits.map((s) => Object.freeze({ ...s }))), resplit };
}

/** The object-detection options (issue 17); the refinements need `annotations`. */
function resolveAnnotations(options: ConvertOptions) {
  const table = CONVERT_OPTION_TABLE;
  const annotations = options.annotations ?? null;
  if (annotations !== null && (typeof annotations !== 'string' || annotations === '')) {
    throw invalidParameterError('annotations', 'path of an annotation file or folder', annotations);
  }
  const annotationsFormat = options.annotationsFormat ?? table.annotationsFormat.default;
  checkChoice('annotationsFormat', annotationsFormat, table.annotationsFormat.choices);
  const annotatedOnly = options.annotatedOnly ?? false;
  if (typeof annotatedOnly !== 'boolean') throw invalidParameterError('annotatedOnly', 'boolean', annotatedOnly);
  const minBoxVisible = options.minBoxVisible ?? table.minBoxVisible.default;
  if (typeof minBoxVisible !== 'number' || !(minBoxVisible >= 0 && minBoxVisible <= 1)) {
    throw invalidParameterError('minBoxVisible', 'number between 0 and 1', minBoxVisible);
  }
  const annotationFrame = options.annotationFrame ?? table.annotationFrame.default;
  checkChoice('annotationFrame', annotationFrame, table.annotationFrame.choices);
  const refinements = (['annotationsFormat', 'annotatedOnly', 'minBoxVisible', 'annotationFrame'] as const).filter((k) => options[k] !== undefined);
  if (annotations === null && refinements.length > 0) {
    throw new InvalidOptionError(`${refinements.join(', ')} need${refinements.length === 1 ? 's' : ''} annotations`, [...refinements, 'annotations']);
  }
  return { annotations, annotationsFormat, annotatedOnly, minBoxVisible, annotationFrame };
}

/** The TFDS dataset name (issue 18): TFDS's layout holds uncompressed, 0-based TFRecord shards in a folder. */
function resolveTfdsName(options: ConvertOptions, target: string, compression: Compression, labelOffset: number, output: string): string | null {
  if (options.tfdsName === undefined) return null;
  const name = checkTfdsName(options.tfdsName);
  if (compression !== 'none') throw new InvalidOptionError(`tfdsName writes what TFDS reads: uncompressed shards, not compression ${compression}`, ['tfdsName', 'compression']);
  if (labelOffset !== 0) throw new InvalidOptionError(`tfdsName writes TFDS ClassLabel ids, which start at 0: labelOffset ${labelOffset} is not possible`, ['tfdsName', 'labelOffset']);
  if (target !== 'tfrecord') throw new InvalidOptionError('tfdsName writes TFRecord shards; target caffe-lmdb is not possible', ['tfdsName', 'target']);
  if (output === '-') throw new InvalidOptionError('tfdsName writes a dataset folder; output "-" is not possible', ['tfdsName', 'output']);
  // Only merge-summary sees every worker's shards, and it does not write TFDS metadata: one process writes a TFDS folder.
  if (options.worker !== undefined) throw new InvalidOptionError('tfdsName writes dataset_info.json from every shard of the run; --worker is not possible (convert in one process)', ['tfdsName', 'worker']);
  if (options.encode === 'raw') throw new InvalidOptionError('tfdsName declares a TFDS Image feature (encoded PNG or JPEG bytes); encode raw is not possible', ['tfdsName', 'encode']);
  // features.json names the keys image and label: renaming them would leave TFDS reading keys that are not there.
  const renamed = (options.keys ?? []).map((k) => k.split('=')[0]?.trim() ?? '');
  const blocked = [...renamed.filter((k) => k === 'image' || k === 'label'), ...(options.dropKeys ?? []).filter((k) => k === 'image')];
  if (blocked.length > 0) {
    throw new InvalidOptionError(`tfdsName writes features.json for the keys image and label; --key/--drop-key of ${blocked.join(', ')} is not possible`, ['tfdsName', 'keys', 'dropKeys']);
  }
  return name;
}

function checkChoice(name: string, value: unknown, choices: readonly string[]): void {
  if (typeof value !== 'string' || !choices.includes(value)) throw invalidParameterError(name, `one of ${choices.join(', ')}`, value);
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameterError(name, `integer between ${min} and ${max}`, value);
  }
}

function pickImageOptions(options: ConvertOptions): ImageOptions {
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (IMAGE_OPTION_KEYS.has(key) && value !== undefined) picked[key] = value;
  }
  return picked as ImageOptions;
}
