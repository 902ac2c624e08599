// A deliberately simple TFRecord + tf.train.Example reader for the fuzz test: whole buffers, no
// streaming, no shared code with src/. It follows TensorFlow's record_reader.cc (frame = u64 length,
// masked CRC-32C of it, data, masked CRC-32C of data; EOF at a frame boundary ends the file, EOF
// inside a frame or a bad CRC is DataLoss and nothing after it is read) and protobuf's parse rules
// for Example (as C++ Example::ParseFromString), except that keys are not checked for UTF-8.
import { inflateRawSync, constants } from 'node:zlib';

export interface RefRecord { readonly index: number; readonly offset: number; readonly data: Buffer }
export type RefErrorKind = 'truncated' | 'corrupt-length' | 'corrupt-data' | 'corrupt-compression';
export interface RefResult {
  readonly records: RefRecord[];
  readonly error: { readonly kind: RefErrorKind; readonly offset: number; readonly recordIndex: number } | null;
}

function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Reads frames from an uncompressed stream; `tailError` is damage after its last byte (compressed containers). */
export function referenceFrames(stream: Buffer, tailError: RefErrorKind | null = null): RefResult {
  const records: RefRecord[] = [];
  let pos = 0;
  for (let index = 0; ; index++) {
    const fail = (kind: RefErrorKind): RefResult => ({ records, error: { kind, offset: pos, recordIndex: index } });
    if (pos === stream.length) return tailError === null ? { records, error: null } : fail(tailError);
    // A cut container cuts the stream: what is left of a frame is truncated whatever it holds.
    if (stream.length - pos < 12) return fail(tailError === 'truncated' || tailError === null ? 'truncated' : tailError);
    if (stream.readUInt32LE(pos + 8) !== masked(stream.subarray(pos, pos + 8))) return fail('corrupt-length');
    const length = stream.readBigUInt64LE(pos);
    if (length + 16n > BigInt(stream.length - pos)) return fail(tailError === null ? 'truncated' : tailError);
    const n = Number(length);
    const data = stream.subarray(pos + 12, pos + 12 + n);
    if (stream.readUInt32LE(pos + 12 + n) !== masked(data)) return fail('corrupt-data');
    records.push({ index, offset: pos, data });
    pos += 16 + n;
  }
}

/**
 * Reads a whole file: plain, or GZIP members / one ZLIB stream (told apart as TensorFlow's callers
 * would: a valid first frame header means plain). Damage in the container after the deflate data
 * (bad CRC-32 / Adler-32 / length, junk, zero padding) is reported after every record.
 */
export function referenceRead(file: Buffer): RefResult {
  const plain = file.length >= 12 && file.readUInt32LE(8) === masked(file.subarray(0, 8));
  if (plain || file.length < 2) return referenceFrames(file);
  if (file[0] === 0x1f && file[1] === 0x8b) return readGzip(file);
  if (((file[0] as number) & 0x0f) === 8 && ((file[0] as number) << 8 | (file[1] as number)) % 31 === 0) return readZlib(file);
  return referenceFrames(file);
}

function inflate(body: Buffer): { out: Buffer; used: number; complete: boolean; damaged: boolean } {
  const sync = (b: Buffer): { buffer: Buffer; engine: { bytesWritten: number } } =>
    // Z_SYNC_FLUSH: a cut stream gives what it holds instead of an error.
    inflateRawSync(b, { info: true, finishFlush: constants.Z_SYNC_FLUSH }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    const { buffer, engine } = sync(body);
    const used = engine.bytesWritten;
    // Ended early with input left over: the deflate data is complete. Using it all: cut (or no trailer).
    return { out: buffer, used, complete: used < body.length, damaged: false };
  } catch {
    // Damaged deflate data: what the longest prefix that still inflates gives.
    let lo = 0;
    let hi = body.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        sync(body.subarray(0, mid));
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    return { out: sync(body.subarray(0, lo)).buffer, used: lo, complete: false, damaged: true };
  }
}

function readGzip(file: Buffer): RefResult {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    let p = pos + 10;
    const flags = file[pos + 3] as number;
    if (file.length < p) return referenceFrames(Buffer.concat(parts), 'truncated');
    if (flags & 4) p += 2 + file.readUInt16LE(p);
    if (flags & 8) p = file.indexOf(0, p) + 1;
    if (flags & 16) p = file.indexOf(0, p) + 1;
    if (flags & 2) p += 2;
    const { out, used, complete, damaged } = inflate(file.subarray(p));
    parts.push(out);
    if (damaged) return referenceFrames(Buffer.concat(parts), 'corrupt-compression');
    const trailer = p + used;
    if (!complete || file.length - trailer < 8) return referenceFrames(Buffer.concat(parts), 'truncated');
    let crc = 0xffffffff;
    for (const byte of out) {
      crc ^= byte;
      for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
    if (file.readUInt32LE(trailer) !== (crc ^ 0xffffffff) >>> 0 || file.readUInt32LE(trailer + 4) !== out.length) {
      return referenceFrames(Buffer.concat(parts), 'corrupt-compression');
    }
    pos = trailer + 8;
    if (pos === file.length) return referenceFrames(Buffer.concat(parts));
    // Only another member may follow: zero padding is junk too (TensorFlow's inflate rejects it).
    if (file[pos] !== 0x1f || file[pos + 1] !== 0x8b) return referenceFrames(Buffer.concat(parts), 'corrupt-compression');
  }
}

