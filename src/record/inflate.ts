/** GZIP and ZLIB containers read by hand around raw inflate, so damage after the deflate data is located exactly. */
import type { FileHandle } from 'node:fs/promises';
import { createInflateRaw, crc32 as zlibCrc32, type InflateRaw } from 'node:zlib';
import { CorruptRecordError, TruncatedRecordError } from '../errors.js';

// Why not createGunzip/createInflate: when the gzip CRC-32 or ISIZE is wrong, or junk follows the
// stream, they fail the whole last write and drop up to a chunk of output that decompressed fine
// (the last intact records), and they accept trailing zero bytes silently. Here the deflate data
// goes through raw inflate, every byte it yields is passed on, and only then are the trailer and
// what follows checked, so the error comes after every intact record, at its real offset.
// As TensorFlow's ZlibInputStream, a GZIP file may hold several members back to back.

/** Compressed bytes fed to inflate at a time: small, so one write's output (≤ ~1000x) stays bounded. */
const INPUT_CHUNK_BYTES = 64 * 1024;

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Where a container error is: the uncompressed bytes produced so far; the reader re-bases it on its record. */
interface Position {
  readonly path: string;
  produced: number;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

function truncated(at: Position, detail: string): TruncatedRecordError {
  return new TruncatedRecordError(at.produced, `compressed stream ends early (${detail})`, { path: at.path });
}

function corrupt(at: Position, detail: string): CorruptRecordError {
  return new CorruptRecordError(at.produced, 'compression', detail, { path: at.path });
}

/** Length of the GZIP member header at `start` (RFC 1952), or a thrown error. */
async function readGzipHeader(handle: FileHandle, start: number, at: Position): Promise<number> {
  const fixed = await readAt(handle, start, 10);
  if (fixed.length < 10) throw truncated(at, `gzip header cut after ${fixed.length} bytes`);
  if (fixed[0] !== 0x1f || fixed[1] !== 0x8b) throw corrupt(at, 'not a gzip member header');
  if (fixed[2] !== 8) throw corrupt(at, `gzip compression method ${fixed[2]} is not deflate`);
  const flags = fixed[3] as number;
  if ((flags & 0xe0) !== 0) throw corrupt(at, 'gzip header has reserved flag bits set');
  let pos = start + 10;
  if ((flags & FEXTRA) !== 0) {
    const len = await readAt(handle, pos, 2);
    if (len.length < 2) throw truncated(at, 'gzip extra field cut');
    pos += 2 + len.readUInt16LE(0);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if ((flags & flag) === 0) continue;
    // A zero-terminated string; read in small pieces until the terminator.
    for (;;) {
      const piece = await readAt(handle, pos, 256);
      if (piece.length === 0) throw truncated(at, 'gzip header string has no end');
      const zero = piece.indexOf(0);
      if (zero >= 0) {
        pos += zero + 1;
        break;
      }
      pos += piece.length;
    }
  }
  if ((flags & FHCRC) !== 0) pos += 2;
  return pos - start;
}

/** Length of the ZLIB header at `start` (RFC 1950). */
async function readZlibHeader(handle: FileHandle, start: number, at: Position): Promise<number> {
  const h = await readAt(handle, start, 2);
  if (h.length < 2) throw truncated(at, 'zlib header cut');
  const [cmf = 0, flg = 0] = h;
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) throw corrupt(at, 'not a zlib header');
  if ((flg & 0x20) !== 0) throw corrupt(at, 'zlib stream needs a preset dictionary');
  return 2;
}

/** Adler-32 (RFC 1950), continued from `adler`. */
function adler32(adler: number, data: Uint8Array): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  for (let i = 0; i < data.length;) {
    const end = Math.min(data.length, i + 3800); // no overflow before the modulo
    for (; i < end; i++) {
      a += data[i] as number;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Runs a write or end and waits for its callback, or for the error that means there will be none. */
function settle(inflate: InflateRaw, start: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      inflate.off('error', done);
      inflate.off('close', done);
      resolve();
    };
    inflate.once('error', done);
    inflate.once('close', done);
    start(done);
  });
}

