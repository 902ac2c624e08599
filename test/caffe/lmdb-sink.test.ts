import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, open, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LmdbSink, caffeKey } from '../../src/caffe/lmdb-sink.js';
import { convert } from '../../src/convert/convert.js';
import { decodeDatum, encodeDatum } from '../../src/datum/index.js';
import { OutputExistsError } from '../../src/errors.js';
import { lmdbSkipReason, readDb as readAll } from './lmdb-helpers.js';

const skip = lmdbSkipReason();
const SAMPLE = fileURLToPath(new URL('../../fixtures/sample', import.meta.url));

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'lmdb-sink-'));
}

test('caffeKey numbers the output position in 8 digits', () => {
  assert.equal(caffeKey(0, 'a/1.png'), '00000000_a/1.png');
  assert.equal(caffeKey(12345678, 'b c.jpg'), '12345678_b c.jpg');
});

test('300 Datums, commits of 50, a 64 KiB start: keys in order, values decode, the map grew', { skip }, async () => {
  const root = await tempDir();
  const dir = join(root, 'train_lmdb');
  const sink = new LmdbSink({ dir, overwrite: false, commitEvery: 50, initialMapSize: 64 * 1024 });
  for (let i = 0; i < 300; i++) {
    await sink.write({ payload: encodeDatum({ channels: 1, height: 100, width: 100, data: new Uint8Array(10_000).fill(i & 0xff), label: i }), shard: 0, relPath: `a/${i}.png` });
  }
  const [info, ...more] = await sink.finish();
  assert.equal(more.length, 0);
  assert.equal(info?.file, 'train_lmdb');
  assert.equal(info?.records, 300);
  assert.ok(sink.growths >= 5, `map doubled ${sink.growths} times from 64 KiB to hold 3 MB`);
  assert.ok(sink.currentMapSize >= 300 * 10_000);
  assert.ok((info?.bytes ?? 0) > 300 * 10_000, 'bytes is the size of data.mdb');

  const rows = readAll(dir);
  assert.equal(rows.length, 300);
  rows.forEach((row, i) => {
    assert.equal(row.key, caffeKey(i, `a/${i}.png`));
    const datum = decodeDatum(row.value);
    assert.equal(datum.label, i);
    assert.equal(datum.data?.length, 10_000);
    assert.equal(datum.data?.[9_999], i & 0xff);
  });
  assert.equal(rows[0]?.key, '00000000_a/0.png');
  assert.deepEqual(await readdir(root), ['train_lmdb'], 'the temp folder was renamed, nothing else left');
  assert.deepEqual((await readdir(dir)).sort(), ['data.mdb', 'lock.mdb']);
});

test('the file is LMDB data format 1, the one the LMDB 0.9 linked by Caffe reads', { skip }, async () => {
  const root = await tempDir();
  const sink = new LmdbSink({ dir: join(root, 'db'), overwrite: false, commitEvery: 10, initialMapSize: 1 << 20 });
  await sink.write({ payload: encodeDatum({ label: 1 }), shard: 0, relPath: 'x.png' });
  await sink.finish();
  // LMDB 0.9 meta page: a 16-byte page header, then mm_magic 0xBEEFC0DE and mm_version, which
  // must equal its MDB_DATA_VERSION (1); format 2 files (LMDB 1.0) fail with MDB_INVALID there.
  const file = await open(join(root, 'db', 'data.mdb'));
  const head = Buffer.alloc(24);
  await file.read(head, 0, 24, 0);
  await file.close();
  assert.equal(head.readUInt32LE(16), 0xbeefc0de);
  assert.equal(head.readUInt32LE(20), 1);
});

test('the key number counts written records only, so skipped inputs leave no gap (a convert run with bad files among good ones)', { skip }, async () => {
  // Through convert, where inputs really are skipped: the sink alone never sees a skipped input.
  const input = await tempDir();
  await mkdir(join(input, 'a'));
  await mkdir(join(input, 'b'));
  await copyFile(join(SAMPLE, 'graphics/d.png'), join(input, 'a/0.png'));
  await writeFile(join(input, 'a/1.png'), 'not a PNG');
  await copyFile(join(SAMPLE, 'graphics/swiss.png'), join(input, 'a/2.png'));
  await writeFile(join(input, 'b/3.jpg'), 'not a JPEG');
  await writeFile(join(input, 'b/4.jpg'), 'not a JPEG either');
  await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(input, 'b/5.jpg'));
  const out = await tempDir();
  const summary = await convert({ input, output: out, target: 'caffe-lmdb', encode: 'keep', jobs: 2 });
  assert.equal(summary.skipped, 3);
  assert.deepEqual(summary.errors.map((e) => e.path).sort(), ['a/1.png', 'b/3.jpg', 'b/4.jpg']);
  assert.deepEqual(readAll(join(out, 'train_lmdb')).map((r) => r.key), ['00000000_a/0.png', '00000001_a/2.png', '00000002_b/5.jpg']);
});

