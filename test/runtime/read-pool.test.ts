import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { ReadBufferPool } from '../../src/runtime/read-pool.js';

/** A regular file's bytes: read() gives null only for what is not a regular file. */
function mustRead(pool: ReadBufferPool, path: string): Buffer {
  const bytes = pool.read(path);
  assert.ok(bytes !== null, `${path} is a regular file`);
  return bytes;
}

test('ReadBufferPool reads whole files and reuses a released buffer, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-pool-'));
  const a = join(dir, 'a.bin');
  const b = join(dir, 'b.bin');
  const empty = join(dir, 'empty.bin');
  await writeFile(a, Buffer.alloc(70_000, 1));
  await writeFile(b, Buffer.alloc(70_500, 2));
  await writeFile(empty, Buffer.alloc(0));
  const pool = new ReadBufferPool(2 ** 20);
  const first = mustRead(pool, a);
  assert.ok(first.equals(Buffer.alloc(70_000, 1)));
  const second = mustRead(pool, b);
  assert.notEqual(second.buffer, first.buffer, 'both in use: two buffers');
  pool.release(first);
  pool.release(first); // twice: ignored, or two reads would share one buffer
  pool.release(Buffer.alloc(70_000)); // not the pool's: ignored
  const third = mustRead(pool, b);
  assert.equal(third.buffer, first.buffer, 'the released buffer is reused');
  assert.ok(third.equals(Buffer.alloc(70_500, 2)), 'and holds the new file only');
  const fourth = mustRead(pool, a);
  assert.notEqual(fourth.buffer, third.buffer, 'released once, lent once');
  // A late second release of an earlier lease must not free the buffer under its new borrower.
  pool.release(third);
  const fifth = mustRead(pool, b);
  assert.equal(fifth.buffer, third.buffer);
  pool.release(third); // stale: `fifth` holds that buffer now
  const sixth = mustRead(pool, a);
  assert.notEqual(sixth.buffer, fifth.buffer, 'a stale release is ignored');
  assert.ok(fifth.equals(Buffer.alloc(70_500, 2)));
  assert.equal(mustRead(pool, empty).length, 0);
  assert.throws(() => pool.read(join(dir, 'missing.bin')), /ENOENT/);
  // A FIFO would block a synchronous open until a writer comes: it is left to an asynchronous read.
  if (process.platform !== 'win32') {
    const fifo = join(dir, 'pipe.jpg');
    execFileSync('mkfifo', [fifo]);
    assert.equal(pool.read(fifo), null);
    assert.equal(pool.read(dir), null, 'nor is a folder read');
  }
});

test('ReadBufferPool reads a regular file with one read: a short read is its end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'read-pool-'));
  const files = [0, 1, 16_383, 16_384, 70_000].map((size, i) => ({ path: join(dir, `f${i}.bin`), size }));
  for (const { path, size } of files) await writeFile(path, Buffer.alloc(size, 7));
  // The pool imports readSync by name: mock it on node:fs and resync the ESM bindings.
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const readSync = t.mock.method(fs, 'readSync');
  syncBuiltinESMExports();
  try {
    const pool = new ReadBufferPool(2 ** 20);
    for (const { path, size } of files) {
      const before = readSync.mock.callCount();
      const bytes = mustRead(pool, path);
      assert.equal(bytes.length, size);
      assert.ok(bytes.every((b) => b === 7));
      assert.equal(readSync.mock.callCount() - before, 1, `one read for ${size} bytes`);
    }
  } finally {
    readSync.mock.restore();
    syncBuiltinESMExports();
  }
});
