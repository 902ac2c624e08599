import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { chooseHeapFlags, HEAP_FLAGS } from '../../src/cli/heap-flags.js';

test('the CLI sets both heap flags by default', () => {
  assert.deepEqual(chooseHeapFlags([], {}), ['--semi-space-growth-factor=1', '--heap-growing-percent=50']);
  assert.deepEqual(chooseHeapFlags([], {}), [...HEAP_FLAGS]);
});

test('a heap option the user gave (node flag or NODE_OPTIONS, - or _) is left as given', () => {
  assert.deepEqual(chooseHeapFlags(['--heap_growing_percent=80'], {}), ['--semi-space-growth-factor=1']);
  assert.deepEqual(chooseHeapFlags([], { NODE_OPTIONS: '--max-old-space-size=4096 --semi-space-growth-factor=2' }), ['--heap-growing-percent=50']);
  assert.deepEqual(chooseHeapFlags(['--max-semi-space-size=8'], {}), [...HEAP_FLAGS]);
});

test('IMG2TFRECORD_V8_DEFAULTS=1 keeps V8 sizing', () => {
  assert.deepEqual(chooseHeapFlags([], { IMG2TFRECORD_V8_DEFAULTS: '1' }), []);
});

test('applied flags keep the young generation at its starting size in a child process', () => {
  // Survivors far beyond the young generation's size: V8's default would grow it several times.
  const script = `
    import { applyHeapFlags } from ${JSON.stringify(new URL('../../src/cli/heap-flags.ts', import.meta.url).href)};
    import { getHeapSpaceStatistics } from 'node:v8';
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    if (process.env.APPLY === '1') applyHeapFlags();
    const before = newSpace();
    const kept = [];
    for (let i = 0; i < 400000; i++) kept.push({ i, s: 'x' + i });
    console.log(JSON.stringify({ before, after: newSpace(), kept: kept.length }));`;
  const run = (apply: string): { before: number; after: number } => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, APPLY: apply }, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout) as { before: number; after: number };
  };
  const applied = run('1');
  assert.equal(applied.after, applied.before);
  const defaults = run('0');
  assert.ok(defaults.after > defaults.before, `V8 default grows the young generation (${defaults.before} -> ${defaults.after})`);
});
