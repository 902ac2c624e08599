import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from '../../src/convert/convert.js';
import { formatHumanSummary } from '../../src/cli/report.js';
import type { ConvertSummary } from '../../src/summary/summary.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample', import.meta.url));

test('the human summary warns when no input was found, and only then', async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-report-'));
  await mkdir(join(root, 'empty'));
  const empty = await convert({ input: join(root, 'empty'), output: join(root, 'out-empty') });
  assert.equal(empty.found, 0);
  assert.match(formatHumanSummary(empty, 0.1), /warning: no input files were found/);
  const full = await convert({ input: SAMPLE, output: join(root, 'out-full') });
  assert.equal(full.found, 7);
  const text = formatHumanSummary(full, 0.1);
  assert.doesNotMatch(text, /warning: no input/);
  assert.match(text, /found 7 = 7 converted \+ 0 skipped \+ 0 ignored/);
});

/** A summary with `n` skipped files and `n` notes, built from a real one. */
function withNotes(summary: ConvertSummary, n: number): ConvertSummary {
  const errors = Array.from({ length: n }, (_, i) => ({ path: `bad/${i}.jpg`, problem: 'truncated', reason: `bad/${i}.jpg: truncated` }));
  const warnings = Array.from({ length: n }, (_, i) => ({ path: `anim/${i}.gif`, message: 'animated: first frame kept' }));
  return { ...summary, errors, warnings, skipped: n, found: summary.found + n };
}

test('the human summary shows the first 20 per-file lines and a count of the rest; plurals are right', async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-report-'));
  const out = join(root, 'out');
  const full = await convert({ input: SAMPLE, output: out });
  const many = formatHumanSummary(withNotes(full, 185), 1);
  assert.equal(many.split('\n').filter((l) => /^ {4}bad\//.test(l)).length, 20);
  assert.equal(many.split('\n').filter((l) => /^ {4}anim\//.test(l)).length, 20);
  assert.match(many, /skipped 185:\n(?: {4}bad\/\d+\.jpg: truncated\n){20} {4}\.\.\. and 165 more \(all listed in .*out\/dataset\.json and --json\)/);
  assert.match(many, /185 notes:/);
  assert.ok(many.split('\n').length < 70, 'a CI log gets a screenful, not 370 lines');
  const one = await convert({ input: SAMPLE, output: join(root, 'one'), include: ['animals/HappyFish.jpg'] });
  const text = formatHumanSummary(withNotes(one, 1), 1);
  assert.match(text, /^img2tfrecord: 1 record in 1 shard /);
  assert.match(text, /1 class \(id 0\): animals/);
  assert.match(text, /1 note:/);
  assert.match(text, /train-00000-of-00001\.tfrecord: 1 record,/);
  assert.doesNotMatch(text, /\b1 (records|classes|notes|shards)\b/);
});

test('the summary says where it wrote: shard paths and the summary file (a worker\'s own)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-report-'));
  const out = join(root, 'out');
  const full = await convert({ input: SAMPLE, output: out, labelOffset: 1 });
  const text = formatHumanSummary(full, 1);
  assert.ok(text.includes(`  ${join(out, 'train-00000-of-00001.tfrecord')}: 7 records`), text);
  assert.ok(text.includes(`  summary: ${join(out, 'dataset.json')}`));
  assert.match(text, /4 classes \(ids 1\.\.4\)/);
  assert.ok(formatHumanSummary(full, 1, { summaryFile: 'dataset.1-of-4.json' }).includes(`summary: ${join(out, 'dataset.1-of-4.json')}`));
});

test('images/s counts only the inputs this run processed; a resumed run says how many shards it kept', async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-report-'));
  const full = await convert({ input: SAMPLE, output: join(root, 'out'), shards: 7 });
  assert.equal(full.resumed, undefined, 'only a --resume run has it');
  const resumed: ConvertSummary = { ...full, resumed: { shards: 5, records: 5 } };
  const text = formatHumanSummary(resumed, 1, { processed: 2 });
  assert.match(text, /resumed: kept 5 complete shards \(5 records\) from the earlier run; converted 2 inputs/);
  assert.match(text, /, 2 images\/s/);
  assert.match(formatHumanSummary(resumed, 1), /, 2 images\/s/, 'without the CLI count: records less those kept');
});

test('with -o - (no dataset.json, no --json) the human summary lists every skipped file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-report-'));
  const full = await convert({ input: SAMPLE, output: join(root, 'out') });
  const text = formatHumanSummary({ ...withNotes(full, 30), output: '-' }, 1);
  assert.equal(text.split('\n').filter((l) => /^ {4}bad\//.test(l)).length, 30);
  assert.doesNotMatch(text, /more \(all listed/);
  assert.doesNotMatch(text, /summary: /);
});
