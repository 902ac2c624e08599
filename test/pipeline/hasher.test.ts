import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sha256Hasher } from '../../src/pipeline/hasher.js';

const expected = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test('Sha256Hasher hashes shared buffers on its worker and others here, in any number at once', async () => {
  const hasher = new Sha256Hasher();
  try {
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const shared = Buffer.from(new SharedArrayBuffer(1000 + i), 0, 1000 + i).fill(i);
      inputs.push(i % 3 === 0 ? Buffer.alloc(500 + i, i) : shared.subarray(i));
    }
    const hashes = await Promise.all(inputs.map((bytes) => hasher.hash(bytes)));
    assert.deepEqual(hashes, inputs.map(expected));
  } finally {
    hasher.close();
  }
});

test('after close, or with hashes pending at close, every hash still resolves correctly', async () => {
  const hasher = new Sha256Hasher();
  const bytes = Buffer.from(new SharedArrayBuffer(4096), 0, 4096).fill(7);
  const pending = hasher.hash(bytes);
  hasher.close();
  assert.equal(await pending, expected(bytes));
  assert.equal(await hasher.hash(bytes), expected(bytes));
});
