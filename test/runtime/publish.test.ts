import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliTest, type CliResult } from '../helpers/cli.js';
import { OutputWriteError } from '../../src/errors.js';
import { convert } from '../../src/convert/convert.js';
import { toOutputError } from '../../src/runtime/publish.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'publish-'));
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCliTest(args, { env });
}

/** Runs `fn` with IMG2TFRECORD_FAULT set (the sink reads it on every pass). */
async function withFault<T>(fault: string, fn: () => Promise<T>): Promise<T> {
  process.env.IMG2TFRECORD_FAULT = fault;
  try {
    return await fn();
  } finally {
    delete process.env.IMG2TFRECORD_FAULT;
  }
}

const OPTIONS = { input: SAMPLE, shards: 3, index: true } as const;

test('a full disk during the last writes leaves nothing under a final name, and a plain rerun works', async () => {
  // stage: the .idx files, labels.txt, dataset.json; rename: the 3 shards, then those sidecars.
  for (const fault of ['stage:1:ENOSPC', 'stage:4:ENOSPC', 'stage:5:ENOSPC', 'rename:1:ENOSPC', 'rename:3:ENOSPC', 'rename:7:ENOSPC', 'rename:8:ENOSPC']) {
    const out = join(await tempDir(), 'existing');
    await mkdir(out);
    await assert.rejects(withFault(fault, () => convert({ ...OPTIONS, output: out })), (e: unknown) =>
      e instanceof OutputWriteError && e.message === `cannot write to ${out}: disk full`, fault);
    assert.deepEqual(await readdir(out), [], `${fault}: no shard, sidecar or temp file left`);
    const summary = await convert({ ...OPTIONS, output: out });
    assert.equal(summary.records, 7, `${fault}: the rerun needs no --overwrite`);
  }
});

test('a failed run removes the folder it made; a read-only disk is one clear line', async () => {
  const out = join(await tempDir(), 'new', 'deeper');
  await assert.rejects(withFault('stage:2:EROFS', () => convert({ ...OPTIONS, output: out })), (e: unknown) =>
    e instanceof OutputWriteError && e.message === `cannot write to ${out}: read-only file system`);
  assert.deepEqual(await readdir(join(out, '..')), []);
  const r = await cli(['convert', SAMPLE, '-o', out], { IMG2TFRECORD_FAULT: 'rename:1:EROFS' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `img2tfrecord: cannot write to ${out}: read-only file system\n`, 'one line, no stack');
});

test('file-system errors become one line naming the output folder; others are left alone', () => {
  const error = (code: string, path?: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code, ...(path === undefined ? {} : { path }) });
  assert.equal((toOutputError(error('ENOSPC'), 'out') as Error).message, 'cannot write to out: disk full');
  assert.equal((toOutputError(error('EACCES', 'out/x.tfrecord'), 'out') as Error).message, 'cannot write to out: permission denied');
  // EACCES on an input is not a write failure.
  const input = error('EACCES', 'photos/cat');
  assert.equal(toOutputError(input, 'out'), input);
});

test('a real read-only file system (tmpfs, root only): one clear line for an existing and a new folder', async (t) => {
  const mount = await tempDir();
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mount]).status !== 0) {
    t.skip('cannot mount a tmpfs here (needs root); the fault-injection tests above cover the same paths');
    return;
  }
  try {
    for (const out of [mount, join(mount, 'new')]) {
      const r = await cli(['convert', SAMPLE, '-o', out]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `img2tfrecord: cannot write to ${out}: read-only file system\n`);
    }
  } finally {
    spawnSync('umount', [mount]);
  }
});

test('a kill during the final renames: a plain rerun names the incomplete run, --resume ends with the same dataset.json', async () => {
  const reference = await tempDir();
  assert.equal((await cli(['convert', SAMPLE, '-o', reference, '--shards', '4'])).code, 0);
  const out = await tempDir();
  const killed = await cli(['convert', SAMPLE, '-o', out, '--shards', '4'], { IMG2TFRECORD_FAULT: 'rename:3' });
  assert.equal(killed.code, null, 'killed');
  assert.ok((await readdir(out)).includes('train-00000-of-00004.tfrecord'), 'some shards were final');
  const plain = await cli(['convert', SAMPLE, '-o', out, '--shards', '4']);
  assert.equal(plain.code, 2, plain.stderr); // an output folder in use is a usage error (exit 2)
  assert.match(plain.stderr, /holds an incomplete run of "train".*--resume/);
  const resumed = await cli(['convert', SAMPLE, '-o', out, '--shards', '4', '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  // Only how the run went may differ: the "resumed" count (shards kept) is dropped before comparing.
  const summary = (dir: string): Promise<string> => readFile(join(dir, 'dataset.json'), 'utf8').then((text) => { const { resumed: _r, ...rest } = JSON.parse(text.split(dir).join('OUT')) as Record<string, unknown>; return JSON.stringify(rest); });
  assert.equal(await summary(out), await summary(reference));
  assert.deepEqual((await readdir(out)).filter((n) => n.startsWith('.')), [], 'no temp or resume files left');
  await rm(out, { recursive: true });
});

test('a second signal exits at once: removeTempFilesSync removes the temporary files still tracked', async () => {
  const { trackTemp, removeTempFilesSync } = await import('../../src/runtime/publish.js');
  const dir = await tempDir();
  const temp = join(dir, '.train-00000-of-00001.tfrecord.tmp-1');
  await writeFile(temp, 'partial');
  trackTemp(temp);
  removeTempFilesSync();
  assert.deepEqual(await readdir(dir), []);
});
