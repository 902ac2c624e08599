import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HashWorkerPool } from '../../src/convert/hash-workers.js';
import { crc32c } from '../../src/record/index.js';
import { readHeaderFacts } from '../../src/image/headers.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

/** The sample images, in a stable order. */
function samplePaths(): string[] {
  return readdirSync(SAMPLE, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.path, entry.name))
    .sort();
}

test('HashWorkerPool returns each file\'s bytes, SHA-256, CRC-32C and header verdict as the main thread computes them', async () => {
  const paths = samplePaths();
  assert.ok(paths.length >= 3);
  const pool = new HashWorkerPool(2);
  try {
    const single = await Promise.all(paths.map((path) => pool.digest(path)));
    const batched = await Promise.all(pool.digestBatch(paths));
    for (const [i, path] of paths.entries()) {
      const bytes = readFileSync(path);
      for (const digest of [single[i], batched[i]]) {
        assert.ok(digest !== undefined);
        assert.ok(digest.bytes.equals(bytes), path);
        assert.equal(digest.sha256, createHash('sha256').update(bytes).digest('hex'), path);
        assert.equal(digest.crc, crc32c(bytes), path);
        const header = readHeaderFacts(bytes);
        assert.equal(digest.verdict?.header?.width, header.width, path);
        assert.equal(digest.verdict?.header?.height, header.height, path);
      }
    }
    // Buffers given back are reused by later reads, and the bytes then are the new file's.
    pool.releaseMany(batched.map((d) => d.bytes));
    const again = await pool.digest(paths[0] as string);
    assert.ok(again.bytes.equals(readFileSync(paths[0] as string)));
  } finally {
    await pool.close();
  }
});

test('HashWorkerPool rejects a missing file with its errno code, and skips work it was not asked for', async () => {
  const pool = new HashWorkerPool(1, { sha256: false, crc: false, validate: false });
  try {
    await assert.rejects(pool.digest(join(SAMPLE, 'no-such-file.jpg')), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    const [first] = samplePaths();
    const digest = await pool.digest(first as string);
    assert.equal(digest.sha256, null);
    assert.equal(digest.crc, null);
    assert.equal(digest.verdict, null);
    assert.ok(digest.bytes.equals(readFileSync(first as string)));
  } finally {
    await pool.close();
  }
});

test('convert with IMG2TFRECORD_HASH_WORKERS=1 writes the same shards as on the main thread, at --jobs 1 and 2', async () => {
  const { convert } = await import('../../src/convert/convert.js');
  const { mkdtempSync, readdirSync: list } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'hash-workers-convert-'));
  const shardsOf = (out: string): string[] => list(out).filter((n) => n.endsWith('.tfrecord')).sort().map((n) => createHash('sha256').update(readFileSync(join(out, n))).digest('hex'));
  await convert({ input: SAMPLE, output: join(dir, 'main'), shards: 2 });
  const expected = shardsOf(join(dir, 'main'));
  process.env.IMG2TFRECORD_HASH_WORKERS = '1';
  try {
    for (const jobs of [1, 2]) {
      const summary = await convert({ input: SAMPLE, output: join(dir, `workers-${jobs}`), shards: 2, jobs });
      assert.ok(summary.records > 0);
      assert.deepEqual(shardsOf(join(dir, `workers-${jobs}`)), expected, `--jobs ${jobs}`);
    }
  } finally {
    delete process.env.IMG2TFRECORD_HASH_WORKERS;
  }
});
