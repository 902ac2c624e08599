/** Feature-key schemas: which keys a record carries, named as each consumer (Inception, MNIST, TFDS) expects. */
import { encodeExampleParts, type Feature, type Features } from '../example/index.js';
import { invalidParameterError, InvalidOptionError } from '../errors.js';

/** The named schemas. */
export type SchemaName = 'inception' | 'mnist' | 'tfds';
export const SCHEMA_NAMES: readonly SchemaName[] = Object.freeze(['inception', 'mnist', 'tfds']);

/** Feature type as in tf.train.Feature's oneof. */
export type FeatureType = 'bytes' | 'float' | 'int64';

/**
 * The canonical keys img2tfrecord builds (TensorFlow's Inception / Object Detection API names), and
 * their types. Every schema is a renaming of some of these.
 */
export const CANONICAL_KEYS: Readonly<Record<string, FeatureType>> = Object.freeze({
  'image/encoded': 'bytes',
  'image/format': 'bytes',
  'image/colorspace': 'bytes',
  'image/raw': 'bytes',
  'image/shape': 'int64',
  'image/dtype': 'bytes',
  'image/layout': 'bytes',
  'image/channel_order': 'bytes',
  'image/height': 'int64',
  'image/width': 'int64',
  'image/channels': 'int64',
  'image/filename': 'bytes',
  'image/key/sha256': 'bytes',
  'image/class/label': 'int64',
  'image/class/text': 'bytes',
});

/** canonical key -> schema key; keys absent from the map are not written. Null = identity. */
const SCHEMA_KEYS: Readonly<Record<SchemaName, Readonly<Record<string, string>> | null>> = {
  inception: null,
  // TensorFlow's MNIST convert_to_records.py.
  mnist: {
    'image/height': 'height',
    'image/width': 'width',
    'image/channels': 'depth',
    'image/class/label': 'label',
    'image/raw': 'image_raw',
  },
  // TFDS ImageFolder / image_classification features.
  tfds: {
    'image/encoded': 'image',
    'image/class/label': 'label',
    'image/filename': 'image/filename',
  },
};

/** A resolved schema: how to turn canonical features into the written ones. */
export interface Schema {
  readonly name: SchemaName;
  /** User renames applied after the schema's own names (`--key from=to`). */
  readonly renames: ReadonlyMap<string, string>;
  /** Keys left out (`--drop-key`), by written name. */
  readonly drops: ReadonlySet<string>;
}

/**
 * Parses `--key from=to` values into a rename map, checking for clashes.
 *
 * @example
 * parseKeyRenames(['image/encoded=jpeg_bytes']); // Map { 'image/encoded' => 'jpeg_bytes' }
 */
export function parseKeyRenames(specs: readonly string[]): Map<string, string> {
  const renames = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const from = spec.slice(0, eq).trim();
    const to = spec.slice(eq + 1).trim();
    if (eq < 1 || from === '' || to === '') throw invalidParameterError('key', 'from=to', spec);
    if (renames.has(from)) throw new InvalidOptionError(`Key ${from} is renamed twice`);
    renames.set(from, to);
  }
  return renames;
}

/**
 * Resolves a schema name with renames and drops.
 *
 * @example
 * const schema = resolveSchema('tfds', ['label=class_id'], ['image/filename']);
 */
export function resolveSchema(name: string, renames: readonly string[] | ReadonlyMap<string, string> = [], drops: readonly string[] = []): Schema {
  if (!(SCHEMA_NAMES as readonly string[]).includes(name)) {
    throw invalidParameterError('schema', `one of ${SCHEMA_NAMES.join(', ')}`, name);
  }
  const renameMap = renames instanceof Map ? new Map(renames) : parseKeyRenames(renames as readonly string[]);
  return Object.freeze({ name: name as SchemaName, renames: renameMap, drops: new Set(drops) });
}

/** The key a canonical key is written as, or null when the schema leaves it out. */
function outputKey(schema: Schema, canonical: string): string | null {
  const map = SCHEMA_KEYS[schema.name];
  const named = map === null ? canonical : (map[canonical] ?? null);
  if (named === null) return null;
  const renamed = schema.renames.get(named) ?? named;
  return schema.drops.has(renamed) ? null : renamed;
}

