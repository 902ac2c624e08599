import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { resolveConvertOptions } from '../../src/convert/options/options.js';
import { prepareJob } from '../../src/convert/prepare.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

test('one work item per input: the labelled inputs (gathered order) are the work items (plan order)', async () => {
  const job = await prepareJob(resolveConvertOptions({ input: SAMPLE, output: '/tmp/unused', shards: 2, shuffle: true, seed: 3 }));
  assert.equal(job.owned.length, 7);
  assert.equal(job.inputs.length, 7);
  // Gathered order is sorted by path; the shuffled plan order is not.
  assert.deepEqual(job.inputs.map((i) => i.input.relPath), [...job.inputs.map((i) => i.input.relPath)].sort());
  assert.deepEqual(job.owned.map((w) => w.input), job.plans[0]?.inputs);
  const owned = new Set<object>(job.owned);
  for (const labelled of job.inputs) assert.ok(owned.has(labelled), `${labelled.input.relPath} is its own work item`);
  for (const work of job.owned) {
    assert.equal(work.shard, work.plan.shardOf[work.plan.inputs.indexOf(work.input)]);
    assert.deepEqual(work.label.classes, [work.input.className]);
  }
});

test('a worker owns the work items of its shards only; every input stays labelled', async () => {
  const settings = resolveConvertOptions({ input: SAMPLE, output: '/tmp/unused', shards: 2, worker: { index: 1, count: 2 } });
  const job = await prepareJob(settings);
  assert.equal(job.inputs.length, 7);
  assert.ok(job.owned.length > 0 && job.owned.length < 7);
  assert.ok(job.owned.every((w) => w.shard === 1));
  const labelled = new Set<object>(job.inputs);
  assert.ok(job.owned.every((w) => labelled.has(w)));
});
