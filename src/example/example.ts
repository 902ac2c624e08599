/** tf.train.Example encoding and decoding: features in, protobuf bytes out, and back. */
import { ExampleParseError, invalidParameterError, type ErrorContext } from '../errors.js';
import { parseExampleWire, WireError } from './decode.js';
import { loadExampleProto } from './proto.js';
import type { Feature, Features } from './feature.js';

export type { Feature, Features };

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
  /** Features by key, on an object without prototype. */
  readonly features: Features;
  /** The same features as a Map, in wire order. */
  readonly featureMap: ReadonlyMap<string, Feature>;
  /**
   * Keys whose Feature has no list set (a map entry with a key and no value, or an empty Feature):
   * TensorFlow's empty feature. Their entry in `features` is an empty bytes list.
   */
  readonly emptyKeys: readonly string[];
  /** Top-level field numbers other than 1 (2 = a SequenceExample's feature_lists). */
  readonly unknownFields: readonly number[];
}

/** What a payload is: an Example, a SequenceExample, or neither. */
export type PayloadKind = 'example' | 'sequence-example' | 'invalid';

/**
 * Tells an Example from a SequenceExample (which has field 2, feature_lists) or garbage, by the
 * same wire rules as {@link decodeExample}.
 *
 * @example
 * classifyPayload(record.data); // 'example'
 */
export function classifyPayload(data: Uint8Array): PayloadKind {
  try {
    return parseExampleWire(data).unknownFields.includes(2) ? 'sequence-example' : 'example';
  } catch (error) {
    if (error instanceof WireError) return 'invalid';
    throw error;
  }
}

/**
 * Parses a tf.train.Example by protobuf's wire rules (a SequenceExample's context reads as its
 * features). Bytes values are views into `data` (no copy). Keys that are not UTF-8 are kept
 * distinct (see `decodeKey`); `features` has no prototype, so a key such as `__proto__` is an
 * ordinary key. Throws {@link ExampleParseError} with the given context on malformed bytes.
 *
 * @example
 * const { features } = decodeExample(record.data);
 * features['image/class/label']; // { kind: 'int64', values: [3n] }
 */
export function decodeExample(data: Uint8Array, context: ErrorContext = {}): DecodedExample {
  let parsed: ReturnType<typeof parseExampleWire>;
  try {
    parsed = parseExampleWire(data);
  } catch (error) {
    if (error instanceof WireError) throw new ExampleParseError(error.message, context);
    throw error;
  }
  const features = Object.create(null) as Record<string, Feature>;
  const emptyKeys: string[] = [];
  const featureMap = new Map<string, Feature>();
  for (const [key, feature] of parsed.features) {
    const kept: Feature = feature.kind === null ? { kind: 'bytes', values: [] } : feature;
    if (feature.kind === null) emptyKeys.push(key);
    features[key] = kept;
    featureMap.set(key, kept);
  }
  return { features, featureMap, emptyKeys, unknownFields: parsed.unknownFields };
}