/**
 * Whether records under `schema` carry canonical key `canonical` (not left out by the schema or a
 * --drop-key).
 *
 * @example
 * writesCanonicalKey(resolveSchema('inception', [], ['image/key/sha256']), 'image/key/sha256'); // false
 */
export function writesCanonicalKey(schema: Schema, canonical: string): boolean {
  return outputKey(schema, canonical) !== null;
}

/**
 * Renames canonical features into the schema's keys. Extra (non-canonical) features, such as
 * manifest columns, keep their names, subject to `--key` and `--drop-key`.
 *
 * @example
 * applySchema(resolveSchema('mnist'), { 'image/raw': raw, 'image/height': h }); // { image_raw, height }
 */
export function applySchema(schema: Schema, canonical: Features, extra: Features = {}): Features {
  const out: Record<string, Feature> = {};
  const put = (key: string, feature: Feature, source: string): void => {
    if (Object.hasOwn(out, key)) throw new InvalidOptionError(`Two features would both be written as "${key}" (one from "${source}"): rename one with --key`);
    out[key] = feature;
  };
  for (const [key, feature] of Object.entries(canonical)) {
    const name = outputKey(schema, key);
    if (name !== null) put(name, feature, key);
  }
  for (const [key, feature] of Object.entries(extra)) {
    const renamed = schema.renames.get(key) ?? key;
    if (!schema.drops.has(renamed)) put(renamed, feature, key);
  }
  return out;
}

/**
 * The written keys and types of a schema for the given canonical keys (for dataset.json).
 *
 * @example
 * describeSchemaKeys(resolveSchema('tfds'), ['image/encoded', 'image/class/label']);
 * // [{ key: 'image', type: 'bytes' }, { key: 'label', type: 'int64' }]
 */
export function describeSchemaKeys(schema: Schema, canonicalKeys: Iterable<string>, extra: ReadonlyMap<string, FeatureType> = new Map()): { key: string; type: FeatureType }[] {
  const out: { key: string; type: FeatureType }[] = [];
  for (const key of canonicalKeys) {
    const name = outputKey(schema, key);
    const type = CANONICAL_KEYS[key];
    if (name !== null && type !== undefined) out.push({ key: name, type });
  }
  for (const [key, type] of extra) {
    const renamed = schema.renames.get(key) ?? key;
    if (!schema.drops.has(renamed)) out.push({ key: renamed, type });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Keys that identify each schema's records when reading a file (for `inspect`). */
const SCHEMA_SIGNATURES: readonly { name: string; keys: readonly string[] }[] = [
  { name: 'inception', keys: ['image/encoded', 'image/height', 'image/width'] },
  { name: 'inception-raw', keys: ['image/raw', 'image/shape'] },
  { name: 'mnist', keys: ['image_raw', 'height', 'width', 'depth'] },
  { name: 'tfds', keys: ['image', 'label'] },
  { name: 'object-detection', keys: ['image/encoded', 'image/object/bbox/xmin'] },
];

/**
 * Names the schema whose signature keys a file's feature keys contain, most specific first.
 *
 * @example
 * matchSchema(['image', 'label', 'id']); // 'tfds'
 */
export function matchSchema(keys: Iterable<string>): string | null {
  const present = new Set(keys);
  const matches = SCHEMA_SIGNATURES.filter((s) => s.keys.every((k) => present.has(k)));
  matches.sort((a, b) => b.keys.length - a.keys.length);
  const best = matches[0];
  if (best?.name === 'inception' && present.has('image/object/bbox/xmin')) return 'object-detection';
  return best?.name ?? null;
}

/** An Example record as parts (large values by reference) and the keys it carries, with their kinds. */
export interface ExampleRecord {
  readonly payload: Uint8Array[];
  readonly keys: (readonly [string, Feature['kind']])[];
}

/**
 * Encodes one record's features under `schema` (see {@link applySchema}): what the TFRecord target
 * and the read workers both write.
 *
 * @example
 * const { payload, keys } = encodeSchemaExample(resolveSchema('inception'), canonical, {});
 */
export function encodeSchemaExample(schema: Schema, canonical: Features, extra: Features): ExampleRecord {
  const features = applySchema(schema, canonical, extra);
  const keys = Object.entries(features).map(([k, f]) => [k, f.kind] as const);
  // Parts: the image bytes go from the file read to the shard without a copy.
  return { payload: encodeExampleParts(features), keys };
}
