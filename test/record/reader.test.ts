import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameRecordToBuffer, maskedCrc32c, readRecords, DEFAULT_MAX_RECORD_SIZE } from '../../src/record/index.js';
import { CorruptRecordError, InvalidOptionError, RecordTooLargeError, TruncatedRecordError } from '../../src/errors.js';
import { chunked, drain, frameOffsets, readAll } from './helpers.js';

const payloads = [Buffer.from('first record'), Buffer.alloc(0), Buffer.alloc(1000, 'x'), Buffer.from('last')];
const stream = Buffer.concat(payloads.map((p) => frameRecordToBuffer(p)));
const offsets = frameOffsets(payloads);

test('records come with index, offset, length, data, dataCrcOk', async () => {
  const records = await readAll(stream);
  assert.deepEqual(records.map((r) => r.data.toString()), payloads.map((p) => p.toString()));
  assert.deepEqual(records.map((r) => r.offset), offsets);
  assert.deepEqual(records.map((r) => r.index), [0, 1, 2, 3]);
  assert.deepEqual(records.map((r) => r.length), payloads.map((p) => p.length));
  assert.ok(records.every((r) => r.dataCrcOk && Buffer.isBuffer(r.data)));
});

test('reading with 1-byte chunks (and every other small size) gives the same records', async () => {
  for (const size of [1, 2, 3, 5, 11, 12, 13, 16, 17, 1000]) {
    const records = await readAll(stream, size);
    assert.deepEqual(records.map((r) => r.data.toString()), payloads.map((p) => p.toString()), `chunks of ${size}`);
    assert.deepEqual(records.map((r) => r.offset), offsets, `chunks of ${size}`);
  }
});

test('a record inside one chunk is a view of that chunk, not a copy', async () => {
  const records = await readAll(stream, stream.length);
  for (const r of records) if (r.length > 0) assert.equal(r.data.buffer, stream.buffer);
});

/**
 * Bytes copied and allocated while `fn` runs, counted at every user-level way to copy or allocate a
 * Buffer (Buffer.prototype.copy, Buffer.concat, Uint8Array.prototype.set, Buffer.alloc*). Node's
 * own internals call these through captured primordials, so nothing is counted twice.
 */
async function countCopies<T>(fn: () => Promise<T>): Promise<{ result: T; copied: number; allocated: number }> {
  const saved = { copy: Buffer.prototype.copy, concat: Buffer.concat, set: Uint8Array.prototype.set, alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  let copied = 0;
  let allocated = 0;
  Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>): number {
    const n = saved.copy.apply(this, args);
    copied += n;
    return n;
  };
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const out = saved.concat(list, total);
    copied += out.length;
    return out;
  }) as typeof Buffer.concat;
  Uint8Array.prototype.set = function (this: Uint8Array, array: ArrayLike<number>, offset?: number): void {
    copied += array.length;
    saved.set.call(this, array, offset);
  };
  Buffer.alloc = ((size: number, ...rest: unknown[]) => { allocated += size; return (saved.alloc as (...a: unknown[]) => Buffer)(size, ...rest); }) as typeof Buffer.alloc;
  Buffer.allocUnsafe = (size: number) => { allocated += size; return saved.allocUnsafe(size); };
  Buffer.allocUnsafeSlow = (size: number) => { allocated += size; return saved.allocUnsafeSlow(size); };
  try {
    return { result: await fn(), copied, allocated };
  } finally {
    Object.assign(Buffer.prototype, { copy: saved.copy });
    Object.assign(Uint8Array.prototype, { set: saved.set });
    Object.assign(Buffer, { concat: saved.concat, alloc: saved.alloc, allocUnsafe: saved.allocUnsafe, allocUnsafeSlow: saved.allocUnsafeSlow });
  }
}

