/** tf.train.Example decoding by protobuf's own wire rules (as C++ Example::ParseFromString), losing no key. */
import type { Feature } from './feature.js';

// Why by hand and not protobufjs: protobufjs reads a field whatever its wire type, reads packed
// floats past the end of their field, replaces a repeated sub-message instead of merging it,
// turns invalid UTF-8 keys into U+FFFD (two such keys merge) and assigns map keys to a plain
// object (a "__proto__" key vanishes). Each made us call a record TensorFlow reads "not an
// Example", or the other way round. The rules below are protobuf's (proto3, C++ runtime):
// - a known field with an unexpected wire type is an unknown field, skipped;
// - unknown fields of wire types 0, 1, 2, 5 and groups (3 ... 4) are skipped; wire types 6 and 7,
//   field number 0, an end-group tag outside its group, a varint of more than 10 bytes (5 for
//   tags and lengths, lengths under 2^31) and anything running past its end are errors;
// - a sub-message that appears twice is merged; in Feature's oneof a different kind replaces the
//   one before; in a map entry the last key wins, and a later entry with the same key replaces
//   the earlier one; an entry without a value is a Feature with no kind set;
// - packed floats must be a multiple of 4 bytes; packed and unpacked values may mix.
// Keys are not checked for UTF-8 (tf.io.parse_example compares them as bytes): bytes that are not
// UTF-8 become lone surrogates U+DC80..U+DCFF ("surrogateescape"), which valid UTF-8 never yields,
// so every distinct byte string is a distinct key and the bytes can be recovered.

/** Nesting deeper than this fails, as protobuf's default recursion limit does. */
const MAX_DEPTH = 100;

/** Why a payload is not an Example, with the byte of the payload where parsing failed. */
export class WireError extends Error {
  constructor(readonly position: number, detail: string) {
    super(`${detail} at payload byte ${position}`);
  }
}

/** A cursor over one message's bytes [pos, end). */
class Cursor {
  constructor(readonly data: Uint8Array, public pos: number, readonly end: number) {}

  /** A varint of at most `maxBytes` bytes, as a Number (exact below 2^53; larger only compared). */
  varint(maxBytes: number, what: string): number {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) throw new WireError(start, `${what} runs past the end`);
      const byte = this.data[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) return value;
    }
    throw new WireError(start, `${what} is longer than ${maxBytes} bytes`);
  }

  /** A tag: at most 5 bytes, low 32 bits kept (as protobuf's ReadTag). */
  tag(): { field: number; wireType: number } {
    const start = this.pos;
    const raw = this.varint(5, 'tag');
    const tag = raw % 2 ** 32;
    const field = Math.floor(tag / 8);
    if (field === 0) throw new WireError(start, 'field number 0');
    return { field, wireType: tag & 7 };
  }

  /** A length-delimited field's extent. */
  length(): number {
    const start = this.pos;
    const n = this.varint(5, 'length');
    if (n >= 2 ** 31) throw new WireError(start, `length ${n} is over 2 GiB`);
    if (n > this.end - this.pos) throw new WireError(start, `length ${n} runs past the end (${this.end - this.pos} bytes left)`);
    return n;
  }

  sub(): Cursor {
    const n = this.length();
    const cursor = new Cursor(this.data, this.pos, this.pos + n);
    this.pos += n;
    return cursor;
  }

  /** An int64 varint (up to 10 bytes; bits above 64 dropped, as protobuf does). */
  int64(): bigint {
    const start = this.pos;
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(start, 'varint runs past the end');
      const byte = this.data[this.pos++] as number;
      value |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) return BigInt.asIntN(64, value);
    }
    throw new WireError(start, 'varint is longer than 10 bytes');
  }

  fixed(n: number): number {
    if (this.end - this.pos < n) throw new WireError(this.pos, `fixed${n * 8} runs past the end`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Skips a field whose tag was just read; groups nest up to the depth limit. */
  skip(field: number, wireType: number, depth: number): void {
    switch (wireType) {
      case 0:
        this.varint(10, 'varint');
        return;
      case 1:
        this.fixed(8);
        return;
      case 2: {
        // Not `this.pos += this.length()`: that adds to the position from before the length was read.
        const n = this.length();
        this.pos += n;
        return;
      }
      case 5:
        this.fixed(4);
        return;
      case 3:
        this.skipGroup(field, depth - 1);
        return;
      case 4:
        throw new WireError(this.pos - 1, `end-group tag of field ${field} outside its group`);
      default:
        throw new WireError(this.pos - 1, `invalid wire type ${wireType}`);
    }
  }

  private skipGroup(field: number, depth: number): void {
    if (depth < 0) throw new WireError(this.pos, 'nested too deeply');
    for (;;) {
      if (this.pos >= this.end) throw new WireError(this.pos, `group of field ${field} has no end`);
      const tag = this.tag();
      if (tag.wireType === 4) {
        if (tag.field !== field) throw new WireError(this.pos - 1, `end-group tag of field ${tag.field} inside group ${field}`);
        return;
      }
      this.skip(tag.field, tag.wireType, depth);
    }
  }
}

/** A Feature being built: the oneof's current kind and its values so far. */
interface FeatureState {
  /** null: no list set. */
  kind: Feature['kind'] | null;
  values: unknown[];
}

/** A parsed Feature: kind null when its oneof is unset. */
export type WireFeature = Feature | { readonly kind: null; readonly values: readonly never[] };

function readBytesList(c: Cursor, into: unknown[], depth: number): void {
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    if (field === 1 && wireType === 2) {
      const n = c.length();
      into.push(c.data.subarray(c.pos, c.pos + n));
      c.pos += n;
    } else c.skip(field, wireType, depth);
  }
}