test('abort leaves neither the final folder nor the temp folder', { skip }, async () => {
  const root = await tempDir();
  const sink = new LmdbSink({ dir: join(root, 'gone'), overwrite: false, commitEvery: 2, initialMapSize: 1 << 20 });
  for (let i = 0; i < 5; i++) await sink.write({ payload: encodeDatum({ label: i }), shard: 0, relPath: `${i}.png` });
  assert.equal((await readdir(root)).length, 1, 'a temp folder exists while writing');
  assert.ok((await readdir(root))[0]?.startsWith('.gone.tmp-'));
  await sink.abort();
  assert.deepEqual(await readdir(root), []);
  await sink.abort(); // idempotent
});

test('an existing database: OutputExistsError without overwrite; with overwrite it is replaced only at finish', { skip }, async () => {
  const root = await tempDir();
  const dir = join(root, 'db');
  await mkdir(dir);
  await writeFile(join(dir, 'data.mdb'), 'old');

  const refused = new LmdbSink({ dir, overwrite: false, commitEvery: 10, initialMapSize: 1 << 20 });
  await assert.rejects(refused.write({ payload: encodeDatum({ label: 1 }), shard: 0, relPath: 'a.png' }), OutputExistsError);
  await refused.abort();
  assert.deepEqual((await readdir(root)).sort(), ['db']);

  const replacing = new LmdbSink({ dir, overwrite: true, commitEvery: 10, initialMapSize: 1 << 20 });
  await replacing.write({ payload: encodeDatum({ label: 1 }), shard: 0, relPath: 'a.png' });
  assert.deepEqual(await readdir(dir), ['data.mdb'], 'the old database is untouched until finish');
  await replacing.finish();
  assert.deepEqual(readAll(dir).map((r) => r.key), ['00000000_a.png']);
  assert.deepEqual(await readdir(root), ['db']);
});

test('a finished run with no records still makes an empty database', { skip }, async () => {
  const root = await tempDir();
  const sink = new LmdbSink({ dir: join(root, 'db'), overwrite: false, commitEvery: 10, initialMapSize: 1 << 20 });
  const [info] = await sink.finish();
  assert.equal(info?.records, 0);
  assert.deepEqual(readAll(join(root, 'db')), []);
});

test('commitBytes: a transaction also commits once it holds that many bytes, whatever commitEvery says', { skip }, async () => {
  const root = await tempDir();
  const payload = (i: number): Uint8Array => encodeDatum({ data: new Uint8Array(10_000).fill(i & 0xff), label: i });
  // Maps big enough that no commit is needed to make room.
  const bySize = new LmdbSink({ dir: join(root, 'bytes'), overwrite: false, commitEvery: 1000, commitBytes: 50_000, initialMapSize: 1 << 24 });
  const byCount = new LmdbSink({ dir: join(root, 'count'), overwrite: false, commitEvery: 1000, initialMapSize: 1 << 24 });
  for (let i = 0; i < 300; i++) {
    await bySize.write({ payload: payload(i), shard: 0, relPath: `a/${i}.png` });
    await byCount.write({ payload: payload(i), shard: 0, relPath: `a/${i}.png` });
  }
  await bySize.finish();
  await byCount.finish();
  // Each datum is a little over 10,000 bytes: the fifth one passes 50,000, so 300 / 5 transactions.
  assert.equal(bySize.commits, 60);
  assert.equal(byCount.commits, 1, 'the 64 MiB default does not cut 3 MB of datums');
  assert.deepEqual(readAll(join(root, 'bytes')), readAll(join(root, 'count')), 'the same records either way');
  assert.throws(() => new LmdbSink({ dir: join(root, 'x'), overwrite: false, commitEvery: 1, commitBytes: 0, initialMapSize: 1 << 20 }),
    /Expected positive integer \(bytes\) for commitBytes but received 0/);
});

test('no datum is held in JS memory until commit: the sink keeps no reference to a written payload', { skip }, async () => {
  const root = await tempDir();
  const sink = new LmdbSink({ dir: join(root, 'db'), overwrite: false, commitEvery: 1000, initialMapSize: 1 << 20 });
  const payload = Buffer.from(encodeDatum({ data: new Uint8Array(5_000).fill(7), label: 3 }));
  const original = Buffer.from(payload);
  await sink.write({ payload, shard: 0, relPath: 'a.png' });
  // The caller may reuse its buffer at once: LMDB copied the bytes at put, before any commit.
  payload.fill(0);
  assert.equal(sink.commits, 0, 'still in the open transaction');
  await sink.finish();
  assert.deepEqual(readAll(join(root, 'db')).map((r) => r.value), [original]);
});

test('values far larger than the map: room is made before each put, the map never fills', { skip }, async () => {
  const root = await tempDir();
  const sink = new LmdbSink({ dir: join(root, 'db'), overwrite: false, commitEvery: 1000, commitBytes: 4 << 20, initialMapSize: 64 * 1024 });
  const big = (i: number): Uint8Array => encodeDatum({ data: new Uint8Array(3 << 20).fill(i + 1), label: i });
  for (let i = 0; i < 5; i++) await sink.write({ payload: big(i), shard: 0, relPath: `${i}.png` });
  const [info] = await sink.finish();
  assert.equal(info?.records, 5);
  assert.ok(sink.growths >= 8, `the 64 KiB map doubled past 15 MB (${sink.growths} times)`);
  const rows = readAll(join(root, 'db'));
  assert.deepEqual(rows.map((r) => decodeDatum(r.value).data?.[(3 << 20) - 1]), [1, 2, 3, 4, 5]);
});
