import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { gunzipSync, inflateSync } from 'node:zlib';
import CRC32 from 'crc-32';
import { frameRecordToBuffer, RecordWriter } from '../../src/record/index.js';
import { InvalidOptionError, WriterClosedError } from '../../src/errors.js';
import { readAll, tempDir, writeToBuffer } from './helpers.js';

const payloads = [Buffer.from('first record'), Buffer.alloc(0), Buffer.alloc(1000, 'x'), Buffer.from('last')];
const framed = Buffer.concat(payloads.map((p) => frameRecordToBuffer(p)));

test('writer output equals hand-built frames; records and bytes count them', async () => {
  const chunks: Buffer[] = [];
  const w = new RecordWriter(new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
  for (const p of payloads) await w.write(p);
  assert.equal(w.records, 4);
  assert.equal(w.bytes, framed.length);
  await w.close();
  assert.ok(Buffer.concat(chunks).equals(framed));
});

test('header, payload and footer reach the stream as separate chunks of one writev: the payload is not copied', async () => {
  const batches: Buffer[][] = [];
  const out = new Writable({
    writev(chunks, cb) { batches.push(chunks.map((c) => c.chunk as Buffer)); cb(); },
    write(chunk: Buffer, _e, cb) { batches.push([chunk]); cb(); },
  });
  const payload = Buffer.alloc(100, 7);
  const w = new RecordWriter(out);
  await w.write(payload);
  await w.close();
  const all = batches.flat();
  assert.equal(batches.length, 1, 'one writev');
  assert.equal(all.length, 3);
  assert.equal(all[1], payload, 'the very same Buffer');
});

test('write after close rejects with WriterClosedError; close twice is fine', async () => {
  const w = new RecordWriter(new PassThrough().resume());
  await w.write(Buffer.from('a'));
  await w.close();
  await w.close();
  await assert.rejects(w.write(Buffer.from('late')), WriterClosedError);
  await assert.rejects(w.write(Buffer.from('late')), (e: unknown) => e instanceof WriterClosedError && e.code === 'ERR_WRITER_CLOSED');
  assert.equal(w.records, 1);
});

test('backpressure: a slow Writable with a tiny highWaterMark gets everything in order, never over-buffered', async () => {
  const received: Buffer[] = [];
  const highWaterMark = 64;
  const out = new Writable({ highWaterMark, write(c: Buffer, _e, cb) { received.push(Buffer.from(c)); setImmediate(cb); } });
  const w = new RecordWriter(out);
  const expected: string[] = [];
  let largestFrame = 0;
  let sawTwoBatches = false;
  for (let i = 0; i < 300; i++) {
    const text = `record ${i} `.repeat(i % 7);
    expected.push(text);
    largestFrame = Math.max(largestFrame, text.length + 16);
    await w.write(Buffer.from(text));
    // At most two batches: one being written (a mark's worth, plus the record that filled it)
    // and one gathering (under the mark).
    assert.ok(out.writableLength < 2 * highWaterMark + largestFrame, `after record ${i}: ${out.writableLength} bytes buffered`);
    sawTwoBatches ||= out.writableLength >= highWaterMark;
  }
  assert.ok(sawTwoBatches, 'the next batch gathers while the last one is written');
  await w.close();
  assert.deepEqual((await readAll(Buffer.concat(received))).map((r) => r.data.toString()), expected);
});

test('gzip/zlib: one stream over the whole framing, byte-identical however fast the consumer is', async () => {
  const records = Array.from({ length: 3000 }, (_, i) => Buffer.alloc(i % 300, i & 0xff));
  const plain = Buffer.concat(records.map((r) => frameRecordToBuffer(r)));
  for (const compression of ['gzip', 'zlib'] as const) {
    const fast = await writeToBuffer(records, compression);
    const slowChunks: Buffer[] = [];
    const slow = new Writable({ highWaterMark: 1, write(c: Buffer, _e, cb) { slowChunks.push(c); setImmediate(cb); } });
    const w = new RecordWriter(slow, { compression });
    for (const r of records) await w.write(r);
    assert.equal(w.bytes, plain.length, 'bytes counts the uncompressed framing');
    await w.close();
    assert.ok(Buffer.concat(slowChunks).equals(fast), `${compression}: deterministic`);
    if (compression === 'gzip') {
      assert.ok(gunzipSync(fast).equals(plain));
      // One member: the trailer's CRC-32 and size cover the whole framing (a member per write would not).
      assert.equal(fast.readUInt32LE(fast.length - 8), CRC32.buf(plain) >>> 0);
      assert.equal(fast.readUInt32LE(fast.length - 4), plain.length % 2 ** 32);
    } else {
      assert.ok(inflateSync(fast).equals(plain));
      assert.equal(fast.readUInt32BE(fast.length - 4), adler32(plain));
    }
  }
});

test('a stream error (ENOSPC) rejects write or close, plain and compressed; never an unhandled error', async () => {
  for (const compression of ['none', 'gzip', 'zlib'] as const) {
    const failing = new Writable({ write(_c, _e, cb) { cb(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })); } });
    const w = new RecordWriter(failing, { compression });
    await assert.rejects(async () => {
      for (let i = 0; i < 100; i++) await w.write(Buffer.alloc(100000, i));
      await w.close();
    }, /ENOSPC/, compression);
    await assert.rejects(w.close(), /ENOSPC/);
  }
});

