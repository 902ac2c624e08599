/** From per-key statistics to the parsing spec: FixedLen/VarLen, defaults, images to decode, raw tensors to reshape. */
import type { Spec, SpecFeature, SpecImage, SpecKeyStats, SpecOptions, SpecRaw, SpecStats } from './spec.js';
import { invalidParameterError } from '../errors.js';
import { TF_DECODABLE, type SourceFormat } from '../image/index.js';

const DTYPES = { bytes: 'string', float: 'float32', int64: 'int64' } as const;
const RAW_DTYPES = new Set(['uint8', 'uint16', 'float32']);
/** Bytes keys that may hold a raw tensor, by their last name part. */
const RAW_BYTES_NAME = /(^|[/_])(raw|image|pixels|data)$/;
/** Float-list keys that may hold a whole image (TFX MNIST's image_floats, Caffe's float_data). */
const RAW_FLOAT_NAME = /(image|float|pixel|raw)/;

/**
 * Builds the `tf.io.parse_single_example` spec the statistics imply: FixedLenFeature where every
 * record has the same count ([] for one value, [n] for n), with a default where some records lack
 * the key; VarLenFeature where counts vary (and always for per-object `image/object/...` lists);
 * images to decode with the channels and dtype seen; raw tensors to reshape by their shape keys or
 * `rawShape`; and the TFRecordDataset compression of each file. Pure: the same stats give the same spec.
 *
 * @example
 * const spec = buildSpec(await gatherSpecStats(files, readExamples));
 * spec.features[0]; // { key: 'image/class/label', kind: 'fixed', dtype: 'int64', shape: [], records: 165 }
 */
export function buildSpec(stats: SpecStats, options: SpecOptions = {}): Spec {
  const rawShape = checkRawShape(options.rawShape);
  const byKey = new Map(stats.keys.map((k) => [k.key, k]));
  const skipped: { key: string; reason: string }[] = [];
  const notes: string[] = [];
  const features: SpecFeature[] = [];
  for (const k of stats.keys) {
    const why = unusableReason(k);
    if (why !== null) skipped.push({ key: k.key, reason: why });
    else features.push(describeFeature(k, stats.records));
  }
  const fixedScalar = (key: string): boolean => features.some((f) => f.key === key && f.kind === 'fixed' && f.shape.length === 0);
  const images: SpecImage[] = [];
  for (const k of stats.keys) {
    if (k.image === null || k.kind !== 'bytes' || k.nonUtf8) continue;
    if (!fixedScalar(k.key)) {
      notes.push(`${JSON.stringify(k.key)} holds images but not exactly one per record: left undecoded`);
      continue;
    }
    if (k.records < stats.records) notes.push(`${JSON.stringify(k.key)} is missing from ${stats.records - k.records} records: decode_image fails on their empty default, filter them first`);
    images.push(describeImage(k, notes));
  }
  const raws: SpecRaw[] = [];
  for (const k of stats.keys) {
    if (k.image !== null || k.nonUtf8) continue;
    const raw = describeRaw(k, byKey, rawShape, fixedScalar);
    if (raw === null) continue;
    if (raw.shape === null) notes.push(`${JSON.stringify(k.key)} looks like a raw tensor with no shape features: pass --raw-shape H,W,C to reshape it`);
    raws.push(raw);
  }
  if (stats.sequenceExamples > 0) {
    notes.push(`${stats.sequenceExamples} of ${stats.records} records are tf.train.SequenceExample: these are their context features (parse_single_sequence_example)`);
  }
  const lmdb = stats.files.filter((f) => f.compression === 'lmdb').map((f) => f.file);
  if (lmdb.length > 0) notes.push('Caffe LMDB databases are not TFRecord files: tf.data cannot read them (the features are those the reader maps each Datum to)');
  return {
    records: stats.records,
    datasets: groupByCompression(stats.files),
    lmdb,
    sequenceExample: stats.sequenceExamples > 0 && stats.sequenceExamples === stats.records,
    features,
    images,
    raws,
    skipped,
    notes,
  };
}

