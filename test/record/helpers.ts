// Shared helpers of the record tests (not a test file itself).
import { Writable } from 'node:stream';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordWriter, readRecords, type Compression, type ReadRecordsOptions, type RecordEntry } from '../../src/record/index.js';

/** Everything `write` puts into a RecordWriter, as one buffer. */
export async function writeToBuffer(payloads: Iterable<Uint8Array>, compression: Compression = 'none'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk); cb(); } });
  const writer = new RecordWriter(out, { compression });
  for (const p of payloads) await writer.write(p);
  await writer.close();
  return Buffer.concat(chunks);
}

/** `buf` as an async stream of `size`-byte chunks. */
export async function* chunked(buf: Uint8Array, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield Buffer.from(buf.buffer, buf.byteOffset + i, Math.min(size, buf.length - i));
}

export async function readAll(buf: Uint8Array, chunk = 65536, options: ReadRecordsOptions = {}): Promise<RecordEntry[]> {
  const out: RecordEntry[] = [];
  for await (const r of readRecords(chunked(buf, chunk), options)) out.push(r);
  return out;
}

export async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-record-'));
}

/** Offsets of the frames of `payloads` laid end to end. */
export function frameOffsets(payloads: readonly Uint8Array[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const p of payloads) {
    offsets.push(at);
    at += 16 + p.length;
  }
  return offsets;
}
