/** tf.train.Example encoding and decoding: features in, protobuf bytes out, and back. */
import { ExampleParseError, invalidParameterError, type ErrorContext } from '../errors.js';
import { loadExampleProto } from './proto.js';

/** One feature: a list of bytes, float32 or int64 values, as in tf.train.Feature. */
export type Feature =
  | { readonly kind: 'bytes'; readonly values: readonly Uint8Array[] }
  | { readonly kind: 'float'; readonly values: readonly number[] }
  | { readonly kind: 'int64'; readonly values: readonly bigint[] };

/** An Example's features by key. */
export type Features = { readonly [key: string]: Feature };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const encoder = new TextEncoder();

/**
 * A bytes feature; strings are UTF-8 encoded.
 *
 * @example
 * bytesFeature('jpeg'); bytesFeature(imageBuffer);
 */
export function bytesFeature(...values: (Uint8Array | string)[]): Feature {
  return { kind: 'bytes', values: values.map((v) => (typeof v === 'string' ? encoder.encode(v) : v)) };
}

/**
 * An int64 feature. Numbers must be safe integers; bigints must fit in int64.
 *
 * @example
 * int64Feature(224, 224, 3); int64Feature(2n ** 62n);
 */
export function int64Feature(...values: (bigint | number)[]): Feature {
  return {
    kind: 'int64',
    values: values.map((v) => {
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) throw invalidParameterError('int64 value', 'safe integer (or a bigint)', v);
        return BigInt(v);
      }
      if (typeof v !== 'bigint' || v < INT64_MIN || v > INT64_MAX) {
        throw invalidParameterError('int64 value', 'bigint between -2^63 and 2^63-1', v);
      }
      return v;
    }),
  };
}

/**
 * A float feature (stored as float32, so values round to the nearest float32).
 *
 * @example
 * floatFeature(0.5, 0.25);
 */
export function floatFeature(...values: number[]): Feature {
  for (const v of values) if (typeof v !== 'number') throw invalidParameterError('float value', 'number', v);
  return { kind: 'float', values };
}

function toMessageFeature(key: string, feature: Feature): object {
  switch (feature.kind) {
    case 'bytes':
      return { bytesList: { value: feature.values } };
    case 'float':
      return { floatList: { value: feature.values } };
    case 'int64':
      // protobufjs takes int64 as decimal strings (via long), which keeps values beyond 2^53 exact.
      return { int64List: { value: feature.values.map((v) => v.toString()) } };
    default:
      throw invalidParameterError(`feature ${key}`, 'bytes, float or int64 feature', (feature as { kind: unknown }).kind);
  }
}

/**
 * Serialises features as a tf.train.Example. Keys are written in sorted order, so the same
 * features always give the same bytes.
 *
 * @example
 * const payload = encodeExample({ 'image/encoded': bytesFeature(jpeg), 'image/class/label': int64Feature(3) });
 */
export function encodeExample(features: Features): Uint8Array {
  if (typeof features !== 'object' || features === null) throw invalidParameterError('features', 'object of key -> Feature', features);
  const feature: Record<string, object> = {};
  for (const key of Object.keys(features).sort()) feature[key] = toMessageFeature(key, features[key] as Feature);
  return loadExampleProto().Example.encode({ features: { feature } }).finish();
}

/** A decoded Example. */
export interface DecodedExample {
  readonly features: Features;
  /** Top-level field numbers other than 1 (2 = a SequenceExample's feature_lists). */
  readonly unknownFields: readonly number[];
}

/** What a payload is: an Example, a SequenceExample, or neither. */
export type PayloadKind = 'example' | 'sequence-example' | 'invalid';

function scanTopLevel(data: Uint8Array): number[] {
  const reader = loadExampleProto().Reader.create(data);
  const unknown: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 0) throw new Error('invalid tag 0');
    if (field === 1 && wireType !== 2) throw new Error('field 1 (features) is not length-delimited');
    if (field !== 1 && !unknown.includes(field)) unknown.push(field);
    reader.skipType(wireType);
  }
  return unknown;
}

/**
 * Tells an Example from a SequenceExample (which has field 2, feature_lists) or garbage.
 *
 * @example
 * classifyPayload(record.data); // 'example'
 */
export function classifyPayload(data: Uint8Array): PayloadKind {
  try {
    const unknown = scanTopLevel(data);
    return unknown.includes(2) ? 'sequence-example' : 'example';
  } catch {
    return 'invalid';
  }
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(value);
  // protobufjs gives int64 as a Long ({ low, high } 32-bit halves) when the long package is present.
  const long = value as { low: number; high: number };
  return BigInt.asIntN(64, (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0));
}

interface MessageFeature {
  bytesList?: { value?: Uint8Array[] } | null;
  floatList?: { value?: number[] } | null;
  int64List?: { value?: unknown[] } | null;
}

/**
 * Parses a tf.train.Example. Bytes values are views into `data` (no copy). Throws
 * {@link ExampleParseError} with the given context on malformed bytes.
 *
 * @example
 * const { features } = decodeExample(record.data);
 * features['image/class/label']; // { kind: 'int64', values: [3n] }
 */
export function decodeExample(data: Uint8Array, context: ErrorContext = {}): DecodedExample {
  let unknownFields: number[];
  let message: { features?: { feature?: Record<string, MessageFeature> } };
  try {
    unknownFields = scanTopLevel(data);
    message = loadExampleProto().Example.decode(data) as typeof message;
  } catch (error) {
    throw new ExampleParseError((error as Error).message, context);
  }
  const features: Record<string, Feature> = {};
  for (const [key, f] of Object.entries(message.features?.feature ?? {})) {
    // protobufjs leaves unset message fields null (on the prototype), so test with != null.
    if (f.bytesList != null) features[key] = { kind: 'bytes', values: f.bytesList.value ?? [] };
    else if (f.floatList != null) features[key] = { kind: 'float', values: f.floatList.value ?? [] };
    else if (f.int64List != null) features[key] = { kind: 'int64', values: (f.int64List.value ?? []).map(toBigInt) };
    // A Feature with no kind set is an empty feature in TensorFlow; keep it as an empty bytes list.
    else features[key] = { kind: 'bytes', values: [] };
  }
  return { features, unknownFields };
}
