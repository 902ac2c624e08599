import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliTest, type CliResult } from '../helpers/cli.js';
import { bytesFeature, encodeExample, int64Feature } from '../../src/example/index.js';
import { frameRecordToBuffer } from '../../src/record/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = join(ROOT, 'fixtures/golden');

function run(args: string[]): Promise<CliResult> {
  return runCliTest(args);
}

test('verify: exit 0 clean, 1 with problems (each named with file, offset and record), 2 on a missing file', async () => {
  assert.equal((await run(['verify', join(GOLDEN, 'tf_singles.tfrecords')])).code, 0);
  const spectro = await run(['verify', '--decode', join(GOLDEN, 'spectrogram_validation-00000-of-00001')]);
  assert.equal(spectro.code, 1);
  assert.match(spectro.stderr, /spectrogram_validation-00000-of-00001: record 3 at offset \d+: image\/encoded declares format "TIF"/);
  assert.equal((await run(['verify', join(GOLDEN, 'no-such-file')])).code, 2);
  const dir = await mkdtemp(join(tmpdir(), 'cli-read-'));
  const bad = Buffer.from(await readFile(join(GOLDEN, 'tf_singles.tfrecords')));
  bad[50] = (bad[50] as number) ^ 1;
  await writeFile(join(dir, 'bad.tfrecord'), bad);
  const r = await run(['verify', join(dir, 'bad.tfrecord'), '--json']);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.equal(report.problems.length, 1);
  assert.equal(report.problems[0].offset, 40);
});

test('dump prints JSON Lines; inspect --json parses; index writes <file>.idx', async () => {
  const dump = await run(['dump', join(GOLDEN, 'tf_singles.tfrecords')]);
  assert.equal(dump.code, 0);
  const lines = dump.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  const inspect = await run(['inspect', '--json', join(GOLDEN, 'beam_penguin_eval.tfrecord.gz')]);
  assert.equal(JSON.parse(inspect.stdout).records, 100);
  const dir = await mkdtemp(join(tmpdir(), 'cli-index-'));
  await writeFile(join(dir, 'a.tfrecord'), await readFile(join(GOLDEN, 'tf_singles.tfrecords')));
  assert.equal((await run(['index', join(dir, 'a.tfrecord')])).code, 0);
  assert.equal(await readFile(join(dir, 'a.tfrecord.idx'), 'utf8'), '0 40\n40 45\n85 45\n');
  const gz = await run(['index', join(GOLDEN, 'beam_penguin_eval.tfrecord.gz')]);
  assert.equal(gz.code, 1);
  assert.match(gz.stderr, /GZIP-compressed: record offsets in a compressed stream cannot be seeked to/);
});

test('dump maps --bytes, --limit and --keys; inspect names a SequenceExample file', async () => {
  const dump = await run(['dump', join(GOLDEN, 'tf_singles.tfrecords'), '--bytes', 'hex', '--keys', 'byte_feature,int_feature', '--limit', '3']);
  assert.equal(dump.code, 0, dump.stderr);
  const lines = dump.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.features), [{ int_feature: { type: 'int64', values: [42] } }, {}, { byte_feature: { type: 'bytes', values: [{ hex: '4041424344' }] } }]);
  assert.equal((await run(['dump', join(GOLDEN, 'tf_singles.tfrecords'), '--limit', '1'])).stdout.trim().split('\n').length, 1);
  assert.equal((await run(['dump', join(GOLDEN, 'tf_singles.tfrecords'), '--bytes', 'utf16'])).code, 2);
  const inspect = await run(['inspect', join(GOLDEN, 'beam_sequence_examples.tfrecord.gz')]);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /15000 records, .*GZIP \(15000 tf\.train\.SequenceExample\)/);
});

test('extract: a record named ../../escape.jpg lands inside -o with a warning naming the record; a second run suffixes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-extract-'));
  const jpeg = await readFile(join(ROOT, 'fixtures/sample/animals/HappyFish.jpg'));
  await writeFile(join(dir, 'evil.tfrecord'), frameRecordToBuffer(encodeExample({ 'image/encoded': bytesFeature(jpeg), 'image/filename': bytesFeature('../../escape.jpg') })));
  const out = join(dir, 'nested', 'out');
  const r = await run(['extract', join(dir, 'evil.tfrecord'), '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*evil\.tfrecord: record 0: unsafe name "\.\.\/\.\.\/escape\.jpg" written as "escape\.jpg"/);
  assert.deepEqual(await readdir(out), ['escape.jpg']);
  assert.deepEqual((await readdir(dir)).sort(), ['evil.tfrecord', 'nested']);
  assert.deepEqual(await readdir(join(dir, 'nested')), ['out']);
  assert.ok((await readFile(join(out, 'escape.jpg'))).equals(jpeg));
  assert.equal((await run(['extract', join(dir, 'evil.tfrecord'), '-o', out])).code, 0);
  assert.deepEqual((await readdir(out)).sort(), ['escape-1.jpg', 'escape.jpg']);
});

test('extract: MNIST float lists need a shape: exit 1 and why without --raw-shape, 0 with it; 3 when some records are not written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-extract-raw-'));
  const mnist = join(GOLDEN, 'tfx_mnist_1000.tfrecord');
  const none = await run(['extract', mnist, '-o', join(dir, 'none'), '--raw-as', 'npy']);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /tfx_mnist_1000\.tfrecord: record 0: raw-shape: image_floats holds raw data but no shape .*--raw-shape/);
  assert.match(none.stderr, /\.\.\. and 980 more records not written/);
  assert.match(none.stderr, /wrote 0 files to .*, 1000 records not written/);
  const shaped = await run(['extract', mnist, '-o', join(dir, 'npy'), '--raw-as', 'npy', '--raw-shape', '28,28,1']);
  assert.equal(shaped.code, 0, shaped.stderr);
  assert.match(shaped.stderr, /wrote 1000 files to /);
  assert.equal((await readdir(join(dir, 'npy', '7'))).length > 0, true);
  assert.equal((await run(['extract', mnist, '-o', join(dir, 'bad'), '--raw-shape', '28,0'])).code, 2);
  assert.equal((await run(['extract', join(GOLDEN, 'tf_singles.tfrecords'), '-o', join(dir, 'singles')])).code, 1, 'records but no image: nothing extracted');
  const jpeg = await readFile(join(ROOT, 'fixtures/sample/animals/HappyFish.jpg'));
  const bomb = encodeExample({ 'image/raw': bytesFeature(new Uint8Array(100)), 'image/shape': int64Feature(20000, 20000, 3) });
  await writeFile(join(dir, 'mixed.tfrecord'), Buffer.concat([frameRecordToBuffer(encodeExample({ 'image/encoded': bytesFeature(jpeg) })), frameRecordToBuffer(bomb)]));
  const mixed = await run(['extract', join(dir, 'mixed.tfrecord'), '-o', join(dir, 'mixed')]);
  assert.equal(mixed.code, 3, mixed.stderr);
  assert.match(mixed.stderr, /record 1: raw-size: image\/raw is 100 bytes, but shape \[20000, 20000, 3\] of uint8 needs 1200000000/);
  assert.match(mixed.stderr, /wrote 1 file to .*, 1 record not written/);
});
