import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

test('manifest inputs name their row as origin and share the label cell of equal labels', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-sources-'));
  const csv = join(dir, 'm.csv');
  await writeFile(csv, `path,label\n${['animals/HappyFish.jpg,fish', 'people/concert.jpg,fish', 'graphics/d.png,logo'].map((row) => join(SAMPLE, row)).join('\n')}\n`);
  const { inputs } = await gatherInputs(resolveConvertOptions({ manifest: csv, output: join(dir, 'out') }));
  assert.deepEqual(inputs.map((i) => i.origin), [`${csv}:2`, `${csv}:3`, `${csv}:4`]);
  assert.deepEqual(inputs.map((i) => i.label), [
    { type: 'bytes', values: ['fish'] }, { type: 'bytes', values: ['fish'] }, { type: 'bytes', values: ['logo'] },
  ]);
  assert.equal(inputs[0]?.label, inputs[1]?.label);
  assert.deepEqual(inputs.map((i) => i.stratum), ['["fish"]', '["fish"]', '["logo"]']);
  assert.deepEqual(inputs.map((i) => [i.className, i.path, i.size]), await Promise.all(inputs.map(async (i) => [null, i.path, (await stat(i.path)).size])));
  assert.equal(inputs[0]?.path, join(SAMPLE, 'animals/HappyFish.jpg'));
});
