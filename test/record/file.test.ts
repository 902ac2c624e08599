import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, inflateSync, gzipSync } from 'node:zlib';
import { createRecordFileWriter, detectCompression, frameRecordToBuffer, openRecordStream, readRecordFile, type Compression } from '../../src/record/index.js';
import { CorruptRecordError, InputError, TruncatedRecordError } from '../../src/errors.js';
import { drain, frameOffsets, tempDir } from './helpers.js';

const make = (i: number): Buffer => Buffer.alloc(i % 97 === 0 ? 0 : (i * 7919) % 600, i & 0xff);

test('a 100,000-record round trip through file writer and reader: plain, gzip, zlib; deterministic; one stream', async () => {
  const dir = await tempDir();
  const N = 100_000;
  let plainBytes: Buffer | undefined;
  for (const compression of ['none', 'gzip', 'zlib'] as const) {
    const paths = [join(dir, `a.${compression}`), join(dir, `b.${compression}`)];
    for (const path of paths) {
      const w = createRecordFileWriter(path, { compression });
      for (let i = 0; i < N; i++) await w.write(make(i));
      await w.close();
      assert.equal(w.records, N);
    }
    const [a, b] = await Promise.all(paths.map((p) => readFile(p)));
    assert.ok(a !== undefined && b !== undefined && a.equals(b), `${compression}: same records -> same bytes`);
    assert.equal(detectCompression(a), compression);
    assert.equal((await openRecordStream(paths[0] as string)).compression, compression);
    if (compression === 'none') plainBytes = a;
    else assert.ok((compression === 'gzip' ? gunzipSync(a) : inflateSync(a)).equals(plainBytes as Buffer), `${compression}: decompresses to the plain framing`);
    let n = 0;
    let offset = 0;
    for await (const r of readRecordFile(paths[0] as string)) {
      assert.equal(r.index, n);
      assert.equal(r.offset, offset, `${compression} record ${n}: offsets are in the uncompressed stream`);
      if (!r.data.equals(make(n))) assert.fail(`${compression}: record ${n} differs`);
      offset += 16 + r.length;
      n++;
    }
    assert.equal(n, N);
  }
});

test('one flipped byte in each region of a written file: right class, region, offset and path', async () => {
  const dir = await tempDir();
  const payloads = [Buffer.from('zero'), Buffer.alloc(500, 1), Buffer.from('two')];
  const path = join(dir, 'good.tfrecord');
  const w = createRecordFileWriter(path);
  for (const p of payloads) await w.write(p);
  await w.close();
  const good = await readFile(path);
  const offsets = frameOffsets(payloads);
  for (const record of [0, 1, 2]) {
    const at = offsets[record] as number;
    const length = (payloads[record] as Buffer).length;
    for (const [position, region] of [[at + 4, 'length'], [at + 10, 'length'], [at + 12 + length - 1, 'data'], [at + 12 + length, 'data']] as const) {
      const bad = Buffer.from(good);
      bad[position] = (bad[position] as number) ^ 0x80;
      const badPath = join(dir, `bad-${position}.tfrecord`);
      await writeFile(badPath, bad);
      await assert.rejects(drain(readRecordFile(badPath)), (e: unknown) => {
        assert.ok(e instanceof CorruptRecordError, `byte ${position}: ${String(e)}`);
        assert.equal(e.region, region, `byte ${position}`);
        assert.equal(e.context.offset, at, `byte ${position}`);
        assert.equal(e.context.path, badPath);
        assert.ok(e.message.startsWith(`${badPath}: corrupted record at offset ${at}`));
        return true;
      });
      if (region === 'data') {
        const flags = (await drain(readRecordFile(badPath, { onBadDataCrc: 'yield' }))).map((r) => r.dataCrcOk);
        assert.deepEqual(flags, [0, 1, 2].map((i) => i !== record));
      }
    }
  }
});