test('a stream destroyed under the writer rejects instead of waiting for a drain that never comes', async () => {
  for (const compression of ['none', 'gzip'] as const) {
    const out = new Writable({ highWaterMark: 16, write(_c, _e, _cb) { /* never completes */ } });
    const w = new RecordWriter(out, { compression });
    const pending = (async () => { for (let i = 0; i < 1000; i++) await w.write(Buffer.alloc(1000, i)); })();
    setImmediate(() => out.destroy());
    await assert.rejects(pending, /premature close|destroyed/i, compression);
  }
});

test('close waits for the file to be complete and its descriptor closed', async () => {
  const path = join(await tempDir(), 'a.tfrecord');
  const out = createWriteStream(path);
  const w = new RecordWriter(out);
  for (const p of payloads) await w.write(p);
  await w.close();
  assert.equal(out.closed, true);
  assert.ok((await readFile(path)).equals(framed));
});

test('end: false flushes everything but leaves the stream open (stdout)', async () => {
  const chunks: Buffer[] = [];
  const out = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); setImmediate(cb); } });
  const w = new RecordWriter(out, { compression: 'gzip', end: false });
  for (const p of payloads) await w.write(p);
  await w.close();
  assert.equal(out.writableEnded, false);
  assert.ok(gunzipSync(Buffer.concat(chunks)).equals(framed));
});

test('bad arguments are InvalidOptionError', async () => {
  const out = new PassThrough();
  assert.throws(() => new RecordWriter(out, { compression: 'brotli' as 'gzip' }), /Expected one of none, gzip, zlib for compression but received "brotli"/);
  assert.throws(() => new RecordWriter({} as Writable), InvalidOptionError);
  const w = new RecordWriter(out.resume());
  await assert.rejects(w.write('text' as unknown as Uint8Array), InvalidOptionError);
  await w.close();
});

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

test('onWritten runs only after the stream has taken the record, plain and compressed', async () => {
  // Plain: the callback waits for the writev that carries the record.
  const pending: (() => void)[] = [];
  let written = 0;
  const out = new Writable({
    highWaterMark: 64,
    writev(chunks, cb) { pending.push(() => { written += chunks.length; cb(); }); },
  });
  const w = new RecordWriter(out);
  const calls: number[] = [];
  await w.writeParts([Buffer.alloc(10, 1)], () => calls.push(written));
  assert.equal(calls.length, 0, 'not before the batch is written');
  const second = w.writeParts([Buffer.alloc(100, 2)], () => calls.push(written));
  await new Promise((resolve) => setImmediate(resolve));
  while (pending.length > 0) (pending.shift() as () => void)();
  await second;
  const closing = w.close();
  await new Promise((resolve) => setImmediate(resolve));
  while (pending.length > 0) (pending.shift() as () => void)();
  await closing;
  assert.equal(calls.length, 2);
  assert.ok(calls.every((n) => n >= 6), `called after the writev of both records: ${calls}`);

  // GZIP: small records are copied into the batch (free at once); a large part is free once zlib took it.
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
  const z = new RecordWriter(sink, { compression: 'gzip' });
  let small = false;
  let large = false;
  await z.writeParts([Buffer.from('tiny')], () => { small = true; });
  assert.equal(small, true);
  await z.writeParts([Buffer.alloc(200_000, 3)], () => { large = true; });
  await z.close();
  assert.equal(large, true);
  assert.equal((await readAll(gunzipSync(Buffer.concat(chunks)))).length, 2);
});
