import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadBufferPool } from '../../src/pipeline/read-pool.js';

test('ReadBufferPool reads whole files and reuses a released buffer, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'read-pool-'));
  const a = join(dir, 'a.bin');
  const b = join(dir, 'b.bin');
  const empty = join(dir, 'empty.bin');
  await writeFile(a, Buffer.alloc(70_000, 1));
  await writeFile(b, Buffer.alloc(70_500, 2));
  await writeFile(empty, Buffer.alloc(0));
  const pool = new ReadBufferPool(2 ** 20);
  const first = pool.read(a);
  assert.ok(first.equals(Buffer.alloc(70_000, 1)));
  const second = pool.read(b);
  assert.notEqual(second.buffer, first.buffer, 'both in use: two buffers');
  pool.release(first);
  pool.release(first); // twice: ignored, or two reads would share one buffer
  pool.release(Buffer.alloc(70_000)); // not the pool's: ignored
  const third = pool.read(b);
  assert.equal(third.buffer, first.buffer, 'the released buffer is reused');
  assert.ok(third.equals(Buffer.alloc(70_500, 2)), 'and holds the new file only');
  const fourth = pool.read(a);
  assert.notEqual(fourth.buffer, third.buffer, 'released once, lent once');
  // A late second release of an earlier lease must not free the buffer under its new borrower.
  pool.release(third);
  const fifth = pool.read(b);
  assert.equal(fifth.buffer, third.buffer);
  pool.release(third); // stale: `fifth` holds that buffer now
  const sixth = pool.read(a);
  assert.notEqual(sixth.buffer, fifth.buffer, 'a stale release is ignored');
  assert.ok(fifth.equals(Buffer.alloc(70_500, 2)));
  assert.equal(pool.read(empty).length, 0);
  assert.throws(() => pool.read(join(dir, 'missing.bin')), /ENOENT/);
});