function readFloatList(c: Cursor, into: unknown[], depth: number): void {
  const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    if (field === 1 && wireType === 2) {
      const start = c.pos;
      const n = c.length();
      if (n % 4 !== 0) throw new WireError(start, `packed floats are ${n} bytes, not a multiple of 4`);
      for (let at = c.pos; at < c.pos + n; at += 4) into.push(view.getFloat32(at, true));
      c.pos += n;
    } else if (field === 1 && wireType === 5) into.push(view.getFloat32(c.fixed(4), true));
    else c.skip(field, wireType, depth);
  }
}

function readInt64List(c: Cursor, into: unknown[], depth: number): void {
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    if (field === 1 && wireType === 2) {
      const packed = c.sub();
      while (packed.pos < packed.end) into.push(packed.int64());
    } else if (field === 1 && wireType === 0) into.push(c.int64());
    else c.skip(field, wireType, depth);
  }
}

const LIST_KINDS = [null, 'bytes', 'float', 'int64'] as const;
const LIST_READERS = [null, readBytesList, readFloatList, readInt64List] as const;

function readFeature(c: Cursor, state: FeatureState, depth: number): void {
  if (depth < 0) throw new WireError(c.pos, 'nested too deeply');
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    const kind = field <= 3 && wireType === 2 ? LIST_KINDS[field] : null;
    if (kind === null || kind === undefined) {
      c.skip(field, wireType, depth);
      continue;
    }
    // Another kind of the oneof replaces the one before; the same kind again merges.
    if (state.kind !== kind) {
      state.kind = kind;
      state.values = [];
    }
    if (depth - 1 < 0) throw new WireError(c.pos, 'nested too deeply');
    (LIST_READERS[field] as (c: Cursor, into: unknown[], depth: number) => void)(c.sub(), state.values, depth - 1);
  }
}

function readEntry(c: Cursor, features: Map<string, WireFeature>, depth: number): void {
  if (depth < 0) throw new WireError(c.pos, 'nested too deeply');
  let key: Uint8Array = new Uint8Array(0);
  const state: FeatureState = { kind: null, values: [] };
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    if (field === 1 && wireType === 2) {
      const n = c.length();
      key = c.data.subarray(c.pos, c.pos + n);
      c.pos += n;
    } else if (field === 2 && wireType === 2) readFeature(c.sub(), state, depth - 1);
    else c.skip(field, wireType, depth);
  }
  features.set(decodeKey(key), { kind: state.kind, values: state.values } as WireFeature);
}

function readFeatures(c: Cursor, features: Map<string, WireFeature>, depth: number): void {
  if (depth < 0) throw new WireError(c.pos, 'nested too deeply');
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    if (field === 1 && wireType === 2) readEntry(c.sub(), features, depth - 1);
    else c.skip(field, wireType, depth);
  }
}

/**
 * Parses Example wire bytes into features in wire order (a repeated key keeps its first position
 * and its last value) and the top-level field numbers other than `features`. Throws
 * {@link WireError} naming the payload byte where the bytes stop being an Example.
 *
 * @example
 * const { features } = parseExampleWire(record.data); // Map { 'image/encoded' => { kind: 'bytes', ... } }
 */
export function parseExampleWire(data: Uint8Array): { features: Map<string, WireFeature>; unknownFields: number[] } {
  const c = new Cursor(data, 0, data.length);
  const features = new Map<string, WireFeature>();
  const unknownFields: number[] = [];
  while (c.pos < c.end) {
    const { field, wireType } = c.tag();
    if (field === 1 && wireType === 2) readFeatures(c.sub(), features, MAX_DEPTH - 1);
    else {
      if (!unknownFields.includes(field)) unknownFields.push(field);
      c.skip(field, wireType, MAX_DEPTH);
    }
  }
  return { features, unknownFields };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A key's bytes as a string: UTF-8 where valid; each byte of an invalid sequence becomes the lone
 * surrogate U+DC00 + byte (never produced by valid UTF-8), so distinct bytes stay distinct keys.
 *
 * @example
 * decodeKey(Buffer.from([0x61, 0xff])); // 'a\udcff'
 */
export function decodeKey(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return decodeKeyLossless(bytes);
  }
}

function sequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] as number;
  const need = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > bytes.length) return 0;
  const b1 = bytes[i + 1] as number;
  // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
  const lo = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
  const hi = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < need; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return 0;
  return need;
}

function decodeKeyLossless(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i] as number;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + b0);
      i++;
    } else {
      out += utf8.decode(bytes.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

const LONE_SURROGATE = /[\udc80-\udcff]/u;
const ESCAPE_NEEDED = /[\udc80-\udcff]|\\x[0-9a-f]{2}/u;

/**
 * True when a decoded key came from bytes that are not valid UTF-8.
 *
 * @example
 * isNonUtf8Key(decodeKey(Buffer.from([0xff]))); // true
 */
export function isNonUtf8Key(key: string): boolean {
  return LONE_SURROGATE.test(key);
}

/**
 * A key as people read it: unchanged, unless it has bytes that are not UTF-8 (shown `\xff`) or
 * text that looks like such an escape; then backslashes are doubled too, so no two keys ever
 * show the same.
 *
 * @example
 * formatKey(decodeKey(Buffer.from([0x61, 0xff]))); // 'a\\xff' (printed: a\xff)
 */
export function formatKey(key: string): string {
  if (!ESCAPE_NEEDED.test(key)) return key;
  return key.replace(/\\/g, '\\\\').replace(/[\udc80-\udcff]/gu, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}
