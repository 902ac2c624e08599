import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { readExamples } from '../../src/read/examples.js';
import { convert } from '../../src/convert/convert.js';
import { lmdbSkipReason } from '../caffe/lmdb-helpers.js';
import { bytesFeature, floatFeature, int64Feature, type Features } from '../../src/example/index.js';
import {
  previewClassOf,
  BOX_PALETTE, choosePreviewRecords, loadPreviewRecords, probeTextRendering, renderPreview, type PreviewCandidate,
} from '../../src/read/preview.js';

const GOLDEN = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));

async function pixel(png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
}

function hex(colour: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)) as [number, number, number];
}

function near(actual: readonly number[], expected: readonly number[], tolerance = 40): boolean {
  return actual.every((v, i) => Math.abs(v - (expected[i] as number)) <= tolerance);
}

async function whiteImage(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).png().toBuffer();
}

test('the choice is deterministic for a seed, spreads over classes and files, and keeps perClass', () => {
  const candidates: PreviewCandidate[] = [];
  for (const file of ['a.tfrecord', 'b.tfrecord']) {
    for (let i = 0; i < 30; i++) candidates.push({ file, recordIndex: i, classKey: ['cat', 'dog', 'eel'][i % 3] as string });
  }
  const one = choosePreviewRecords(candidates, { count: 12, seed: 7 });
  assert.deepEqual(choosePreviewRecords([...candidates].reverse(), { count: 12, seed: 7 }), one, 'input order does not matter');
  assert.equal(one.length, 12);
  for (const cls of ['cat', 'dog', 'eel']) {
    const mine = one.filter((c) => c.classKey === cls);
    assert.equal(mine.length, 4, cls);
    assert.deepEqual(new Set(mine.map((c) => c.file)), new Set(['a.tfrecord', 'b.tfrecord']), `${cls} spread over both shards`);
  }
  assert.deepEqual([...new Set(one.map((c) => c.classKey))], ['cat', 'dog', 'eel'], 'grouped by class');
  assert.notDeepEqual(choosePreviewRecords(candidates, { count: 12, seed: 8 }), one, 'another seed, another pick');
  const capped = choosePreviewRecords(candidates, { count: 36, perClass: 2, seed: 0 });
  assert.equal(capped.length, 6);
  assert.throws(() => choosePreviewRecords(candidates, { count: 0 }), /Expected positive integer for count/);
});

test('renderPreview: grid size, and a box outline in its palette colour where the box is', async () => {
  const box = { 'image/object/bbox/xmin': floatFeature(0.25), 'image/object/bbox/xmax': floatFeature(0.75), 'image/object/bbox/ymin': floatFeature(0.5), 'image/object/bbox/ymax': floatFeature(1) };
  const records: Features[] = [];
  for (let i = 0; i < 5; i++) {
    records.push({ 'image/encoded': bytesFeature(await whiteImage(100, 50)), 'image/class/text': bytesFeature(`c${i}`), ...box, 'image/object/class/label': int64Feature(2), 'image/object/class/text': bytesFeature('thing') });
  }
  const sheet = await renderPreview(records, { size: 80 });
  const meta = await sharp(sheet.png).metadata();
  assert.equal(sheet.columns, 3);
  assert.equal(sheet.rows, 2);
  assert.equal(meta.width, sheet.gap + 3 * (80 + sheet.gap));
  assert.equal(meta.height, sheet.gap + 2 * (80 + sheet.captionHeight + sheet.gap));
  assert.deepEqual([meta.width, meta.height], [sheet.width, sheet.height]);
  // Tile 4 (row 1, column 1): the 100x50 image letterboxed to 80x40 at y 20..60; the box spans
  // x 20..60 and y 40..60 of the tile, and its left edge (x = 20) is drawn in palette colour 2.
  const left = sheet.gap + (80 + sheet.gap);
  const top = sheet.gap + (80 + sheet.captionHeight + sheet.gap);
  const colour = hex(BOX_PALETTE[2] as string);
  assert.ok(near(await pixel(sheet.png, left + 20, top + 50), colour), `left edge: ${await pixel(sheet.png, left + 20, top + 50)}`);
  assert.ok(near(await pixel(sheet.png, left + 40, top + 59), colour), 'bottom edge');
  assert.ok(near(await pixel(sheet.png, left + 40, top + 50), [255, 255, 255]), 'inside the box: the image');
  assert.ok(near(await pixel(sheet.png, left + 40, top + 10), [32, 32, 32], 8), 'letterbox above the image');
});

