import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReadWorkerPool, type WorkerRead } from '../../src/convert/readers/pool.js';
import { MAX_RING_FILE_BYTES, RING_BYTES } from '../../src/convert/readers/ring.js';
import { crc32c } from '../../src/record/index.js';
import { checkTfDecodable } from '../../src/image/decodable.js';
import { DEFAULT_IMAGE_SETTINGS } from '../../src/image/settings.js';
import { resolveSchema } from '../../src/dataset/schema.js';

const OPTIONS = { sha256: true, image: { ...DEFAULT_IMAGE_SETTINGS, maxPixels: 1e9 }, schema: resolveSchema('inception') };
const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

/** The sample images, in a stable order. */
function samplePaths(): string[] {
  return readdirSync(SAMPLE, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test('ReadWorkerPool gives each planned file\'s bytes, SHA-256, CRC-32C and verdict as the main thread computes them, in plan order', async () => {
  const paths = samplePaths();
  assert.ok(paths.length >= 3);
  const pool = new ReadWorkerPool(2, OPTIONS);
  try {
    pool.plan(paths);
    // Give the workers time to answer before anything is asked for: early replies wait for their caller.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const [i, path] of paths.entries()) {
      const read = await pool.read(i);
      const bytes = readFileSync(path);
      assert.ok(read.bytes.equals(bytes), path);
      assert.equal(read.sha256, sha(bytes), path);
      assert.equal(read.crc, crc32c(bytes), path);
      assert.deepEqual(read.verdict, await checkTfDecodable(bytes, { maxPixels: 1e9 }), path);
      pool.release(read.bytes);
    }
    await assert.rejects(pool.read(paths.length), RangeError);
  } finally {
    await pool.close();
  }
});

test('ReadWorkerPool reuses its rings many times over without one file\'s bytes overwriting another\'s still held', async () => {
  const paths = samplePaths();
  const total = paths.reduce((n, p) => n + readFileSync(p).length, 0);
  // Enough rounds to go round each worker's ring at least three times.
  const rounds = Math.ceil((3 * 2 * RING_BYTES) / total);
  const plan = Array.from({ length: rounds }, () => paths).flat();
  const expected = new Map(paths.map((p) => [p, sha(readFileSync(p))]));
  const pool = new ReadWorkerPool(2, { ...OPTIONS, sha256: false });
  try {
    pool.plan(plan);
    // Hold a window of leases, as the writer does, and check each again just before it is given back.
    const held: { read: WorkerRead; path: string }[] = [];
    for (const [i, path] of plan.entries()) {
      const read = await pool.read(i);
      assert.equal(read.sha256, null);
      assert.equal(sha(read.bytes), expected.get(path), `file ${i} when read`);
      held.push({ read, path });
      if (held.length > 40) {
        const oldest = held.shift() as { read: WorkerRead; path: string };
        assert.equal(sha(oldest.read.bytes), expected.get(oldest.path), `file ${i - 40} when given back`);
        pool.release(oldest.read.bytes);
      }
    }
  } finally {
    await pool.close();
  }
});

test('ReadWorkerPool still delivers every file when nothing is given back (the worker reads into buffers of its own)', async () => {
  const paths = samplePaths();
  const total = paths.reduce((n, p) => n + readFileSync(p).length, 0);
  const plan = Array.from({ length: Math.ceil((1.5 * RING_BYTES) / total) }, () => paths).flat();
  const pool = new ReadWorkerPool(1, OPTIONS);
  try {
    pool.plan(plan);
    for (const [i, path] of plan.entries()) {
      const read = await pool.read(i);
      assert.equal(read.sha256, sha(readFileSync(path)), `file ${i}`);
    }
  } finally {
    await pool.close();
  }
});

test('ReadWorkerPool rejects a missing file with ENOENT, a FIFO as not-a-regular-file (never opened for a read) and a large file as large', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'readers-'));
  const fifo = join(dir, 'pipe.jpg');
  execFileSync('mkfifo', [fifo]);
  const large = join(dir, 'large.jpg');
  writeFileSync(large, Buffer.alloc(MAX_RING_FILE_BYTES + 1));
  const [first] = samplePaths();
  const pool = new ReadWorkerPool(2, OPTIONS);
  try {
    pool.plan([join(dir, 'missing.jpg'), fifo, large, first as string]);
    await assert.rejects(pool.read(0), (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.message.includes('missing.jpg'));
    await assert.rejects(pool.read(1), (error: NodeJS.ErrnoException) => error.code === 'not-a-regular-file');
    await assert.rejects(pool.read(2), (error: NodeJS.ErrnoException) => error.code === 'large');
    assert.ok((await pool.read(3)).bytes.equals(readFileSync(first as string)));
  } finally {
    await pool.close();
  }
});

test('convert writes the same shards with read workers (--jobs 3, 4) as on the main thread alone (--jobs 1, 2)', async () => {
  const { convert } = await import('../../src/convert/convert.js');
  const dir = mkdtempSync(join(tmpdir(), 'readers-convert-'));
  const shardsOf = (out: string): string[] => readdirSync(out).filter((n) => n.endsWith('.tfrecord')).sort().map((n) => sha(readFileSync(join(out, n))));
  const one = await convert({ input: SAMPLE, output: join(dir, 'jobs-1'), shards: 2, jobs: 1 });
  const expected = shardsOf(join(dir, 'jobs-1'));
  for (const jobs of [2, 3, 4]) {
    const summary = await convert({ input: SAMPLE, output: join(dir, `jobs-${jobs}`), shards: 2, jobs });
    assert.equal(summary.records, one.records);
    assert.deepEqual(summary.skipped, one.skipped);
    assert.deepEqual(shardsOf(join(dir, `jobs-${jobs}`)), expected, `--jobs ${jobs}`);
  }
});

test('with read workers (--jobs 3), every kind of input ends as at --jobs 1: transcodes, broken files, a FIFO: the same records, skips and shards', async () => {
  const { convert } = await import('../../src/convert/convert.js');
  const { cp, rm: remove } = await import('node:fs/promises');
  const dir = mkdtempSync(join(tmpdir(), 'readers-kinds-'));
  const input = join(dir, 'in');
  await cp(fileURLToPath(new URL('../../fixtures/images/', import.meta.url)), input, { recursive: true });
  execFileSync('mkfifo', [join(input, 'broken', 'pipe.jpg')]);
  const results = [];
  for (const jobs of [1, 3]) {
    const out = join(dir, `jobs-${jobs}`);
    const summary = await convert({ input, output: out, jobs, sha256: true });
    const shards = readdirSync(out).filter((n) => n.endsWith('.tfrecord')).sort().map((n) => sha(readFileSync(join(out, n))));
    results.push({ summary, shards });
  }
  const [one, three] = results as [(typeof results)[number], (typeof results)[number]];
  assert.ok(one.summary.records > 20 && one.summary.skipped >= 7, `records ${one.summary.records}, skipped ${one.summary.skipped}`);
  assert.equal(one.summary.found, one.summary.records + one.summary.skipped + one.summary.ignored);
  assert.deepEqual(three.summary.skipped, one.summary.skipped);
  assert.deepEqual(three.summary.records, one.summary.records);
  assert.deepEqual(three.summary.errors, one.summary.errors);
  assert.deepEqual(three.summary.transcoded, one.summary.transcoded);
  assert.deepEqual(three.shards, one.shards);
  await remove(dir, { recursive: true, force: true });
});
