/** Boxes follow the pixels: geometry plans checked against sharp and the image stage itself. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { fitPlanToOutput, mapBox, mapObjects, orientationMap, planGeometry, type GeometryInput } from '../../src/annotations/geometry.js';
import { parseDetectionCsv } from '../../src/annotations/formats/csv.js';
import type { AnnotatedObject, Box } from '../../src/annotations/model.js';
import { loadImage } from '../../src/image/load.js';
import { DEFAULT_IMAGE_SETTINGS, resolveImageSettings, type ImageOptions } from '../../src/image/settings.js';

const IMAGES = 'fixtures/golden/raccoon_test_images';

function object(bbox: Box, className = 'x'): AnnotatedObject {
  return { className, bbox, source: { path: 't.csv', line: 2 } };
}

/** The bounding box of pixels brighter than 128 in a raw greyscale/RGB buffer (first channel). */
function brightBox(data: Buffer, width: number, height: number, channels: number): Box {
  let xmin = Infinity; let ymin = Infinity; let xmax = -1; let ymax = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((data[(y * width + x) * channels] as number) > 128) {
        xmin = Math.min(xmin, x); ymin = Math.min(ymin, y); xmax = Math.max(xmax, x + 1); ymax = Math.max(ymax, y + 1);
      }
    }
  }
  return { xmin, ymin, xmax, ymax };
}

/** A black image with a white rectangle, as raw RGB pixels. */
function rectangleImage(width: number, height: number, r: Box): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = r.ymin; y < r.ymax; y++) for (let x = r.xmin; x < r.xmax; x++) data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return data;
}

async function settle(options: ImageOptions, bytes: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const image = await loadImage(bytes, resolveImageSettings({ ...options, encode: 'raw' }), { path: 'test' });
  return { data: image.bytes, width: image.width, height: image.height, channels: image.channels };
}

test('letterbox 320x320 contain: every raccoon box lands within one output pixel of its exact position', async () => {
  const csv = parseDetectionCsv(await readFile('fixtures/annotations/raccoon/raccoon_test.csv', 'utf8'), 'raccoon_test.csv');
  const settings = resolveImageSettings({ encode: 'jpeg', resize: { width: 320, height: 320 }, fit: 'contain' });
  let checked = 0;
  for (const annotation of csv.annotations) {
    const name = annotation.imageRef.fileName as string;
    const bytes = await readFile(join(IMAGES, name));
    const meta = await sharp(bytes).metadata();
    const W = meta.width as number; const H = meta.height as number;
    const plan = planGeometry({ storedSize: { width: W, height: H }, orientation: meta.orientation ?? 1, frame: 'stored', decoded: true, jpegShrinkOnLoad: true }, settings);
    // The image stage must produce exactly the planned size.
    const out = await loadImage(bytes, settings, { path: name });
    assert.deepEqual(plan.outputSize, { width: out.width, height: out.height }, name);
    // Exact letterbox, computed independently: uniform scale, content centred.
    const s = Math.min(320 / W, 320 / H);
    const ox = (320 - W * s) / 2; const oy = (320 - H * s) / 2;
    for (const o of mapObjects(annotation.objects, plan).objects) {
      const src = annotation.objects.find((a) => a.source.line === o.source.line) as AnnotatedObject;
      const exact = { xmin: src.bbox.xmin * s + ox, ymin: src.bbox.ymin * s + oy, xmax: src.bbox.xmax * s + ox, ymax: src.bbox.ymax * s + oy };
      for (const k of ['xmin', 'ymin', 'xmax', 'ymax'] as const) assert.ok(Math.abs(o.bbox[k] - exact[k]) <= 1, `${name} ${k}: ${o.bbox[k]} vs ${exact[k]}`);
      checked++;
    }
  }
  assert.equal(checked, 44);
});

test("contain's letterbox and the resized size match sharp's pixels for odd sizes, PNG and JPEG", async () => {
  for (const format of ['png', 'jpeg'] as const) {
    for (const [w, h, tw, th] of [[602, 452, 97, 61], [1001, 499, 320, 320], [333, 777, 224, 224], [17, 9, 300, 200]] as const) {
      const bytes = await sharp({ create: { width: w, height: h, channels: 3, background: { r: 255, g: 255, b: 255 } } })[format]().toBuffer();
      const options: ImageOptions = { resize: { width: tw, height: th }, fit: 'contain' };
      const out = await settle(options, bytes);
      const plan = planGeometry({ storedSize: { width: w, height: h }, orientation: 1, frame: 'stored', decoded: true, jpegShrinkOnLoad: format === 'jpeg' }, resolveImageSettings(options));
      assert.deepEqual(plan.outputSize, { width: out.width, height: out.height });
      assert.deepEqual(plan.clip, brightBox(out.data, out.width, out.height, out.channels), `${format} ${w}x${h} -> ${tw}x${th}`);
    }
  }
});