test('renderPreview draws raw tensors by their shape, and names records it cannot show', async () => {
  const red = Buffer.alloc(4 * 6 * 3);
  for (let i = 0; i < red.length; i += 3) red[i] = 255;
  const raw: Features = { 'image/raw': bytesFeature(red), 'image/shape': int64Feature(4, 6, 3), 'image/dtype': bytesFeature('uint8') };
  const floats: Features = { image_floats: floatFeature(...new Array<number>(16).fill(1)) };
  const sheet = await renderPreview([raw, {}, floats], { size: 60 });
  assert.ok(near(await pixel(sheet.png, sheet.gap + 30, sheet.gap + 30), [255, 0, 0], 2), 'the raw tensor, scaled up');
  assert.ok(sheet.warnings.some((w) => /^tile 1: no image feature/.test(w)), sheet.warnings.join('; '));
  assert.ok(sheet.warnings.some((w) => /^tile 2: /.test(w)), 'a float list with no shape is not guessed');
  const shaped = await renderPreview([floats], { size: 60, rawShape: [4, 4, 1] });
  assert.ok(near(await pixel(shaped.png, shaped.gap + 30, shaped.gap + 30), [255, 255, 255], 2));
});

test('text fallback: when text cannot render there is no caption strip, and a warning says so', async () => {
  const records: Features[] = [{ 'image/encoded': bytesFeature(await whiteImage(10, 10)), 'image/class/text': bytesFeature('cat') }];
  const without = await renderPreview(records, { size: 50, probeText: async () => false });
  assert.equal(without.captionHeight, 0);
  assert.equal(without.height, without.gap + 50 + without.gap);
  assert.ok(without.warnings.some((w) => /SVG text does not render here/.test(w)));
  if (!(await probeTextRendering())) return; // no font on this machine: the fallback above is what users get
  const withText = await renderPreview(records, { size: 50 });
  assert.deepEqual(withText.warnings, []);
  assert.ok(withText.captionHeight > 0);
  // The caption strip holds lit (text) pixels, not only the tile background.
  const { data, info } = await sharp(withText.png).extract({ left: withText.gap, top: withText.gap + 50, width: 50, height: withText.captionHeight }).greyscale().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.height, withText.captionHeight);
  assert.ok(data.some((v) => v > 128), 'caption text drawn');
});

test('golden: the raccoon records load through the two-pass reader and render with their boxes', async () => {
  const records = await loadPreviewRecords([`${GOLDEN}raccoon_test.record`], readExamples, { count: 4, seed: 1 });
  assert.equal(records.length, 4);
  assert.deepEqual(records, await loadPreviewRecords([`${GOLDEN}raccoon_test.record`], readExamples, { count: 4, seed: 1 }));
  const sheet = await renderPreview(records.map((r) => r.features), { size: 96, probeText: async () => false });
  assert.deepEqual([sheet.columns, sheet.rows], [2, 2]);
  assert.deepEqual(sheet.warnings.filter((w) => w.startsWith('tile')), []);
});

test('LMDB: Caffe raw datums (CHW, BGR) render as their images', async (t) => {
  const missing = lmdbSkipReason();
  if (missing !== false) {
    t.skip(missing);
    return;
  }
  const out = await mkdtemp(join(tmpdir(), 'preview-lmdb-'));
  // A pure red 8x8 PNG: in a BGR datum its bytes are (0, 0, 255); the tile must show red again.
  const input = await mkdtemp(join(tmpdir(), 'preview-lmdb-in-'));
  await mkdir(join(input, 'red'));
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toFile(join(input, 'red', 'a.png'));
  await convert({ input, output: out, target: 'caffe-lmdb', jobs: 1 });
  const dirs = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(out, d.name));
  assert.equal(dirs.length, 1);
  const records = await loadPreviewRecords(dirs, readExamples, { count: 4 });
  assert.equal(records.length, 1);
  const sheet = await renderPreview(records.map((r) => r.features), { size: 40, probeText: async () => false });
  assert.deepEqual(sheet.warnings.filter((w) => w.startsWith('tile')), []);
  assert.ok(near(await pixel(sheet.png, sheet.gap + 20, sheet.gap + 20), [255, 0, 0], 2), `${await pixel(sheet.png, sheet.gap + 20, sheet.gap + 20)}`);
});

test('a tile is captioned by its class, else its label, else its boxes\' classes with their counts', () => {
  assert.equal(previewClassOf({ 'image/class/text': bytesFeature('cat'), 'image/class/label': int64Feature(3) }), 'cat');
  assert.equal(previewClassOf({ label: int64Feature(7) }), '7');
  assert.equal(previewClassOf({ 'image/object/class/text': bytesFeature('raccoon', 'dog', 'raccoon') }), 'raccoon x2, dog');
  assert.equal(previewClassOf({ 'image/object/class/text': bytesFeature() }), null);
});
