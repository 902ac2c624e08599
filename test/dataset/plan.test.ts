import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignSplits, keyedUnit, parseSplitSpec, planShards, type PlanInput } from '../../src/dataset/plan.js';
import { InvalidOptionError } from '../../src/errors.js';

function inputs(classes: Record<string, number>, prefix = ''): PlanInput[] {
  const out: PlanInput[] = [];
  for (const [cls, n] of Object.entries(classes)) {
    for (let i = 0; i < n; i++) out.push({ relPath: `${cls}/${prefix}${String(i).padStart(4, '0')}.jpg`, className: cls, size: 1000 + i, split: null });
  }
  return out;
}

test('parseSplitSpec reads name=fraction lists and rejects bad ones', () => {
  assert.deepEqual(parseSplitSpec('train=0.8,validation=0.1,test=0.1'), [
    { name: 'train', fraction: 0.8 }, { name: 'validation', fraction: 0.1 }, { name: 'test', fraction: 0.1 }]);
  assert.throws(() => parseSplitSpec('train=0.8,test=0.1'), InvalidOptionError);
  assert.throws(() => parseSplitSpec('train=1,train=0'), InvalidOptionError);
  assert.throws(() => parseSplitSpec('train:0.5,test:0.5'), InvalidOptionError);
});

test('keyedUnit is a stable number in [0, 1) that depends on the seed', () => {
  const a = keyedUnit(0, 'split', 'cat/1.jpg');
  assert.equal(a, keyedUnit(0, 'split', 'cat/1.jpg'));
  assert.ok(a >= 0 && a < 1);
  assert.notEqual(a, keyedUnit(1, 'split', 'cat/1.jpg'));
});

test('splits are stratified: every class is in every split, in proportion', () => {
  const all = inputs({ a: 10, b: 25, c: 200 });
  const splits = parseSplitSpec('train=0.8,validation=0.1,test=0.1');
  const assigned = assignSplits(all, splits, 0);
  for (const cls of ['a', 'b', 'c']) {
    const members = all.filter((i) => i.className === cls);
    for (const s of splits) {
      const n = members.filter((m) => assigned.get(m) === s.name).length;
      assert.ok(n > 0, `class ${cls} has files in ${s.name}`);
    }
  }
  const big = all.filter((i) => i.className === 'c');
  const train = big.filter((m) => assigned.get(m) === 'train').length / big.length;
  assert.ok(Math.abs(train - 0.8) < 0.1, `train fraction ${train}`);
});

test('adding 10% more files never moves an earlier file to another split', () => {
  const splits = parseSplitSpec('train=0.8,validation=0.1,test=0.1');
  const before = inputs({ a: 100, b: 150, c: 300 });
  const after = [...before, ...inputs({ a: 10, b: 15, c: 30 }, 'new-')];
  const s1 = assignSplits(before, splits, 7);
  const s2 = assignSplits(after, splits, 7);
  for (const input of before) assert.equal(s2.get(input), s1.get(input), input.relPath);
});

test('plans are deterministic; shuffle is a seeded permutation; sharding by count, records and size', () => {
  const all = inputs({ a: 30, b: 30 });
  const base = { splits: null, defaultSplit: 'train', seed: 0, shuffle: false } as const;
  const [sorted] = planShards(all, { ...base, sharding: { kind: 'count', shards: 4 } });
  assert.deepEqual(sorted?.inputs.map((i) => i.relPath), all.map((i) => i.relPath).sort());
  assert.equal(sorted?.shardCount, 4);
  assert.deepEqual([...new Set(sorted?.shardOf)], [0, 1, 2, 3]);
  const [shuffled] = planShards(all, { ...base, shuffle: true, sharding: { kind: 'records', records: 25 } });
  const [again] = planShards([...all].reverse(), { ...base, shuffle: true, sharding: { kind: 'records', records: 25 } });
  assert.deepEqual(shuffled?.inputs.map((i) => i.relPath), again?.inputs.map((i) => i.relPath));
  assert.notDeepEqual(shuffled?.inputs.map((i) => i.relPath), sorted?.inputs.map((i) => i.relPath));
  assert.deepEqual([...(shuffled?.inputs ?? [])].map((i) => i.relPath).sort(), sorted?.inputs.map((i) => i.relPath));
  assert.equal(shuffled?.shardCount, 3);
  const [other] = planShards(all, { ...base, seed: 1, shuffle: true, sharding: { kind: 'records', records: 25 } });
  assert.notDeepEqual(other?.inputs.map((i) => i.relPath), shuffled?.inputs.map((i) => i.relPath));
  const uniform = all.map((i) => ({ ...i, size: 1024 }));
  // 1024 bytes + 512 planned overhead each: exactly 10 fit in 15360 bytes.
  const [bySize] = planShards(uniform, { ...base, sharding: { kind: 'size', bytes: 10 * 1536 } });
  assert.equal(bySize?.shardCount, 6);
  assert.deepEqual(bySize?.shardOf.slice(8, 12), [0, 0, 1, 1]);
});

test('split plans come in declared order with their own shard sets', () => {
  const plans = planShards(inputs({ a: 40, b: 40 }), {
    sharding: { kind: 'count', shards: 2 }, splits: parseSplitSpec('train=0.5,test=0.5'), defaultSplit: 'x', seed: 0, shuffle: false,
  });
  assert.deepEqual(plans.map((p) => p.name), ['train', 'test']);
  assert.equal(plans.reduce((n, p) => n + p.inputs.length, 0), 80);
  assert.ok(plans.every((p) => p.shardCount === 2));
});