test('a 256 KB record arriving in 1-byte chunks is assembled with each byte copied once (linear, not quadratic, chunk handling)', async () => {
  const big = Buffer.alloc(1 << 18);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const framed = frameRecordToBuffer(big);
  const { result: records, copied, allocated } = await countCopies(() => readAll(framed, 1));
  assert.equal(records.length, 1);
  assert.ok(records[0]?.data.equals(big));
  // Linear: the payload once, plus the 12-byte header and 4-byte footer. Re-assembling the
  // growing record on each chunk (concat per chunk) would copy ~n^2/2 = 34 GB here.
  assert.ok(copied >= big.length, `the record spans 262,160 chunks, so it must be copied: ${copied} bytes`);
  assert.ok(copied <= big.length + 64, `${copied} bytes copied for a ${big.length}-byte record`);
  assert.ok(allocated <= big.length + 1024, `${allocated} bytes allocated for a ${big.length}-byte record`);
});

test('accepts plain Uint8Array chunks as well as Buffers', async () => {
  async function* views(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < stream.length; i += 7) yield new Uint8Array(stream.buffer, stream.byteOffset + i, Math.min(7, stream.length - i));
  }
  assert.equal((await drain(readRecords(views()))).length, 4);
});

test('one flipped byte in each of the four regions: right class, region and offset, first and later records', async () => {
  for (const record of [0, 2]) {
    const at = offsets[record] as number;
    const length = (payloads[record] as Buffer).length;
    const regions: [string, number, 'length' | 'data'][] = [
      ['length', at + 0, 'length'],
      ['length CRC', at + 9, 'length'],
      ['data', at + 12 + Math.floor(length / 2), 'data'],
      ['data CRC', at + 12 + length + 3, 'data'],
    ];
    for (const [name, position, region] of regions) {
      const bad = Buffer.from(stream);
      bad[position] = (bad[position] as number) ^ 0x10;
      await assert.rejects(readAll(bad, 5, { path: 'x.tfrecord' }), (e: unknown) => {
        assert.ok(e instanceof CorruptRecordError, `${name} in record ${record}: ${String(e)}`);
        assert.equal(e.region, region, name);
        assert.equal(e.context.offset, at, name);
        assert.equal(e.context.recordIndex, record, name);
        assert.equal(e.code, 'ERR_CORRUPT_RECORD');
        assert.match(e.message, new RegExp(`^x\\.tfrecord: corrupted record at offset ${at}`));
        return true;
      });
    }
  }
});

test("onBadDataCrc 'yield' goes on past a bad data CRC and flags that record only", async () => {
  const bad = Buffer.from(stream);
  for (const record of [0, 2]) {
    const at = (offsets[record] as number) + 12 + 1;
    bad[at] = (bad[at] as number) ^ 1;
  }
  const records = await readAll(bad, 7, { onBadDataCrc: 'yield' });
  assert.deepEqual(records.map((r) => r.dataCrcOk), [false, true, false, true]);
  assert.deepEqual(records.map((r) => r.offset), offsets);
  // A bad length CRC still stops it: the framing is lost.
  bad[(offsets[3] as number) + 2] = 0xff;
  await assert.rejects(readAll(bad, 7, { onBadDataCrc: 'yield' }), (e: unknown) => e instanceof CorruptRecordError && e.region === 'length');
});

test('truncation at every byte of a 2-record stream: clean EOF only at frame boundaries', async () => {
  const small = Buffer.concat([frameRecordToBuffer(Buffer.from('abc')), frameRecordToBuffer(Buffer.from('defgh'))]);
  const second = 19;
  for (const chunk of [1, 3, 64]) {
    for (let cut = 0; cut <= small.length; cut++) {
      const part = small.subarray(0, cut);
      if (cut === 0 || cut === second || cut === small.length) {
        const records = await readAll(part, chunk);
        assert.equal(records.length, cut === 0 ? 0 : cut === second ? 1 : 2, `cut ${cut}`);
      } else {
        await assert.rejects(readAll(part, chunk, { path: 'cut.tfrecord' }), (e: unknown) => {
          assert.ok(e instanceof TruncatedRecordError, `cut ${cut}: ${String(e)}`);
          assert.equal(e.context.offset, cut < second ? 0 : second, `cut ${cut}`);
          assert.equal(e.context.recordIndex, cut < second ? 0 : 1, `cut ${cut}`);
          assert.equal(e.context.path, 'cut.tfrecord');
          return true;
        });
      }
    }
  }
});

