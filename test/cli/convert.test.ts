import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');
const BIN = join(ROOT, 'src/cli/bin.ts');

function run(args: string[], input?: string): { code: number | null; stdout: string; stderr: string; raw: Buffer } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], {
    cwd: ROOT, input, env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-cli-'));
}

test('convert exits 0 and prints a human summary on stderr; --json prints only JSON on stdout', async () => {
  const out = await tempDir();
  const r = run(['convert', SAMPLE, '-o', out, '--json']);
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
  const r = run(['convert', input, '-o', await tempDir()]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /animals\/bad\.jpg/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('exit 2 on usage errors with a message naming the flag, no stack trace', async () => {
  const bad = run(['convert', SAMPLE, '-o', await tempDir(), '--quality', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Expected integer between 1 and 100 for --quality but received "0"/);
  const missing = run(['convert', join(SAMPLE, 'nope'), '-o', await tempDir()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /input folder not found/);
  assert.doesNotMatch(missing.stderr, /\n\s+at /);
  const noOut = run(['convert', SAMPLE]);
  assert.equal(noOut.code, 2);
  const conflict = run(['convert', SAMPLE, '-o', '-', '--json']);
  assert.equal(conflict.code, 2);
});

test('exit 1 and nothing left behind when output exists without --overwrite', async () => {
  const out = await tempDir();
  assert.equal(run(['convert', SAMPLE, '-o', out]).code, 0);
  const before = (await readdir(out)).sort();
  const again = run(['convert', SAMPLE, '-o', out, '--shards', '2']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists; pass --overwrite/);
  assert.deepEqual((await readdir(out)).sort(), before);
});

test('-o - writes one TFRecord stream to stdout and the summary to stderr', async () => {
  const r = run(['convert', SAMPLE, '-o', '-']);
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

test('--help documents exit codes and every flag has a description', () => {
  const r = run(['convert', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Exit codes:/);
  for (const flag of ['--shards', '--shard-size', '--records-per-shard', '--compression', '--include', '--exclude', '--follow-symlinks',
    '--labels', '--label-offset', '--overwrite', '--strict', '--jobs', '--json', '--encode', '--quality', '--resize', '--channels']) {
    assert.match(r.stdout, new RegExp(`${flag}\\b`), flag);
  }
  assert.match(r.stdout, /4:4:4/);
});

test('--help lists every image flag and states the JPEG chroma subsampling and baseline (not progressive) coding', () => {
  const r = run(['convert', '--help']);
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
  const r = run(['convert', SAMPLE, '-o', out, '--json', '--encode', 'raw', '--layout', 'chw', '--channel-order', 'bgr', '--dtype', 'float32',
    '--scale', '1', '--resize', '8x6', '--fit', 'fill', '--kernel', 'nearest', '--channels', '3', '--background', 'white', '--no-auto-orient', '--max-pixels', '6000000']);
  assert.equal(r.code, 0, r.stderr);
  const image = JSON.parse(r.stdout).options.image;
  assert.deepEqual(
    [image.encode, image.layout, image.channelOrder, image.dtype, image.scale, image.resize, image.fit, image.kernel, image.channels, image.background, image.autoOrient, image.maxPixels],
    ['raw', 'chw', 'bgr', 'float32', 1, { width: 8, height: 6 }, 'fill', 'nearest', 3, { r: 255, g: 255, b: 255 }, false, 6000000],
  );
  const depth = run(['convert', SAMPLE, '-o', await tempDir(), '--depth', '16', '--encode', 'jpeg']);
  assert.equal(depth.code, 2);
  assert.match(depth.stderr, /Expected encode png or raw for depth 16 but received encode jpeg/);
  const crop = run(['convert', SAMPLE, '-o', await tempDir(), '--center-crop', '0x5']);
  assert.equal(crop.code, 2);
  assert.match(crop.stderr, /--center-crop/);
});
