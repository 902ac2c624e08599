/** Zero-copy Example encoding: the same bytes as encodeExample, as parts that keep large values by reference. */
import { invalidParameterError } from '../errors.js';
import type { Feature, Features } from './example.js';

/** Values at least this long are passed through by reference instead of copied. */
const BY_REFERENCE_BYTES = 4096;
const encoder = new TextEncoder();

/**
 * The small bytes between large parts, gathered here and copied out once per part. Shared by every
 * record (encoding is synchronous, so one record at a time); gathering them in a JS array of numbers
 * instead allocated ~10 KB of heap per record.
 */
let scratch = new Uint8Array(16 * 1024);

/** Builds protobuf wire bytes into small chunks, with large values kept as separate parts. */
class PartsWriter {
  readonly parts: Uint8Array[] = [];
  /** Small bytes gathered in `scratch` since the last flush. */
  private used = 0;
  length = 0;

  private reserve(n: number): void {
    if (this.used + n <= scratch.length) return;
    const bigger = new Uint8Array(Math.max(scratch.length * 2, this.used + n));
    bigger.set(scratch.subarray(0, this.used));
    scratch = bigger;
  }

  byte(b: number): void {
    this.reserve(1);
    scratch[this.used++] = b;
    this.length++;
  }

  varint(value: number): void {
    let v = value;
    while (v > 0x7f) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }

  varint64(value: bigint): void {
    // Negative int64 is its two's complement as an unsigned 64-bit number: always 10 bytes.
    let v = BigInt.asUintN(64, value);
    while (v > 0x7fn) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  bytes(data: Uint8Array): void {
    if (data.length >= BY_REFERENCE_BYTES) {
      this.flush();
      this.parts.push(data);
    } else {
      this.reserve(data.length);
      scratch.set(data, this.used);
      this.used += data.length;
    }
    this.length += data.length;
  }

  flush(): void {
    if (this.used > 0) {
      // A Buffer (from Node's shared slab for small sizes): a stream takes it as is, without wrapping a plain Uint8Array.
      const part = Buffer.allocUnsafe(this.used);
      part.set(scratch.subarray(0, this.used));
      this.parts.push(part);
      this.used = 0;
    }
  }
}

function varintLength(value: number): number {
  let n = 1;
  let v = value;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function varint64Length(value: bigint): number {
  let v = BigInt.asUintN(64, value);
  let n = 1;
  while (v > 0x7fn) {
    v >>= 7n;
    n++;
  }
  return n;
}

/** Length of a Feature message's body. */
function featureBodyLength(feature: Feature): number {
  switch (feature.kind) {
    case 'bytes': {
      // BytesList: each value is tag 0x0a, length, bytes.
      const list = feature.values.reduce((n, v) => n + 1 + varintLength(v.length) + v.length, 0);
      return 1 + varintLength(list) + list;
    }
    case 'float': {
      const packed = feature.values.length * 4;
      const list = packed === 0 ? 0 : 1 + varintLength(packed) + packed;
      return 1 + varintLength(list) + list;
    }
    case 'int64': {
      const packed = feature.values.reduce((n, v) => n + varint64Length(v), 0);
      const list = packed === 0 ? 0 : 1 + varintLength(packed) + packed;
      return 1 + varintLength(list) + list;
    }
    default:
      throw invalidParameterError('feature', 'bytes, float or int64 feature', (feature as { kind: unknown }).kind);
  }
}

function writeFeature(w: PartsWriter, feature: Feature): void {
  switch (feature.kind) {
    case 'bytes': {
      const list = feature.values.reduce((n, v) => n + 1 + varintLength(v.length) + v.length, 0);
      w.byte(0x0a);
      w.varint(list);
      for (const v of feature.values) {
        w.byte(0x0a);
        w.varint(v.length);
        w.bytes(v);
      }
      return;
    }
    case 'float': {
      const packed = feature.values.length * 4;
      w.byte(0x12);
      w.varint(packed === 0 ? 0 : 1 + varintLength(packed) + packed);
      if (packed === 0) return;
      w.byte(0x0a);
      w.varint(packed);
      const buf = Buffer.alloc(packed);
      feature.values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
      w.bytes(buf);
      return;
    }
    case 'int64': {
      const packed = feature.values.reduce((n, v) => n + varint64Length(v), 0);
      w.byte(0x1a);
      w.varint(packed === 0 ? 0 : 1 + varintLength(packed) + packed);
      if (packed === 0) return;
      w.byte(0x0a);
      w.varint(packed);
      for (const v of feature.values) w.varint64(v);
    }
  }
}

/** UTF-8 bytes of feature keys: a run writes the same few keys into every record. */
const keyCache = new Map<string, Uint8Array>();
const KEY_CACHE_LIMIT = 1024;

function encodeKey(key: string): Uint8Array {
  let bytes = keyCache.get(key);
  if (bytes === undefined) {
    bytes = encoder.encode(key);
    if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(key, bytes);
  }
  return bytes;
}

/**
 * Encodes features exactly as {@link encodeExample} does (the tests compare them byte for byte),
 * but returns the payload as parts in which every value of 4 KB or more is the caller's own
 * buffer, not a copy: the record writer sends the parts with one writev and checksums them in
 * place, so an image's bytes are never copied between the file read and the shard write.
 *
 * @example
 * const parts = encodeExampleParts({ 'image/encoded': bytesFeature(jpeg) }); // parts[1] === jpeg
 */
export function encodeExampleParts(features: Features): Uint8Array[] {
  // The key order protobufjs gives: Object.keys of the keys inserted in sorted order.
  const ordered: Record<string, true> = {};
  for (const key of Object.keys(features).sort()) ordered[key] = true;
  const entries = Object.keys(ordered).map((key) => {
    const keyBytes = encodeKey(key);
    const feature = features[key] as Feature;
    const featureLength = featureBodyLength(feature);
    const entryLength = 1 + varintLength(keyBytes.length) + keyBytes.length + 1 + varintLength(featureLength) + featureLength;
    return { keyBytes, feature, featureLength, entryLength };
  });
  const featuresLength = entries.reduce((n, e) => n + 1 + varintLength(e.entryLength) + e.entryLength, 0);
  const w = new PartsWriter();
  w.byte(0x0a); // Example.features
  w.varint(featuresLength);
  for (const e of entries) {
    w.byte(0x0a); // Features.feature (map entry)
    w.varint(e.entryLength);
    w.byte(0x0a); // key
    w.varint(e.keyBytes.length);
    w.bytes(e.keyBytes);
    w.byte(0x12); // value
    w.varint(e.featureLength);
    writeFeature(w, e.feature);
  }
  w.flush();
  return w.parts;
}