test('each EXIF orientation 1-8 maps a box where sharp puts its pixels', async () => {
  const stored = { width: 60, height: 40 };
  const box = { xmin: 10, ymin: 5, xmax: 25, ymax: 15 };
  const raw = rectangleImage(stored.width, stored.height, box);
  for (let orientation = 1; orientation <= 8; orientation++) {
    // A rotated fixture made here: stored pixels plus an EXIF orientation tag.
    const jpeg = await sharp(raw, { raw: { ...stored, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).withMetadata({ orientation }).toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, orientation);
    const out = await settle({}, jpeg);
    const input: GeometryInput = { storedSize: stored, orientation, frame: 'stored', decoded: true };
    const plan = planGeometry(input, resolveImageSettings({ encode: 'raw' }));
    assert.deepEqual(plan.outputSize, { width: out.width, height: out.height }, `orientation ${orientation} size`);
    assert.deepEqual(mapBox(box, plan.map), brightBox(out.data, out.width, out.height, out.channels), `orientation ${orientation}`);
    // The same box given in the displayed frame (as CVAT gives it) maps to itself...
    const displayed = mapBox(box, orientationMap(stored, orientation).map);
    assert.deepEqual(mapBox(displayed, planGeometry({ ...input, frame: 'displayed' }, DEFAULT_IMAGE_SETTINGS).map), displayed);
    // ...and back to the stored pixels when nothing is decoded (pass-through keeps the tag).
    assert.deepEqual(mapBox(displayed, planGeometry({ ...input, frame: 'displayed', decoded: false }, DEFAULT_IMAGE_SETTINGS).map), box);
  }
});

test("cover crops with sharp's centre offset ceil(excess / 2); boxes are clipped, and dropped when outside or below minBoxVisible", async () => {
  // 101x50 -> 50x50 cover: no scaling, 51 columns cut, 26 of them on the left.
  const marker = { xmin: 26, ymin: 0, xmax: 28, ymax: 50 };
  const png = await sharp(rectangleImage(101, 50, marker), { raw: { width: 101, height: 50, channels: 3 } }).png().toBuffer();
  const options: ImageOptions = { resize: { width: 50, height: 50 }, fit: 'cover' };
  const out = await settle(options, png);
  const plan = planGeometry({ storedSize: { width: 101, height: 50 }, orientation: 1, frame: 'stored', decoded: true }, resolveImageSettings(options));
  assert.deepEqual(brightBox(out.data, out.width, out.height, out.channels), { xmin: 0, ymin: 0, xmax: 2, ymax: 50 });
  assert.deepEqual(mapBox(marker, plan.map), { xmin: 0, ymin: 0, xmax: 2, ymax: 50 });
  const boxes = [
    object({ xmin: 0, ymin: 0, xmax: 36, ymax: 50 }),   // 10 of 36 columns visible
    object({ xmin: 80, ymin: 0, xmax: 95, ymax: 10 }),  // fully right of the crop
    object({ xmin: 30, ymin: 10, xmax: 40, ymax: 20 }), // inside
  ];
  const keepAny = mapObjects(boxes, plan);
  assert.equal(keepAny.dropped, 1);
  assert.deepEqual(keepAny.objects.map((o) => o.bbox), [{ xmin: 0, ymin: 0, xmax: 10, ymax: 50 }, { xmin: 4, ymin: 10, xmax: 14, ymax: 20 }]);
  const strict = mapObjects(boxes, plan, 0.5);
  assert.equal(strict.dropped, 2);
  assert.deepEqual(strict.objects.map((o) => o.bbox), [{ xmin: 4, ymin: 10, xmax: 14, ymax: 20 }]);
});

test('resize-shorter then center-crop maps a box where the image stage puts its pixels', async () => {
  const box = { xmin: 100, ymin: 40, xmax: 180, ymax: 120 };
  const png = await sharp(rectangleImage(300, 200, box), { raw: { width: 300, height: 200, channels: 3 } }).png().toBuffer();
  const options: ImageOptions = { resizeShorter: 64, centerCrop: { width: 56, height: 56 } };
  const out = await settle(options, png);
  const plan = planGeometry({ storedSize: { width: 300, height: 200 }, orientation: 1, frame: 'stored', decoded: true }, resolveImageSettings(options));
  assert.deepEqual(plan.outputSize, { width: 56, height: 56 });
  // 300x200 -> 96x64 (scale 0.32), crop left floor(40 / 2) = 20, top 4.
  const mapped = mapBox(box, plan.map);
  assert.deepEqual(mapped, { xmin: 100 * 0.32 - 20, ymin: 40 * 0.32 - 4, xmax: 180 * 0.32 - 20, ymax: 120 * 0.32 - 4 });
  const seen = brightBox(out.data, out.width, out.height, out.channels);
  for (const k of ['xmin', 'ymin', 'xmax', 'ymax'] as const) assert.ok(Math.abs(seen[k] - mapped[k]) <= 1, `${k}: pixels ${seen[k]} vs box ${mapped[k]}`);
  // A box in the cropped-away margin is dropped.
  assert.equal(mapObjects([object({ xmin: 0, ymin: 0, xmax: 50, ymax: 50 })], plan).dropped, 1);
});

test('COCO area scales with the resize', () => {
  const plan = planGeometry({ storedSize: { width: 200, height: 100 }, orientation: 1, frame: 'stored', decoded: true }, resolveImageSettings({ resize: { width: 100, height: 50 }, fit: 'fill' }));
  const [mapped] = mapObjects([{ ...object({ xmin: 0, ymin: 0, xmax: 20, ymax: 10 }), area: 150 }], plan).objects;
  assert.equal(mapped?.area, 150 / 4);
});

test('fitPlanToOutput keeps a plan that matches and stretches one that missed', () => {
  const plan = planGeometry({ storedSize: { width: 200, height: 100 }, orientation: 1, frame: 'stored', decoded: true }, resolveImageSettings({ resize: { width: 100, height: 100 }, fit: 'inside' }));
  assert.equal(fitPlanToOutput(plan, { width: 100, height: 50 }), plan);
  const stretched = fitPlanToOutput(plan, { width: 100, height: 51 });
  assert.deepEqual(stretched.outputSize, { width: 100, height: 51 });
  assert.deepEqual(mapBox({ xmin: 0, ymin: 0, xmax: 200, ymax: 100 }, stretched.map), { xmin: 0, ymin: 0, xmax: 100, ymax: 51 });
});