test('a cut compressed file is TruncatedRecordError at the start of the record it cuts, naming the file', async () => {
  const dir = await tempDir();
  const payloads = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000 + i, i));
  const offsets = frameOffsets(payloads);
  for (const compression of ['gzip', 'zlib'] as const) {
    const path = join(dir, `whole.${compression}`);
    const w = createRecordFileWriter(path, { compression });
    for (const p of payloads) await w.write(p);
    await w.close();
    const whole = await readFile(path);
    for (const keep of [20, Math.floor(whole.length / 2), whole.length - 1]) {
      const cut = join(dir, `cut-${keep}.${compression}`);
      await writeFile(cut, whole.subarray(0, keep));
      await assert.rejects(drain(readRecordFile(cut)), (e: unknown) => {
        assert.ok(e instanceof TruncatedRecordError, `${compression} cut at ${keep}: ${String(e)}`);
        assert.ok(offsets.includes(e.context.offset as number) || e.context.offset === 16 * 20 + payloads.reduce((n, p) => n + p.length, 0), `offset ${e.context.offset} is a frame start`);
        assert.equal(e.context.path, cut);
        assert.ok(e.message.startsWith(`${cut}: truncated record at offset`));
        return true;
      });
    }
  }
});

test('damaged compressed data is CorruptRecordError (region compression)', async () => {
  const dir = await tempDir();
  const framed = Buffer.concat(Array.from({ length: 50 }, (_, i) => frameRecordToBuffer(Buffer.alloc(100, i))));
  const gz = gzipSync(framed);
  const bad = Buffer.from(gz);
  bad.writeUInt32LE(bad.readUInt32LE(bad.length - 8) ^ 1, bad.length - 8); // the gzip trailer's CRC-32
  const path = join(dir, 'bad.gz');
  await writeFile(path, bad);
  await assert.rejects(drain(readRecordFile(path)), (e: unknown) => e instanceof CorruptRecordError && e.region === 'compression' && e.context.path === path);
});

test('gunzip reads every member of a multi-member file (as Hadoop writes)', async () => {
  const dir = await tempDir();
  const a = Buffer.concat([frameRecordToBuffer(Buffer.from('one')), frameRecordToBuffer(Buffer.from('two'))]);
  const b = frameRecordToBuffer(Buffer.from('three'));
  const path = join(dir, 'multi.gz');
  await writeFile(path, Buffer.concat([gzipSync(a), gzipSync(b)]));
  assert.deepEqual((await drain(readRecordFile(path))).map((r) => r.data.toString()), ['one', 'two', 'three']);
});

test('empty, short, unknown and missing files', async () => {
  const dir = await tempDir();
  const write = async (name: string, bytes: Uint8Array): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const empty = await write('empty', new Uint8Array(0));
  assert.equal((await openRecordStream(empty)).compression, 'none');
  assert.deepEqual(await drain(readRecordFile(empty)), []);
  const short = await write('short', frameRecordToBuffer(Buffer.from('hello')).subarray(0, 7));
  await assert.rejects(drain(readRecordFile(short)), (e: unknown) => e instanceof TruncatedRecordError && e.context.offset === 0);
  const junk = await write('junk', Buffer.from('definitely not a TFRecord file'));
  assert.equal((await openRecordStream(junk)).compression, 'none');
  await assert.rejects(drain(readRecordFile(junk)), (e: unknown) => e instanceof CorruptRecordError && e.region === 'length' && e.context.offset === 0);
  await assert.rejects(openRecordStream(join(dir, 'missing')), InputError);
});

test('createRecordFileWriter writes each compression so that it is detected and read back', async () => {
  const dir = await tempDir();
  for (const compression of ['none', 'gzip', 'zlib'] as Compression[]) {
    const path = join(dir, `first-376.${compression}`);
    const w = createRecordFileWriter(path, { compression });
    await w.write(Buffer.alloc(376, 1)); // a plain file that starts 78 01
    await w.write(Buffer.from('two'));
    await w.close();
    assert.equal(detectCompression(await readFile(path)), compression);
    assert.deepEqual((await drain(readRecordFile(path))).map((r) => r.length), [376, 3]);
  }
});
