import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { convert } from '../../src/convert/convert.js';
import { lmdbSkipReason } from '../caffe/lmdb-helpers.js';
import { bytesFeature, encodeExample, floatFeature, int64Feature } from '../../src/example/index.js';
import { frameRecordToBuffer } from '../../src/record/index.js';
import { BOX_PALETTE, probeTextRendering } from '../../src/read/preview.js';
import { runCliInProcess as runInProcess } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = join(ROOT, 'fixtures/golden');
const SAMPLE = join(ROOT, 'fixtures/sample');
/** The sheet's gap between tiles and caption strip height (src/read/preview.ts). */
const GAP = 4;
const CAPTION = (await probeTextRendering()) ? 18 : 0;

/** The grid's pixel size for columns x rows tiles of `size`. */
function sheetSize(columns: number, rows: number, size: number): [number, number] {
  return [GAP + columns * (size + GAP), GAP + rows * (size + CAPTION + GAP)];
}

async function decode(file: string): Promise<{ width: number; height: number; data: Buffer; channels: number }> {
  const { data, info } = await sharp(await readFile(file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data, channels: info.channels };
}

function pixelAt(image: { width: number; data: Buffer; channels: number }, x: number, y: number): number[] {
  const i = (y * image.width + x) * image.channels;
  return [...image.data.subarray(i, i + 3)];
}

async function sampleOutput(options: Record<string, unknown> = {}): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'cli-preview-in-'));
  await convert({ input: SAMPLE, output: out, jobs: 1, ...options } as Parameters<typeof convert>[0]);
  return out;
}

test('preview writes a PNG whose grid matches --count and --size, the same bytes for the same seed', async () => {
  const out = await sampleOutput();
  const dir = await mkdtemp(join(tmpdir(), 'cli-preview-'));
  const png = join(dir, 'nested', 'p.png');
  const r = await runInProcess(['preview', out, '-o', png, '--count', '4', '--size', '64']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const [width, height] = sheetSize(2, 2, 64);
  assert.match(r.stderr, new RegExp(`wrote .*p\\.png: 4 records in 2x2 tiles, ${width}x${height} px\\n$`));
  const image = await decode(png);
  assert.deepEqual([image.width, image.height], [width, height]);
  // Every tile holds an image: its centre is not the empty tile's background (#202020).
  for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
    const centre = pixelAt(image, GAP + x * (64 + GAP) + 32, GAP + y * (64 + CAPTION + GAP) + 32);
    assert.notDeepEqual(centre, [32, 32, 32], `tile ${x},${y}`);
  }
  const again = join(dir, 'again.png');
  assert.equal((await runInProcess(['preview', out, '-o', again, '--count', '4', '--size', '64'])).code, 0);
  assert.ok((await readFile(again)).equals(await readFile(png)), 'deterministic for a seed');
  // --per-class 1 over the sample's 4 classes: 4 tiles however many are asked for; 7 records at most.
  const perClass = await runInProcess(['preview', out, '-o', join(dir, 'c.png'), '--count', '36', '--per-class', '1', '--size', '32']);
  assert.equal(perClass.code, 0, perClass.stderr);
  const meta = await sharp(join(dir, 'c.png')).metadata();
  assert.deepEqual([meta.width, meta.height], sheetSize(2, 2, 32));
  const all = await runInProcess(['preview', out, '-o', join(dir, 'all.png'), '--count', '100', '--size', '16']);
  assert.match(all.stderr, /: 7 records in 3x3 tiles/);
  assert.deepEqual((await readdir(dir)).sort(), ['again.png', 'all.png', 'c.png', 'nested'], 'no temporary files left');
});

test('preview draws an object box in its palette colour where the box is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-preview-box-'));
  const white = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const record = encodeExample({
    'image/encoded': bytesFeature(white),
    'image/object/bbox/xmin': floatFeature(0.25), 'image/object/bbox/xmax': floatFeature(0.75),
    'image/object/bbox/ymin': floatFeature(0.5), 'image/object/bbox/ymax': floatFeature(0.9),
    'image/object/class/label': int64Feature(3), 'image/object/class/text': bytesFeature('thing'),
  });
  await writeFile(join(dir, 'boxes.tfrecord'), frameRecordToBuffer(record));
  const png = join(dir, 'boxes.png');
  const r = await runInProcess(['preview', join(dir, 'boxes.tfrecord'), '-o', png, '--size', '100']);
  assert.equal(r.code, 0, r.stderr);
  const image = await decode(png);
  assert.deepEqual([image.width, image.height], sheetSize(1, 1, 100));
  const colour = [1, 3, 5].map((i) => parseInt((BOX_PALETTE[3] as string).slice(i, i + 2), 16));
  const near = (a: number[], b: number[]): boolean => a.every((v, i) => Math.abs(v - (b[i] as number)) <= 40);
  // The box's left edge is at x = 25, its bottom edge at y = 90 of the 100 px tile.
  assert.ok(near(pixelAt(image, GAP + 25, GAP + 70), colour), `left edge ${pixelAt(image, GAP + 25, GAP + 70)}`);
  assert.ok(near(pixelAt(image, GAP + 50, GAP + 90), colour), `bottom edge ${pixelAt(image, GAP + 50, GAP + 90)}`);
  assert.ok(near(pixelAt(image, GAP + 50, GAP + 70), [255, 255, 255]), 'inside the box: the image');
});

