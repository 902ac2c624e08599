// Damage after the end of a GZIP/ZLIB deflate stream: every intact record first, then the error at its real offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { CorruptRecordError, RecordTooLargeError, TruncatedRecordError } from '../../src/errors.js';
import { frameRecordToBuffer, maskedCrc32c, readRecordFile, type RecordEntry } from '../../src/record/index.js';
import { dumpRecords } from '../../src/read/dump.js';
import { verifyFiles } from '../../src/read/verify.js';
import { encodeExample, int64Feature, bytesFeature } from '../../src/example/index.js';

// 100 records of ~3 KB of noise: the stream is several inflate chunks long, so a lost last chunk shows.
function records(): Buffer {
  let s = 1;
  const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => (s = (s * 48271) % 2147483647) & 0xff));
  return Buffer.concat(Array.from({ length: 100 }, (_, i) => frameRecordToBuffer(Buffer.from(encodeExample({ i: int64Feature(i), b: bytesFeature(noise(3000)) })))));
}

async function readAll(path: string): Promise<{ records: RecordEntry[]; error: unknown }> {
  const out: RecordEntry[] = [];
  try {
    for await (const r of readRecordFile(path)) out.push(r);
    return { records: out, error: null };
  } catch (error) {
    return { records: out, error };
  }
}

const cases: [string, (gz: Buffer) => Buffer, 'gzip' | 'zlib'][] = [
  ['trailing junk', (gz) => Buffer.concat([gz, Buffer.from('junk')]), 'gzip'],
  ['trailing zero bytes', (gz) => Buffer.concat([gz, Buffer.alloc(3)]), 'gzip'],
  ['a bad gzip CRC-32', (gz) => flip(gz, gz.length - 8), 'gzip'],
  ['a bad gzip ISIZE', (gz) => flip(gz, gz.length - 1), 'gzip'],
  ['a cut gzip trailer', (gz) => gz.subarray(0, gz.length - 3), 'gzip'],
  ['a bad zlib Adler-32', (z) => flip(z, z.length - 1), 'zlib'],
  ['junk after a zlib stream', (z) => Buffer.concat([z, Buffer.from([0])]), 'zlib'],
];

function flip(b: Buffer, at: number): Buffer {
  const out = Buffer.from(b);
  out[at] = (out[at] as number) ^ 1;
  return out;
}

test('damage after the deflate data: all 100 records, then the error at the end of the records (offset and record 100)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gzdamage-'));
  try {
    const plain = records();
    for (const [name, damage, kind] of cases) {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.tfrecord.gz`);
      await writeFile(path, damage(kind === 'gzip' ? gzipSync(plain) : deflateSync(plain)));
      const { records: read, error } = await readAll(path);
      assert.equal(read.length, 100, name);
      const expected = name.includes('cut') ? TruncatedRecordError : CorruptRecordError;
      assert.ok(error instanceof expected, `${name}: ${String(error)}`);
      assert.equal(error.context.offset, plain.length, name);
      assert.equal(error.context.recordIndex, 100, name);
      assert.equal(error.context.path, path);
      assert.match(error.message, /after 100 complete records/, name);
      // dump yields the 100 records before failing; verify reports exactly one problem there.
      let dumped = 0;
      await assert.rejects(async () => {
        for await (const _ of dumpRecords([path])) dumped++;
      });
      assert.equal(dumped, 100, name);
      const report = await verifyFiles([path]);
      assert.equal(report.records, 100, name);
      assert.deepEqual(report.problems.map((p) => [p.offset, p.recordIndex]), [[plain.length, 100]], name);
    }
    // Intact, and two members back to back: no error.
    const two = join(dir, 'two.gz');
    await writeFile(two, Buffer.concat([gzipSync(plain), gzipSync(plain)]));
    const both = await readAll(two);
    assert.equal(both.error, null);
    assert.equal(both.records.length, 200);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the maximum record size applies to decompressed streams: a small gzip declaring a 1 GiB record is refused before allocating', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gzdamage-'));
  try {
    const header = Buffer.alloc(12);
    header.writeBigUInt64LE(2n ** 30n, 0);
    header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
    // 1 MiB of zeros after the header compresses to ~1 KB; the record would need 1 GiB of them.
    const path = join(dir, 'bomb.tfrecord.gz');
    await writeFile(path, gzipSync(Buffer.concat([header, Buffer.alloc(1024 * 1024)])));
    const before = process.memoryUsage().rss;
    const { error } = await readAll(path);
    assert.ok(error instanceof RecordTooLargeError, String(error));
    assert.equal(error.context.offset, 0);
    assert.match(error.message, /1073741824 bytes, over the maximum record size of 268435456 bytes/);
    // Nothing near the record's size was allocated (a loose bound: the record alone is 1 GiB).
    assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
