import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliTest, spawnCliAsync, type CliResult } from '../helpers/cli.js';
import { OutputExistsError } from '../../src/errors.js';
import { convert } from '../../src/convert/convert.js';
import { inspectFiles } from '../../src/read/inspect.js';
import { expandRecordFiles } from '../../src/sinks/record-files.js';
import { summaryFileName, workerSummaryFile } from '../../src/summary/summary.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');

function cli(args: string[]): Promise<CliResult> {
  return runCliTest(args);
}

test('summary file names: dataset.json for the default prefix, <prefix>.dataset.json for others', () => {
  assert.equal(summaryFileName('train'), 'dataset.json');
  assert.equal(summaryFileName('validation'), 'validation.dataset.json');
  assert.equal(workerSummaryFile(1, 4), 'dataset.1-of-4.json');
  assert.equal(workerSummaryFile(1, 4, 'validation'), 'validation.dataset.1-of-4.json');
});

test("the README's train/validation recipe: two prefixes share one folder without --overwrite", async () => {
  const out = await mkdtemp(join(tmpdir(), 'prefixes-'));
  assert.equal((await cli(['convert', SAMPLE, '-o', out, '--label-offset', '1', '-q'])).code, 0);
  const trainSummary = await readFile(join(out, 'dataset.json'), 'utf8');
  const val = await cli(['convert', SAMPLE, '-o', out, '--prefix', 'validation', '--labels', join(out, 'labels.txt'), '-q']);
  assert.equal(val.code, 0, val.stderr);
  assert.deepEqual((await readdir(out)).sort(), [
    'dataset.json', 'labels.txt', 'train-00000-of-00001.tfrecord', 'validation-00000-of-00001.tfrecord', 'validation.dataset.json',
  ]);
  assert.equal(await readFile(join(out, 'dataset.json'), 'utf8'), trainSummary, "the training run's summary is untouched");
  const validation = JSON.parse(await readFile(join(out, 'validation.dataset.json'), 'utf8'));
  assert.deepEqual(validation.shards.map((s: { file: string }) => s.file), ['validation-00000-of-00001.tfrecord']);

  // --overwrite of one prefix never deletes another prefix's files.
  assert.equal((await cli(['convert', SAMPLE, '-o', out, '--prefix', 'validation', '--labels', join(out, 'labels.txt'), '--overwrite', '-q'])).code, 0);
  assert.equal(await readFile(join(out, 'dataset.json'), 'utf8'), trainSummary);
  assert.ok((await readdir(out)).includes('train-00000-of-00001.tfrecord'));

  // inspect reads every prefix's shards and none of the summaries.
  const files = await expandRecordFiles([out]);
  assert.deepEqual(files.map((f) => f.slice(out.length + 1)), ['train-00000-of-00001.tfrecord', 'validation-00000-of-00001.tfrecord']);
  const report = await inspectFiles(files);
  assert.equal(report.records, 14);
});

test('a shared labels.txt clashes only when a run would change it', async () => {
  const out = await mkdtemp(join(tmpdir(), 'prefixes-'));
  await convert({ input: SAMPLE, output: out });
  await writeFile(join(out, 'labels.txt'), 'something\nelse\n');
  await assert.rejects(convert({ input: SAMPLE, output: out, prefix: 'validation' }), (e: unknown) =>
    e instanceof OutputExistsError && e.message.includes('labels.txt'));
  assert.equal(await readFile(join(out, 'labels.txt'), 'utf8'), 'something\nelse\n');
});

test('merge-summary merges each prefix of a worker run into its own summary', async () => {
  const out = await mkdtemp(join(tmpdir(), 'prefixes-'));
  for (const prefix of ['train', 'validation']) {
    const codes = await Promise.all([0, 1].map((i) => spawnCliAsync(['convert', SAMPLE, '-o', out, '--prefix', prefix, '--shards', '2', '--worker', `${i}/2`, '-q'])));
    assert.deepEqual(codes, [0, 0]);
  }
  const merged = await cli(['merge-summary', `${out}/`]);  // a trailing slash, as in the README's `merge-summary out/`
  assert.equal(merged.code, 0, merged.stderr);
  assert.ok(merged.stderr.includes(`into ${join(out, 'dataset.json')}\n`), merged.stderr);
  assert.ok(merged.stderr.includes(`into ${join(out, 'validation.dataset.json')}\n`), merged.stderr);
  const train = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
  const validation = JSON.parse(await readFile(join(out, 'validation.dataset.json'), 'utf8'));
  assert.deepEqual(train.shards.map((s: { file: string }) => s.file), ['train-00000-of-00002.tfrecord', 'train-00001-of-00002.tfrecord']);
  assert.deepEqual(validation.shards.map((s: { file: string }) => s.file), ['validation-00000-of-00002.tfrecord', 'validation-00001-of-00002.tfrecord']);
  assert.equal(train.records + validation.records, 14);
});