function readZlib(file: Buffer): RefResult {
  const { out, used, complete, damaged } = inflate(file.subarray(2));
  if (damaged) return referenceFrames(out, 'corrupt-compression');
  const trailer = 2 + used;
  if (!complete || file.length - trailer < 4) return referenceFrames(out, 'truncated');
  let a = 1;
  let b = 0;
  for (const byte of out) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  const bad = file.readUInt32BE(trailer) !== ((b << 16) | a) >>> 0 || trailer + 4 !== file.length;
  return referenceFrames(out, bad ? 'corrupt-compression' : null);
}

// ---- tf.train.Example ----------------------------------------------------------------------

/** A parsed Example, as a canonical summary: key bytes (hex) -> kind and values; null = not an Example. */
export type RefExample = Map<string, { kind: 'bytes' | 'float' | 'int64' | null; values: string[] }>;

class Bad extends Error {}

function varint(b: Buffer, p: { i: number }, end: number, max: number): bigint {
  let v = 0n;
  for (let k = 0; k < max; k++) {
    if (p.i >= end) throw new Bad();
    const byte = b[p.i++] as number;
    v |= BigInt(byte & 0x7f) << BigInt(7 * k);
    if (byte < 0x80) return v;
  }
  throw new Bad();
}

/** Fields of one message as [field, wireType, start, end] (start..end = the value's bytes). */
function fields(b: Buffer, start: number, end: number, depth: number): [number, number, number, number][] {
  if (depth > 100) throw new Bad();
  const out: [number, number, number, number][] = [];
  const p = { i: start };
  const groups: number[] = [];
  while (p.i < end) {
    const tag = Number(varint(b, p, end, 5) & 0xffffffffn);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 0) throw new Bad();
    const s = p.i;
    if (wt === 0) varint(b, p, end, 10);
    else if (wt === 1) p.i += 8;
    else if (wt === 5) p.i += 4;
    else if (wt === 2) {
      const n = varint(b, p, end, 5);
      if (n >= 2n ** 31n) throw new Bad();
      p.i += Number(n);
    } else if (wt === 3) {
      groups.push(field);
      if (groups.length + depth > 100) throw new Bad();
      continue;
    } else if (wt === 4) {
      if (groups.pop() !== field) throw new Bad();
      continue;
    } else throw new Bad();
    if (p.i > end) throw new Bad();
    if (groups.length === 0) out.push([field, wt, wt === 2 ? lengthStart(b, s) : s, p.i]);
  }
  if (groups.length > 0) throw new Bad();
  return out;
}

function lengthStart(b: Buffer, s: number): number {
  let i = s;
  while ((b[i] as number) >= 0x80) i++;
  return i + 1;
}

function parseFeature(b: Buffer, s: number, e: number, into: { kind: 'bytes' | 'float' | 'int64' | null; values: string[] }, depth: number): void {
  for (const [f, wt, fs, fe] of fields(b, s, e, depth)) {
    if (wt !== 2 || f < 1 || f > 3) continue;
    const kind = (['bytes', 'float', 'int64'] as const)[f - 1] as 'bytes' | 'float' | 'int64';
    if (into.kind !== kind) {
      into.kind = kind;
      into.values = [];
    }
    for (const [lf, lwt, ls, le] of fields(b, fs, fe, depth + 1)) {
      if (lf !== 1) continue;
      if (kind === 'bytes' && lwt === 2) into.values.push(b.subarray(ls, le).toString('hex'));
      if (kind === 'float' && lwt === 5) into.values.push(String(b.readFloatLE(ls)));
      if (kind === 'float' && lwt === 2) {
        if ((le - ls) % 4 !== 0) throw new Bad();
        for (let i = ls; i < le; i += 4) into.values.push(String(b.readFloatLE(i)));
      }
      if (kind === 'int64' && lwt === 0) into.values.push(String(BigInt.asIntN(64, varint(b, { i: ls }, le, 10))));
      if (kind === 'int64' && lwt === 2) {
        const p = { i: ls };
        while (p.i < le) into.values.push(String(BigInt.asIntN(64, varint(b, p, le, 10))));
      }
    }
  }
}

/** Parses an Example payload, or null when protobuf would refuse it. */
export function referenceExample(b: Buffer): RefExample | null {
  try {
    const map: RefExample = new Map();
    for (const [f, wt, s, e] of fields(b, 0, b.length, 0)) {
      if (f !== 1 || wt !== 2) continue;
      for (const [ef, ewt, es, ee] of fields(b, s, e, 1)) {
        if (ef !== 1 || ewt !== 2) continue;
        let key = '';
        const value = { kind: null as 'bytes' | 'float' | 'int64' | null, values: [] as string[] };
        for (const [kf, kwt, ks, ke] of fields(b, es, ee, 2)) {
          if (kf === 1 && kwt === 2) key = b.subarray(ks, ke).toString('hex');
          if (kf === 2 && kwt === 2) parseFeature(b, ks, ke, value, 3);
        }
        map.set(key, value);
      }
    }
    return map;
  } catch (error) {
    if (error instanceof Bad) return null;
    throw error;
  }
}
