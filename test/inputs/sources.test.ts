import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConvertOptions } from '../../src/convert/options/options.js';
import { gatherInputs } from '../../src/inputs/sources.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

test('a folder input is read from the folder joined with its relPath, with its class, size and no manifest fields', async () => {
  const { inputs } = await gatherInputs(resolveConvertOptions({ input: SAMPLE, output: '/tmp/unused' }));
  assert.equal(inputs.length, 7);
  for (const input of inputs) {
    assert.equal(input.path, join(SAMPLE, input.relPath));
    assert.equal(input.className, input.relPath.split('/')[0]);
    assert.equal(input.size, (await stat(input.path)).size);
    assert.equal(Number.isInteger(input.size), true);
    assert.equal(input.label, null);
    assert.equal(input.origin, null);
    assert.equal(input.split, null);
    assert.equal(input.extra.size, 0);
    assert.equal(input.images.size, 0);
  }
  // Destructuring (as the encode stage does) sees the joined path too.
  const { path, relPath } = inputs[0] as (typeof inputs)[number];
  assert.equal(path, join(SAMPLE, relPath));
});