/**
 * The spec as JSON text (what `inspect --spec json` prints): the same content the Python shows.
 *
 * @example
 * process.stdout.write(renderSpecJson(buildSpec(stats)));
 */
export function renderSpecJson(spec: Spec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

/**
 * Checks a `--raw-shape` value: 1 to 4 positive integers.
 *
 * @example
 * checkRawShape([28, 28, 1]); // [28, 28, 1]
 */
export function checkRawShape(rawShape: unknown): readonly number[] | null {
  if (rawShape === undefined || rawShape === null) return null;
  if (!Array.isArray(rawShape) || rawShape.length < 1 || rawShape.length > 4 || !rawShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw invalidParameterError('rawShape', 'array of 1 to 4 positive integers', rawShape);
  }
  return rawShape as number[];
}

function unusableReason(k: SpecKeyStats): string | null {
  if (k.nonUtf8) return 'the key is not UTF-8, so a Python str cannot name it';
  if (k.kind === 'none') return 'every occurrence is an empty feature (no type to parse it as)';
  if (k.kind === 'mixed') return 'records disagree on its type (bytes, float or int64)';
  return null;
}

function describeFeature(k: SpecKeyStats, total: number): SpecFeature {
  const dtype = DTYPES[k.kind as 'bytes' | 'float' | 'int64'];
  // Per-object lists vary with the object count even when a sample has one box everywhere.
  const perObject = /(^|\/)object\//.test(k.key);
  if (perObject || k.minCount !== k.maxCount || k.minCount === 0) return { key: k.key, kind: 'var', dtype, shape: [], records: k.records };
  const shape = k.minCount === 1 ? [] : [k.minCount];
  if (k.records === total) return { key: k.key, kind: 'fixed', dtype, shape, records: k.records };
  const zero = dtype === 'string' ? '' : 0;
  const defaultValue = shape.length === 0 ? zero : new Array<string | number>(k.minCount).fill(zero);
  return { key: k.key, kind: 'fixed', dtype, shape, defaultValue, records: k.records };
}

/**
 * The channels TensorFlow's decode_image accepts per format (decode_image_op.cc, DecodeImageV2Op):
 * JPEG refuses 4 ("JPEG does not support 4 channels"), GIF takes only 3, BMP refuses 1.
 */
const TF_CHANNELS: Readonly<Record<string, readonly number[]>> = { jpeg: [1, 3], gif: [3], bmp: [3, 4], png: [1, 3, 4] };

function describeImage(k: SpecKeyStats, notes: string[]): SpecImage {
  const image = k.image as NonNullable<SpecKeyStats['image']>;
  const accepts = (c: number): boolean => image.formats.every((f) => TF_CHANNELS[f]?.includes(c) ?? true);
  // One channels value for the whole key, so every decoded image has the same depth: grey stays grey,
  // alpha (grey+alpha widens to RGBA) is kept, unless a format in the key cannot be decoded that way.
  const wanted = image.maxChannels === 1 ? 1 : image.maxChannels === 2 || image.maxChannels >= 4 ? 4 : 3;
  const channels = accepts(wanted) ? wanted : 3;
  const quoted = JSON.stringify(k.key);
  if (channels !== wanted) {
    const refusing = image.formats.filter((f) => TF_CHANNELS[f]?.includes(wanted) === false).map((f) => f.toUpperCase()).join(', ');
    notes.push(wanted === 4
      ? `${quoted} has images with alpha, but decode_image cannot give ${refusing} 4 channels: decoded as RGB, alpha dropped`
      : `${quoted} holds only grey images, but decode_image cannot give ${refusing} 1 channel: decoded as RGB`);
  }
  const foreign = image.formats.filter((f) => !TF_DECODABLE.has(f as SourceFormat));
  if (foreign.length > 0) notes.push(`${quoted} holds ${foreign.join(', ')} images: tf.io.decode_image reads BMP, GIF, JPEG and PNG`);
  return { key: k.key, channels: channels as SpecImage['channels'], dtype: image.sixteenBit ? 'uint16' : 'uint8', formats: image.formats };
}

function isFixedInt(k: SpecKeyStats | undefined, count?: number): boolean {
  return k !== undefined && k.kind === 'int64' && k.minCount === k.maxCount && k.minCount > 0 && (count === undefined || k.minCount === count);
}

/** A raw tensor's shape source: a shape key, or height/width[/channels] keys next to it. */
function findShapeSource(stem: string, byKey: ReadonlyMap<string, SpecKeyStats>, fixedScalar: (key: string) => boolean): SpecRaw['shape'] {
  for (const key of [`${stem}/shape`, `${stem}_shape`]) {
    if (byKey.get(key)?.kind === 'int64') return { kind: 'key', key };
  }
  for (const prefix of [`${stem}/`, `${stem}_`, '']) {
    const h = `${prefix}height`;
    const w = `${prefix}width`;
    if (!fixedScalar(h) || !fixedScalar(w) || !isFixedInt(byKey.get(h), 1) || !isFixedInt(byKey.get(w), 1)) continue;
    const c = [`${prefix}channels`, `${prefix}depth`].find((key) => fixedScalar(key) && isFixedInt(byKey.get(key), 1));
    return { kind: 'keys', keys: c === undefined ? [h, w] : [h, w, c] };
  }
  return null;
}

/** The one value a text key holds in every record (dtype, layout, channel order), or null. */
function constantText(byKey: ReadonlyMap<string, SpecKeyStats>, keys: readonly string[]): string | null {
  for (const key of keys) {
    const values = byKey.get(key)?.values;
    if (values?.length === 1) return values[0] as string;
  }
  return null;
}

function describeRaw(
  k: SpecKeyStats, byKey: ReadonlyMap<string, SpecKeyStats>, rawShape: readonly number[] | null, fixedScalar: (key: string) => boolean,
): SpecRaw | null {
  const stem = k.key.replace(/([/_])(raw|floats)$/, '');
  const found = findShapeSource(stem, byKey, fixedScalar);
  const shape = rawShape !== null ? { kind: 'fixed' as const, dims: rawShape } : found;
  const layout = constantText(byKey, [`${stem}/layout`, `${stem}_layout`]) === 'chw' ? 'chw' : 'hwc';
  const channelOrder = constantText(byKey, [`${stem}/channel_order`, `${stem}_channel_order`]) === 'bgr' ? 'bgr' : 'rgb';
  if (k.kind === 'bytes') {
    if (!fixedScalar(k.key) || !RAW_BYTES_NAME.test(k.key) || k.bytes === null || k.bytes.minLength < 16) return null;
    // A name alone is not enough (an `image/data` caption): raw bytes need a shape, or `raw` in their name.
    if (shape === null && !/raw/.test(k.key)) return null;
    const declared = constantText(byKey, [`${stem}/dtype`, `${stem}_dtype`]);
    const dtype = declared !== null && RAW_DTYPES.has(declared) ? (declared as SpecRaw['dtype']) : 'uint8';
    return { key: k.key, source: 'bytes', base64: k.bytes.base64, dtype, shape, layout, channelOrder };
  }
  if (k.kind === 'float' && k.minCount === k.maxCount && k.minCount >= 64 && RAW_FLOAT_NAME.test(k.key)) {
    return { key: k.key, source: 'float', base64: false, dtype: 'float32', shape, layout, channelOrder };
  }
  return null;
}

function groupByCompression(files: SpecStats['files']): Spec['datasets'] {
  const groups = new Map<string, { compressionType: 'GZIP' | 'ZLIB' | null; files: string[] }>();
  for (const { file, compression } of files) {
    if (compression === 'lmdb') continue;
    let group = groups.get(compression);
    if (group === undefined) {
      group = { compressionType: compression === 'gzip' ? 'GZIP' : compression === 'zlib' ? 'ZLIB' : null, files: [] };
      groups.set(compression, group);
    }
    group.files.push(file);
  }
  return [...groups.values()];
}