test('maxRecordSize is enforced from a CRC-valid header before anything else is read or allocated', async () => {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(2n ** 40n, 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  // The source yields only the header and fails if asked for more: the reader must not ask.
  let pulledAfterHeader = false;
  async function* headerOnly(): AsyncGenerator<Buffer> {
    yield header;
    pulledAfterHeader = true;
    throw new Error('the reader asked for the payload');
  }
  await assert.rejects(drain(readRecords(headerOnly())), (e: unknown) => {
    assert.ok(e instanceof RecordTooLargeError, String(e));
    assert.equal(e.context.offset, 0);
    assert.match(e.message, /1099511627776 bytes, over the maximum record size of 268435456/);
    return true;
  });
  assert.equal(pulledAfterHeader, false);
  assert.equal(DEFAULT_MAX_RECORD_SIZE, 2 ** 28);
  // Even the largest uint64.
  header.writeBigUInt64LE(2n ** 64n - 1n, 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  await assert.rejects(readAll(header), RecordTooLargeError);
  // A lying length with a bad CRC is a corrupt header, not a huge allocation.
  header[8] = (header[8] as number) ^ 1;
  await assert.rejects(readAll(header), (e: unknown) => e instanceof CorruptRecordError && e.region === 'length');
  // The limit is inclusive.
  await assert.rejects(readAll(frameRecordToBuffer(Buffer.alloc(100)), 1024, { maxRecordSize: 99 }), RecordTooLargeError);
  assert.equal((await readAll(frameRecordToBuffer(Buffer.alloc(100)), 1024, { maxRecordSize: 100 })).length, 1);
});

test('options are validated when readRecords is called, with sharp-style messages', () => {
  const source = chunked(stream, 10);
  for (const maxRecordSize of [-1, 1.5, Number.NaN, 2 ** 60]) {
    assert.throws(() => readRecords(source, { maxRecordSize }), InvalidOptionError, String(maxRecordSize));
  }
  assert.throws(() => readRecords(source, { maxRecordSize: -1 }), /^InvalidOptionError: Expected integer between 0 and \d+ for maxRecordSize but received -1 of type number$/);
  assert.throws(() => readRecords(source, { onBadDataCrc: 'skip' as 'yield' }), /Expected one of 'throw', 'yield' for onBadDataCrc but received "skip" of type string/);
  assert.throws(() => readRecords([stream] as unknown as AsyncIterable<Uint8Array>), InvalidOptionError);
});

test('stopping early returns the source iterator, so a file stream is closed', async () => {
  let returned = false;
  const source: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      const inner = chunked(stream, 5);
      return { next: () => inner.next(), return: async () => { returned = true; return { done: true, value: undefined }; } };
    },
  };
  for await (const r of readRecords(source)) {
    assert.equal(r.index, 0);
    break;
  }
  assert.equal(returned, true);
});

test("a source's own TruncatedRecordError is re-based on the record being read", async () => {
  async function* cutShort(): AsyncGenerator<Buffer> {
    yield stream.subarray(0, (offsets[2] as number) + 20); // record 2 is 20 bytes in
    const e = new TruncatedRecordError(999, 'compressed stream ends early', { path: 'a.gz' });
    e.cause = new Error('unexpected end of file');
    throw e;
  }
  await assert.rejects(drain(readRecords(cutShort())), (e: unknown) => {
    assert.ok(e instanceof TruncatedRecordError, String(e));
    assert.equal(e.context.offset, offsets[2]);
    assert.equal(e.context.recordIndex, 2);
    assert.equal(e.context.path, 'a.gz');
    assert.match(e.message, /unexpected end of file.*20 bytes into record 2/);
    return true;
  });
  // Any other error of the source passes through unchanged.
  const io = new Error('EIO');
  async function* failing(): AsyncGenerator<Buffer> {
    yield stream.subarray(0, 3);
    throw io;
  }
  await assert.rejects(drain(readRecords(failing())), (e: unknown) => e === io);
});
