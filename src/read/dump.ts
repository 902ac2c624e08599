/** Renders Examples as JSON objects (one per record) for people and for jq. */
import { formatKey, type DecodedExample, type Feature, type Features } from '../example/index.js';
import { invalidParameterError } from '../errors.js';
import { readExamples } from './examples.js';
import { compareCodeUnits } from '../runtime/compare.js';
import { readRecordBoxes } from './extract-boxes.js';

/** How bytes values are shown. `auto`: UTF-8 text when printable, else length for values over 64 bytes, else base64. */
export type BytesDisplay = 'auto' | 'base64' | 'hex' | 'length';

/** Options of {@link dumpRecords}. */
export interface DumpOptions {
  readonly bytes?: BytesDisplay;
  /** Stop after this many records in total. */
  readonly limit?: number;
  /** Only these keys. */
  readonly keys?: readonly string[];
}

/** A record as JSON: int64 values beyond 2^53 are strings so they print exactly. */
export interface DumpedRecord {
  readonly file: string;
  readonly index: number;
  readonly offset: number;
  /** Present only for a tf.train.SequenceExample, whose `features` are its context (feature_lists are not shown). */
  readonly kind?: 'sequence-example';
  /**
   * By key (escaped as `\xff` where a key is not UTF-8). `type` is null for an empty feature (a
   * Feature with no list set, as a map entry with a key and no value gives).
   */
  readonly features: Record<string, { readonly type: Feature['kind'] | null; readonly values: readonly unknown[] }>;
  /**
   * Object-detection records (image/object/bbox/* keys), unless `keys` is given: one entry per box,
   * corners normalised as stored, with its class text and label id (null when the record lacks them).
   */
  readonly boxes?: readonly DumpedBox[];
}

/** One box of {@link DumpedRecord.boxes}. */
export interface DumpedBox {
  readonly class: string | null;
  readonly label: number | null;
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
}

function dumpBoxes(features: Features): DumpedBox[] | null {
  const boxes = readRecordBoxes(features);
  return boxes === null ? null : boxes.map((b) => ({
    class: b.text, label: b.label, xmin: formatFloat32(b.xmin), ymin: formatFloat32(b.ymin), xmax: formatFloat32(b.xmax), ymax: formatFloat32(b.ymax),
  }));
}

const PRINTABLE = /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/;

function showBytes(value: Uint8Array, mode: BytesDisplay): unknown {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  switch (mode) {
    case 'base64':
      return { base64: buf.toString('base64') };
    case 'hex':
      return { hex: buf.toString('hex') };
    case 'length':
      return { bytes: buf.length };
    case 'auto': {
      const text = buf.toString('utf8');
      // Round-trip check: only valid UTF-8 without control characters is shown as text.
      if (PRINTABLE.test(text) && Buffer.byteLength(text) === buf.length && !text.includes('\ufffd')) return text;
      return buf.length > 64 ? { bytes: buf.length } : { base64: buf.toString('base64') };
    }
  }
}

/** The shortest decimal that reads back as the same float32 (3.14, not 3.140000104904175). */
export function formatFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function showInt(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/**
 * Turns one Example's features into plain JSON values, keys sorted, shown with `formatKey`.
 * Pass a decoded Example to keep empty features (type null) and keys such as `__proto__`.
 *
 * @example
 * featuresToJson(features, 'auto'); // { 'image/height': { type: 'int64', values: [194] }, ... }
 */
export function featuresToJson(features: Features | DecodedExample, mode: BytesDisplay, keys: readonly string[] | null = null): DumpedRecord['features'] {
  const decoded = isDecoded(features) ? features : null;
  const map: ReadonlyMap<string, Feature> = decoded?.featureMap ?? new Map(Object.entries(features as Features));
  const empty = new Set(decoded?.emptyKeys ?? []);
  const shown = [...map.keys()].map((key) => [formatKey(key), key] as const).sort(([a], [b]) => compareCodeUnits(a, b));
  // Object.fromEntries defines own properties, so a "__proto__" key is kept, not taken as the prototype.
  const out: [string, { type: Feature['kind'] | null; values: unknown[] }][] = [];
  for (const [label, key] of shown) {
    if (keys !== null && !keys.includes(label) && !keys.includes(key)) continue;
    const f = map.get(key) as Feature;
    const values = f.kind === 'bytes' ? f.values.map((v) => showBytes(v, mode))
      : f.kind === 'int64' ? f.values.map(showInt)
        : f.values.map(formatFloat32);
    out.push([label, { type: empty.has(key) ? null : f.kind, values }]);
  }
  return Object.fromEntries(out);
}

function isDecoded(value: Features | DecodedExample): value is DecodedExample {
  return (value as Partial<DecodedExample>).featureMap instanceof Map && Array.isArray((value as Partial<DecodedExample>).emptyKeys);
}

/**
 * Yields every record of `files` as a JSON-ready object, in file order.
 *
 * @example
 * for await (const r of dumpRecords(['a.tfrecord'], { limit: 5 })) console.log(JSON.stringify(r));
 */
export async function* dumpRecords(files: readonly string[], options: DumpOptions = {}): AsyncGenerator<DumpedRecord> {
  const mode = options.bytes ?? 'auto';
  if (!['auto', 'base64', 'hex', 'length'].includes(mode)) throw invalidParameterError('bytes', 'one of auto, base64, hex, length', mode);
  const limit = options.limit ?? Infinity;
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0)) throw invalidParameterError('limit', 'non-negative integer', limit);
  const keys = options.keys ?? null;
  let count = 0;
  if (count >= limit) return;
  for (const file of files) {
    for await (const entry of readExamples(file)) {
      const features = featuresToJson(entry.example, mode, keys);
      const boxes = keys === null ? dumpBoxes(entry.features) : null;
      const record: DumpedRecord = entry.kind === 'sequence-example'
        ? { file, index: entry.index, offset: entry.offset, kind: 'sequence-example', features }
        : { file, index: entry.index, offset: entry.offset, features };
      yield boxes === null ? record : { ...record, boxes };
      if (++count >= limit) return;
    }
  }
}
