import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { SplitPlan } from '../../src/dataset/plan.js';
import type { InputItem } from '../../src/inputs/sources.js';
import { fingerprintPlan, fingerprintShards } from '../../src/convert/fingerprint.js';

/** A plan of `count` inputs over `shards` shards; enough text that hashing is done in several pieces. */
function plan(count: number, shards: number): SplitPlan<InputItem> {
  const inputs = Array.from({ length: count }, (_, i) => ({ relPath: `class_${i % 7}/img_${String(i).padStart(6, '0')}.jpg`, size: 1000 + i }) as InputItem);
  const shardOf = inputs.map((_, i) => Math.floor((i * shards) / count));
  return { name: 'train', inputs, shardOf, shardCount: shards };
}

test('fingerprintPlan hashes one line per input, as written: the digest of the concatenated lines', () => {
  const p = plan(5000, 3);
  const expected = createHash('sha256').update(JSON.stringify({ decisive: { prefix: 'train' }, labels: null }));
  expected.update(`\ntrain:3`);
  for (const input of p.inputs) expected.update(`\n${input.relPath}\t${input.size}`);
  assert.equal(fingerprintPlan({ prefix: 'train', worker: null }, null, [p]), expected.digest('hex'));
});

test('fingerprintShards gives each shard the hash of its own inputs, in order, whatever the shard count', () => {
  for (const shards of [1, 3, 200]) {
    const p = plan(5000, shards);
    const expected = Array.from({ length: shards }, (_, k) => createHash('sha256').update(`fp\ntrain\n${k}`));
    p.inputs.forEach((input, i) => expected[p.shardOf[i] as number]?.update(`\n${input.relPath}\t${input.size}`));
    assert.deepEqual(fingerprintShards('fp', p), expected.map((h) => h.digest('hex')));
  }
});
