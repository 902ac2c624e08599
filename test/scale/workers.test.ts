import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliTest, spawnCliAsync, spawnCliSync, type CliResult } from '../helpers/cli.js';
import { convert } from '../../src/convert/convert.js';
import { parseWorker } from '../../src/scale/slices.js';
import { InvalidOptionError, UsageError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'workers-'));
}

/** 36 small images in 3 classes, one of them broken. */
async function tree(): Promise<string> {
  const dir = await tempDir();
  const sources = ['animals/HappyFish.jpg', 'graphics/swiss.png', 'graphics/d.png', 'graphics/ibasn0g04.png'];
  for (const cls of ['a', 'b', 'c']) {
    await mkdir(join(dir, cls));
    for (let i = 0; i < 12; i++) {
      const src = sources[i % sources.length] as string;
      await copyFile(join(SAMPLE, src), join(dir, cls, `${i}${src.slice(src.lastIndexOf('.'))}`));
    }
  }
  await writeFile(join(dir, 'b', 'broken.jpg'), 'not a jpeg');
  return dir;
}

const COMMON = ['--split', 'train=0.7,validation=0.15,test=0.15', '--shuffle', '--seed', '5', '--records-per-shard', '3', '--jobs', '2'];

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCliTest(args, { env });
}

async function shardBytes(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).filter((n) => n.includes('.tfrecord')).sort()) out.set(name, await readFile(join(dir, name)));
  return out;
}

test('N = 1, 3 and 7 workers together write exactly the single run\'s shards; merge-summary adds up', async () => {
  const input = await tree();
  const single = await tempDir();
  assert.equal((await cli(['convert', input, '-o', single, ...COMMON])).code, 3);
  const expected = await shardBytes(single);
  const singleSummary = JSON.parse(await readFile(join(single, 'dataset.json'), 'utf8'));
  assert.ok(expected.size > 7, `${expected.size} shards`);
  for (const n of [1, 3, 7]) {
    const out = await tempDir();
    const codes = await Promise.all(Array.from({ length: n }, (_, i) => spawnCliAsync(['convert', input, '-o', out, ...COMMON, '--worker', `${i}/${n}`])));
    assert.ok(codes.every((c) => c === 0 || c === 3), `worker exit codes ${codes.join(',')}`);
    const got = await shardBytes(out);
    assert.deepEqual([...got.keys()], [...expected.keys()], `N=${n}: same shard names`);
    for (const [name, bytes] of expected) assert.ok(got.get(name)?.equals(bytes), `N=${n}: ${name} byte-identical`);
    const merged = await cli(['merge-summary', out, '--json']);
    assert.equal(merged.code, 0, merged.stderr);
    const summary = JSON.parse(merged.stdout);
    for (const key of ['found', 'records', 'skipped', 'ignored']) assert.equal(summary[key], singleSummary[key], `N=${n}: ${key}`);
    assert.deepEqual(summary.errors, singleSummary.errors);
    assert.deepEqual(summary.shards, singleSummary.shards);
    assert.deepEqual(summary.classes, singleSummary.classes);
    assert.equal(summary.found, summary.records + summary.skipped + summary.ignored);
    if (n === 3) {
      // A lost shard: merge-summary names it, exits 1 and writes no dataset.json listing it.
      const lost = [...got.keys()][4] as string;
      await rm(join(out, lost));
      await rm(join(out, 'dataset.json'));
      const incomplete = await cli(['merge-summary', out]);
      assert.equal(incomplete.code, 1);
      assert.match(incomplete.stderr, new RegExp(`missing or incomplete: ${lost.replace(/\./g, '\\.')}`));
      assert.ok(!(await readdir(out)).includes('dataset.json'));
    }
  }
});