/** Output chunks of one raw deflate stream starting at `start`; `result.consumed` is set at its end. */
async function* inflateRaw(handle: FileHandle, start: number, at: Position, result: { consumed: number }): AsyncGenerator<Buffer> {
  const inflate: InflateRaw = createInflateRaw();
  const out: Buffer[] = [];
  let ended = false;
  let failure: Error | null = null;
  inflate.on('data', (chunk: Buffer) => out.push(chunk));
  inflate.on('end', () => (ended = true));
  inflate.on('error', (error: Error) => (failure = error));
  let position = start;
  try {
    while (!ended && failure === null) {
      const input = await readAt(handle, position, INPUT_CHUNK_BYTES);
      position += input.length;
      await settle(inflate, (done) => (input.length === 0 ? inflate.end(done) : inflate.write(input, done)));
      // 'end' and 'error' are emitted on a later tick than the write callback.
      await new Promise<void>((resolve) => setImmediate(resolve));
      yield* out.splice(0);
      if (input.length === 0 && !ended && failure === null) failure = Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
    }
    yield* out.splice(0);
    if (failure !== null) {
      const err = failure as NodeJS.ErrnoException;
      if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) throw truncated(at, `deflate data cut: ${err.message}`);
      throw corrupt(at, `cannot decompress: ${err.message}`);
    }
    result.consumed = inflate.bytesWritten;
  } finally {
    inflate.destroy();
  }
}

/**
 * The uncompressed bytes of a GZIP or ZLIB file: every byte that decompresses is yielded before
 * any error about the trailer (gzip CRC-32 and length, zlib Adler-32) or about bytes after the
 * stream (which must be another gzip member; anything else, zero bytes included, is an error).
 * Errors are TruncatedRecordError / CorruptRecordError (region 'compression') at the number of
 * uncompressed bytes produced; {@link readRecords} re-bases them on the record being read.
 *
 * @example
 * for await (const chunk of inflateFile(handle, 'gzip', 'a.tfrecord.gz')) queue.push(chunk);
 */
export async function* inflateFile(handle: FileHandle, compression: 'gzip' | 'zlib', path: string): AsyncGenerator<Buffer> {
  const at: Position = { path, produced: 0 };
  let start = 0;
  for (let member = 0; ; member++) {
    const headerBytes = compression === 'gzip' ? await readGzipHeader(handle, start, at) : await readZlibHeader(handle, start, at);
    const result = { consumed: 0 };
    let check = compression === 'gzip' ? 0 : 1;
    let size = 0;
    for await (const chunk of inflateRaw(handle, start + headerBytes, at, result)) {
      check = compression === 'gzip' ? zlibCrc32(chunk, check) : adler32(check, chunk);
      size += chunk.length;
      at.produced += chunk.length;
      yield chunk;
    }
    const trailerAt = start + headerBytes + result.consumed;
    const trailerBytes = compression === 'gzip' ? 8 : 4;
    const trailer = await readAt(handle, trailerAt, trailerBytes);
    const what = compression === 'gzip' ? `gzip member ${member}` : 'zlib stream';
    if (trailer.length < trailerBytes) throw truncated(at, `${what} ends without its ${trailerBytes}-byte trailer`);
    if (compression === 'gzip') {
      if (trailer.readUInt32LE(0) !== check >>> 0) throw corrupt(at, `${what}: CRC-32 mismatch (data decompressed, but its checksum is wrong)`);
      if (trailer.readUInt32LE(4) !== size % 2 ** 32) throw corrupt(at, `${what}: length mismatch (trailer says ${trailer.readUInt32LE(4)} bytes, got ${size % 2 ** 32})`);
    } else if (trailer.readUInt32BE(0) !== check) throw corrupt(at, `${what}: Adler-32 mismatch (data decompressed, but its checksum is wrong)`);
    start = trailerAt + trailerBytes;
    const next = await readAt(handle, start, 2);
    if (next.length === 0) return;
    if (compression === 'gzip' && next.length === 2 && next[0] === 0x1f && next[1] === 0x8b) continue;
    const first = `0x${(next[0] as number).toString(16).padStart(2, '0')}`;
    throw corrupt(at, `junk after the end of the ${what} at file byte ${start} (starts with ${first})`);
  }
}
