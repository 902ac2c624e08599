import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runCliTest, spawnCli, spawnCliSync, type CliResult } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');

function run(args: string[], input?: string): Promise<CliResult> {
  return runCliTest(args, input === undefined ? {} : { input });
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-cli-'));
}

test('convert exits 0 and prints a human summary on stderr; --json prints only JSON on stdout', async () => {
  const out = await tempDir();
  const r = await run(['convert', SAMPLE, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.records, 7);
  assert.match(r.stderr, /found 7 = 7 converted \+ 0 skipped \+ 0 ignored/);
  assert.deepEqual(JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8')), summary);
});

test('exit 3 when inputs were skipped, and the skipped file is named', async () => {
  const input = await tempDir();
  await cp(SAMPLE, input, { recursive: true });
  await writeFile(join(input, 'animals', 'bad.jpg'), 'this is text, not a JPEG');
  const r = await run(['convert', input, '-o', await tempDir()]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /animals\/bad\.jpg/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  // --ok-if-skipped: a CI step under set -o pipefail passes; the skipped file is still reported.
  const ok = await run(['convert', input, '-o', await tempDir(), '--ok-if-skipped', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).errors.map((e: { path: string }) => e.path), ['animals/bad.jpg']);
  // A worker names the summary file it really writes.
  const out = await tempDir();
  const worker = await run(['convert', input, '-o', out, '--shards', '2', '--worker', '0/2', '--quiet']);
  assert.equal(worker.code, 3, worker.stderr);
  assert.ok(worker.stderr.includes(`(see ${join(out, 'dataset.0-of-2.json')})`), worker.stderr);
  assert.ok((await readdir(out)).includes('dataset.0-of-2.json'));
});

test('exit 2 on usage errors with a message naming the flag, no stack trace', async () => {
  const bad = await run(['convert', SAMPLE, '-o', await tempDir(), '--quality', '0']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "error: option '--quality <n>' argument '0' is invalid. --quality takes an integer from 1 to 100.\n(run with --help for usage)\n");
  const missing = await run(['convert', join(SAMPLE, 'nope'), '-o', await tempDir()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /input folder not found/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const noOut = await run(['convert', SAMPLE]);
  assert.equal(noOut.code, 2);
  const conflict = await run(['convert', SAMPLE, '-o', '-', '--json']);
  assert.equal(conflict.code, 2);
  // Values checked by the library are worded with the flag, not as JavaScript.
  const size = await run(['convert', SAMPLE, '-o', await tempDir(), '--shard-size', '10XB']);
  assert.equal(size.code, 2);
  assert.equal(size.stderr, 'img2tfrecord: --shard-size: "10XB" is not a size; use e.g. 256MB\n');
  const stdout = await run(['convert', SAMPLE, '-o', '-', '--records-per-shard', '2']);
  assert.equal(stdout.code, 2);
  assert.match(stdout.stderr, /--shards, --shard-size and --records-per-shard need a folder/);
});

test('exit 2 (usage) and nothing left behind when output exists without --overwrite', async () => {
  const out = await tempDir();
  assert.equal((await run(['convert', SAMPLE, '-o', out])).code, 0);
  const before = (await readdir(out)).sort();
  const again = await run(['convert', SAMPLE, '-o', out, '--shards', '2']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists; pass --overwrite/);
  assert.deepEqual((await readdir(out)).sort(), before);
});

test('-o - writes one TFRecord stream to stdout and the summary to stderr', async () => {
  const r = await run(['convert', SAMPLE, '-o', '-']);
  assert.equal(r.code, 0, r.stderr);
  // First frame: 8-byte length, then its masked CRC; the stream holds 7 records.
  assert.ok(r.raw.length > 7 * 16);
  let offset = 0;
  let records = 0;
  while (offset < r.raw.length) {
    const length = Number(r.raw.readBigUInt64LE(offset));
    offset += 12 + length + 4;
    records++;
  }
  assert.equal(offset, r.raw.length);
  assert.equal(records, 7);
  assert.match(r.stderr, /7 records/);
});

test('--help documents exit codes and every flag has a description', async () => {
  const r = await run(['convert', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Exit codes:/);
  for (const flag of ['--shards', '--shard-size', '--records-per-shard', '--compression', '--include', '--exclude', '--follow-symlinks',
    '--labels', '--label-offset', '--overwrite', '--strict', '--jobs', '--json', '--encode', '--quality', '--resize', '--channels']) {
    assert.match(r.stdout, new RegExp(`${flag}\\b`), flag);
  }
  assert.match(r.stdout, /4:4:4/);
});

test('--help lists every image flag and states the JPEG chroma subsampling and baseline (not progressive) coding', async () => {
  const r = await run(['convert', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--encode', '--quality', '--chroma-subsampling', '--png-compression', '--dtype', '--scale', '--layout', '--channel-order',
    '--no-auto-orient', '--depth', '--density', '--resize', '--fit', '--resize-shorter', '--center-crop', '--kernel', '--no-enlarge',
    '--channels', '--background', '--max-pixels', '--icc', '--validate']) {
    assert.match(r.stdout, new RegExp(`\\n\\s+${flag}\\b`), flag);
  }
  assert.match(r.stdout, /JPEG chroma subsampling \(default 4:4:4/);
  assert.match(r.stdout, /not\s+progressive/);
});

test('image flags reach the image step: Caffe-style raw, float32 0..1, and --depth 16 refused for JPEG', async () => {
  const out = await tempDir();
  const r = await run(['convert', SAMPLE, '-o', out, '--json', '--encode', 'raw', '--layout', 'chw', '--channel-order', 'bgr', '--dtype', 'float32',
    '--scale', '1', '--resize', '8x6', '--fit', 'fill', '--kernel', 'nearest', '--channels', '3', '--background', 'white', '--no-auto-orient', '--max-pixels', '6000000']);
  assert.equal(r.code, 0, r.stderr);
  const image = JSON.parse(r.stdout).options.image;
  assert.deepEqual(
    [image.encode, image.layout, image.channelOrder, image.dtype, image.scale, image.resize, image.fit, image.kernel, image.channels, image.background, image.autoOrient, image.maxPixels],
    ['raw', 'chw', 'bgr', 'float32', 1, { width: 8, height: 6 }, 'fill', 'nearest', 3, { r: 255, g: 255, b: 255 }, false, 6000000],
  );
  const depth = await run(['convert', SAMPLE, '-o', await tempDir(), '--depth', '16', '--encode', 'jpeg']);
  assert.equal(depth.code, 2);
  assert.match(depth.stderr, /Expected --encode png or raw for --depth 16 but received --encode jpeg/);
  const crop = await run(['convert', SAMPLE, '-o', await tempDir(), '--center-crop', '0x5']);
  assert.equal(crop.code, 2);
  assert.match(crop.stderr, /--center-crop/);
});

/** Polls `check` until it holds; fails (instead of hanging) if the child exits first. */
async function until(check: () => Promise<boolean>, child: { exitCode: number | null; signalCode: string | null }, what: string): Promise<void> {
  while (!(await check())) {
    if (child.exitCode !== null || child.signalCode !== null) assert.fail(`child exited before ${what}`);
    await sleep(20);
  }
}

test('SIGINT / SIGTERM mid-run (a real child process): exit 130 / 143, temp files removed at once, no final name', { skip: process.platform === 'win32', timeout: 120_000 }, async () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const root = await tempDir();
    const input = join(root, 'in');
    await cp(join(SAMPLE, 'animals'), join(input, 'a'), { recursive: true });
    await mkdir(join(input, 'z'));
    // A FIFO is reported, never opened, so it cannot hold the run; a read that never ends (a
    // stuck disk) at the last input does, mid-shard.
    execFileSync('mkfifo', [join(input, 'z', 'pipe.jpg')]);
    const out = join(root, 'out');
    const child = spawnCli(['convert', input, '-o', out, '--jobs', '1'], { env: { IMG2TFRECORD_FAULT: 'read:2:STALL' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    const names = async (): Promise<string[]> => readdir(out).catch(() => []);
    await until(async () => (await names()).some((n) => n.includes('.tmp-')), child, 'a shard was opened');
    child.kill(signal);
    // Cleanup does not wait for the stuck read.
    await until(async () => (await names()).length === 0, child, 'its temp files were removed');
    assert.equal(await exited, code, stderr);
    assert.deepEqual(await names(), [], 'no shard, temp file, labels.txt or dataset.json left');
    assert.match(stderr, new RegExp(`interrupted by ${signal}; partial output removed`));
  }
});

test('--strict: exit 1 at the first bad input and no output at all', async () => {
  const input = await tempDir();
  await cp(SAMPLE, input, { recursive: true });
  await writeFile(join(input, 'animals', 'bad.jpg'), 'this is text, not a JPEG');
  const out = join(await tempDir(), 'out');
  const r = await run(['convert', input, '-o', out, '--strict']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stopped by --strict: animals\/bad\.jpg/);
  await assert.rejects(readdir(out), /ENOENT/, 'the output folder the run made is removed too');
  // A folder that existed before the run is left in place (empty, as it was).
  await mkdir(out);
  assert.equal((await run(['convert', input, '-o', out, '--strict'])).code, 1);
  assert.deepEqual(await readdir(out), []);
});

test('summary: found = converted + skipped + ignored in the human summary, --json and dataset.json, with every documented field', async () => {
  const input = await tempDir();
  await cp(SAMPLE, input, { recursive: true });
  await writeFile(join(input, 'animals', 'bad.jpg'), 'this is text, not a JPEG');
  await writeFile(join(input, 'documents', 'notes.txt'), 'not an image');
  const out = await tempDir();
  const r = await run(['convert', input, '-o', out, '--json', '--shards', '2']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /found 9 = 7 converted \+ 1 skipped \+ 1 ignored/);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8')), summary);
  assert.deepEqual([summary.found, summary.records, summary.skipped, summary.ignored], [9, 7, 1, 1]);
  assert.equal(summary.errors.length, 1);
  assert.equal(summary.errors[0].path, 'animals/bad.jpg');
  assert.match(summary.errors[0].reason, /not an image/);
  assert.equal(summary.shards.length, 2);
  for (const shard of summary.shards) {
    assert.deepEqual(Object.keys(shard).sort(), ['bytes', 'file', 'records']);
    assert.equal((await readFile(join(out, shard.file))).length, shard.bytes);
  }
  assert.equal(summary.shards.reduce((n: number, s: { records: number }) => n + s.records, 0), 7);
  assert.deepEqual(summary.labels, ['animals', 'documents', 'graphics', 'people']);
  assert.deepEqual(summary.options.sharding, { kind: 'count', shards: 2 });
  assert.equal(summary.version, JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version);
});

test('--include / --exclude are repeatable; extensions are case-insensitive; dot-folders are not even counted', async () => {
  const input = await tempDir();
  await mkdir(join(input, 'cat', 'nested'), { recursive: true });
  await mkdir(join(input, 'dog'));
  await mkdir(join(input, 'cat', '.thumbs'));
  await cp(join(SAMPLE, 'animals', 'HappyFish.jpg'), join(input, 'cat', 'A.JPEG'));
  await cp(join(SAMPLE, 'people', 'concert.jpg'), join(input, 'cat', 'nested', 'b.Jpg'));
  await cp(join(SAMPLE, 'graphics', 'd.png'), join(input, 'dog', 'd.PNG'));
  await cp(join(SAMPLE, 'graphics', 'swiss.png'), join(input, 'dog', 'skip.png'));
  await cp(join(SAMPLE, 'graphics', 'd.png'), join(input, 'cat', '.thumbs', 'x.png'));
  const all = await run(['convert', input, '-o', await tempDir(), '--json', '-q']);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual([JSON.parse(all.stdout).found, JSON.parse(all.stdout).records], [4, 4]);
  const r = await run(['convert', input, '-o', await tempDir(), '--json', '-q',
    '--include', 'cat/**', '--include', 'dog/**', '--exclude', '**/skip.png', '--exclude', '**/nested/**']);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.records, 2);
  assert.deepEqual(summary.labels, ['cat', 'dog']);
  const out = await tempDir();
  assert.equal((await run(['convert', input, '-o', out, '--include', 'cat/**', '-q'])).code, 0);
  const dump = await run(['dump', out, '--keys', 'image/filename,image/class/text,image/format']);
  const records = dump.stdout.trim().split('\n').map((l) => JSON.parse(l).features);
  assert.deepEqual(records.map((f) => f['image/filename'].values[0]), ['cat/A.JPEG', 'cat/nested/b.Jpg']);
  assert.deepEqual(records.map((f) => f['image/class/text'].values[0]), ['cat', 'cat'], 'nested folders take their top-level class');
  assert.deepEqual(records.map((f) => f['image/format'].values[0]), ['jpeg', 'jpeg']);
});

test('-o - with --compression gzip writes one GZIP stream of the framed records to stdout', async () => {
  const r = await run(['convert', SAMPLE, '-o', '-', '--compression', 'gzip', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...r.raw.subarray(0, 2)], [0x1f, 0x8b]);
  const plain = await run(['convert', SAMPLE, '-o', '-', '-q']);
  assert.ok(gunzipSync(r.raw).equals(plain.raw), 'the gzip stream holds exactly the plain stream');
});

test('--split on a pre-split tree is refused naming the flags; --resplit re-splits', async () => {
  const input = await tempDir();
  for (const split of ['train', 'val']) {
    await mkdir(join(input, split, 'animals'), { recursive: true });
    await cp(join(SAMPLE, 'animals'), join(input, split, 'animals'), { recursive: true });
  }
  const refused = await run(['convert', input, '-o', await tempDir(), '--split', 'train=0.5,test=0.5']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(refused.stderr, 'img2tfrecord: --split: the input folder is pre-split (train/, val/); drop --split to keep those folders as the splits, or add --resplit to pool and re-split them\n');
  const resplit = await run(['convert', input, '-o', await tempDir(), '--split', 'train=0.5,test=0.5', '--resplit', '--json']);
  assert.equal(resplit.code, 0, resplit.stderr);
  assert.deepEqual(Object.keys(JSON.parse(resplit.stdout).splits), ['train', 'test']);
});

test('--resume says how many complete shards it kept, and images/s counts only the files it converted', async () => {
  const out = await tempDir();
  const args = ['convert', SAMPLE, '-o', out, '--records-per-shard', '1', '--jobs', '1'];
  const killed = spawnCliSync(args, { env: { IMG2TFRECORD_FAULT: 'shard:4' } });
  assert.equal(killed.code, null, 'killed');
  const resumed = await run([...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const match = /resumed: kept (\d+) complete shards \((\d+) records\) from the earlier run; converted (\d+) inputs/.exec(resumed.stderr);
  assert.ok(match !== null, resumed.stderr);
  const [kept, keptRecords, converted] = match.slice(1).map(Number) as [number, number, number];
  assert.ok(kept >= 3, `${kept} shards kept`);
  assert.equal(keptRecords, kept);
  assert.equal(converted, 7 - kept);
});