test('preview on GZIP shards, a Caffe LMDB folder and golden files', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-preview-kinds-'));
  const gzip = await runInProcess(['preview', await sampleOutput({ compression: 'gzip' }), '-o', join(dir, 'gz.png'), '--count', '2', '--size', '40']);
  assert.equal(gzip.code, 0, gzip.stderr);
  assert.deepEqual(await sharp(join(dir, 'gz.png')).metadata().then((m) => [m.width, m.height]), sheetSize(2, 1, 40));
  const raccoon = await runInProcess(['preview', join(GOLDEN, 'raccoon_test.record'), '-o', join(dir, 'raccoon.png'), '--count', '6', '--size', '48', '--seed', '3']);
  assert.equal(raccoon.code, 0, raccoon.stderr);
  assert.deepEqual(await sharp(join(dir, 'raccoon.png')).metadata().then((m) => [m.width, m.height]), sheetSize(3, 2, 48));
  const mnist = await runInProcess(['preview', join(GOLDEN, 'tfx_mnist_1000.tfrecord'), '-o', join(dir, 'mnist.png'), '--raw-shape', '28,28,1', '--per-class', '1', '--count', '20', '--size', '28']);
  assert.equal(mnist.code, 0, mnist.stderr);
  assert.match(mnist.stderr, /: 10 records in 4x3 tiles/, 'one record of each of the 10 digits');
  const missing = lmdbSkipReason();
  if (missing !== false) {
    t.diagnostic(`LMDB case skipped: ${missing}`);
    return;
  }
  const lmdb = await runInProcess(['preview', await sampleOutput({ target: 'caffe-lmdb', resize: { width: 16, height: 16 }, fit: 'fill' }), '-o', join(dir, 'lmdb.png'), '--size', '32']);
  assert.equal(lmdb.code, 0, lmdb.stderr);
  assert.deepEqual(await sharp(join(dir, 'lmdb.png')).metadata().then((m) => [m.width, m.height]), sheetSize(3, 3, 32));
});

test('preview exit codes: 1 and nothing written when no tile has an image, 3 with blank tiles named, 2 on usage errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cli-preview-exit-'));
  const none = await runInProcess(['preview', join(GOLDEN, 'tfx_mnist_1000.tfrecord'), '-o', join(dir, 'none.png'), '--count', '2']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /tfx_mnist_1000\.tfrecord: record \d+: no image feature \(or a raw tensor with no shape: pass --raw-shape/);
  assert.match(none.stderr, /none of the 2 records chosen has an image to show: .*none\.png not written/);
  const jpeg = await readFile(join(SAMPLE, 'animals/HappyFish.jpg'));
  const mixed = Buffer.concat([
    frameRecordToBuffer(encodeExample({ 'image/encoded': bytesFeature(jpeg), 'image/class/text': bytesFeature('fish') })),
    frameRecordToBuffer(encodeExample({ 'image/class/text': bytesFeature('nothing') })),
  ]);
  await writeFile(join(dir, 'mixed.tfrecord'), mixed);
  // An existing output is replaced whole.
  await writeFile(join(dir, 'mixed.png'), 'not a png');
  const partial = await runInProcess(['preview', join(dir, 'mixed.tfrecord'), '-o', join(dir, 'mixed.png'), '--size', '32']);
  assert.equal(partial.code, 3, partial.stderr);
  assert.match(partial.stderr, /mixed\.tfrecord: record 1: no image feature/);
  assert.match(partial.stderr, /2 records in 2x1 tiles, .* px, 1 blank \(see above\)/);
  assert.deepEqual(await sharp(join(dir, 'mixed.png')).metadata().then((m) => [m.format, m.width, m.height]), ['png', ...sheetSize(2, 1, 32)]);
  await writeFile(join(dir, 'empty.tfrecord'), Buffer.alloc(0));
  const empty = await runInProcess(['preview', join(dir, 'empty.tfrecord'), '-o', join(dir, 'empty.png')]);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /no records in .*empty\.tfrecord/);
  for (const args of [['--count', '0'], ['--size', '4'], ['--seed', '-1'], ['--per-class', 'x'], ['--raw-shape', '1,2,3,4,5']]) {
    const bad = await runInProcess(['preview', join(dir, 'mixed.tfrecord'), '-o', join(dir, 'bad.png'), ...args]);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, new RegExp(args[0] as string), args.join(' '));
  }
  assert.equal((await runInProcess(['preview', join(dir, 'mixed.tfrecord')])).code, 2, '-o is required');
  assert.equal((await runInProcess(['preview', join(dir, 'no-such.tfrecord'), '-o', join(dir, 'x.png')])).code, 2);
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.png')).sort(), ['mixed.png']);
});