test('a run killed at 6 points (mid-shard, between shards, during rename) and resumed ends with identical bytes', async () => {
  const input = await tree();
  const reference = await tempDir();
  const referenceRun = await cli(['convert', input, '-o', reference, ...COMMON]);
  assert.equal(referenceRun.code, 3, `reference run (one broken input): ${referenceRun.stderr}`);
  const expected = await shardBytes(reference);
  const refSummary = JSON.parse(await readFile(join(reference, 'dataset.json'), 'utf8'));
  for (const fault of ['record:1', 'record:14', 'shard:1', 'shard:6', 'rename:1', 'rename:5']) {
    const out = await tempDir();
    const killed = await cli(['convert', input, '-o', out, ...COMMON], { IMG2TFRECORD_FAULT: fault });
    assert.equal(killed.code, null, `${fault}: killed`);
    const left = await readdir(out);
    assert.ok(!left.includes('dataset.json'), `${fault}: no summary from a killed run`);
    assert.ok(left.some((n) => n.startsWith('.')), `${fault}: the killed run left temp or complete files`);
    // Shards the killed run completed (a sidecar beside them): the resumed run must keep these very files.
    const complete = new Map<string, number>();
    for (const name of left.filter((n) => /^\..+\.json$/.test(n))) {
      const shard = name.slice(1, -'.json'.length);
      const file = left.includes(`.${shard}.complete`) ? `.${shard}.complete` : shard;
      complete.set(shard, (await stat(join(out, file))).ino);
    }
    if (fault.startsWith('shard') || fault.startsWith('rename')) assert.ok(complete.size > 0, `${fault}: complete shards to keep`);
    if (fault.startsWith('record')) {
      const partial = left.filter((n) => n.includes('.tmp-'));
      assert.equal(partial.length, 1, `${fault}: the open shard's temp file: ${left.join(', ')}`);
      assert.ok((await stat(join(out, partial[0] as string))).size > 0, `${fault}: half a shard on disk`);
    }
    let corrupted: string | null = null;
    if (fault === 'shard:6') {
      // One complete shard damaged in place (same size): its CRCs fail, so it is rewritten.
      corrupted = [...complete.keys()][2] as string;
      const path = join(out, `.${corrupted}.complete`);
      const bytes = await readFile(path);
      bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
      await writeFile(path, bytes);
      complete.delete(corrupted);
    }
    const resumed = await cli(['convert', input, '-o', out, ...COMMON, '--resume']);
    assert.equal(resumed.code, 3, `${fault}: ${resumed.stderr}`);
    const got = await shardBytes(out);
    assert.deepEqual([...got.keys()], [...expected.keys()], fault);
    for (const [name, bytes] of expected) assert.ok(got.get(name)?.equals(bytes), `${fault}: ${name}`);
    for (const [name, ino] of complete) assert.equal((await stat(join(out, name))).ino, ino, `${fault}: ${name} kept, not rewritten`);
    const leftovers = (await readdir(out)).filter((n) => n.startsWith('.'));
    assert.deepEqual(leftovers, [], `${fault}: temp files cleaned up`);
    const summary = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
    for (const key of ['found', 'records', 'skipped']) assert.equal(summary[key], refSummary[key], `${fault}: ${key}`);
  }
});

test('a path list on stdin (find ... | convert -) works with --worker: the union equals the single run', async () => {
  const input = await tree();
  const paths = (await readdir(input, { recursive: true })).filter((n) => /\.(jpg|png)$/.test(n)).sort().map((n) => join(input, n));
  const list = paths.join('\n');
  const args = ['convert', '-', '--records-per-shard', '5', '--shuffle', '--jobs', '2', '--quiet'];
  const single = await tempDir();
  const reference = await convert({ inputList: paths, output: single, recordsPerShard: 5, shuffle: true, jobs: 2 });
  assert.equal(reference.skipped, 1);
  const out = await tempDir();
  for (const i of [0, 1]) {
    const { code, stderr } = spawnCliSync([...args, '-o', out, '--worker', `${i}/2`], { input: list });
    assert.ok(code === 0 || code === 3, `worker ${i}: ${code} ${stderr}`);
  }
  const expected = await shardBytes(single);
  const got = await shardBytes(out);
  assert.ok(expected.size >= 4);
  assert.deepEqual([...got.keys()], [...expected.keys()]);
  for (const [name, bytes] of expected) assert.ok(got.get(name)?.equals(bytes), name);
  assert.equal((await cli(['merge-summary', out])).code, 0);
});

test('worker index out of range, N = 0, and a plan mismatch between workers are clear errors', async () => {
  assert.deepEqual(parseWorker('2/8'), { index: 2, count: 8 });
  assert.deepEqual(parseWorker('auto', 4, { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 });
  assert.deepEqual(parseWorker('auto', null, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '6', SLURM_ARRAY_TASK_MIN: '1' }), { index: 4, count: 6 });
  assert.deepEqual(parseWorker('auto', 2, { AWS_BATCH_JOB_ARRAY_INDEX: '1' }), { index: 1, count: 2 });
  assert.throws(() => parseWorker('8/8'), (e: unknown) => e instanceof InvalidOptionError && /Expected integer between 0 and 7 for worker index but received 8/.test(e.message));
  assert.throws(() => parseWorker('0/0'), /worker count/);
  assert.throws(() => parseWorker('auto', null, {}), UsageError);
  assert.throws(() => parseWorker('auto', null, { JOB_COMPLETION_INDEX: '1' }), /--workers N/);
  const outOfRange = await cli(['convert', SAMPLE, '-o', await tempDir(), '--worker', '3/2']);
  assert.equal(outOfRange.code, 2);
  assert.match(outOfRange.stderr, /--worker: worker index 3 is not an integer between 0 and 1/);
  const zero = await cli(['convert', SAMPLE, '-o', await tempDir(), '--worker', '0/0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /worker count/);

  const input = await tree();
  const out = await tempDir();
  for (const setup of [[...COMMON, '--worker', '0/2'], [...COMMON, '--seed', '6', '--worker', '1/2']]) {
    const r = await cli(['convert', input, '-o', out, ...setup]);
    assert.ok(r.code === 0 || r.code === 3, `setup run ${setup.join(' ')}: exit ${r.code} ${r.stderr}`);
  }
  const merged = await cli(['merge-summary', out]);
  assert.equal(merged.code, 2);
  assert.match(merged.stderr, /planned different runs/);
  const lonely = await tempDir();
  const lonelyRun = await cli(['convert', input, '-o', lonely, ...COMMON, '--worker', '0/2']);
  assert.ok(lonelyRun.code === 0 || lonelyRun.code === 3, `setup run: exit ${lonelyRun.code} ${lonelyRun.stderr}`);
  const partial = await cli(['merge-summary', lonely]);
  assert.equal(partial.code, 2);
  assert.match(partial.stderr, /no summary from worker 1 of 2/);
});
