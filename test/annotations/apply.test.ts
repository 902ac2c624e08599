/** The per-input chain end to end: loadImage's output in, the record's OD features out, boxes checked against the pixels. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { applyAnnotation, type ApplyAnnotationSettings } from '../../src/annotations/apply.js';
import { readExifOrientation } from '../../src/annotations/exif.js';
import { prepareAnnotations } from '../../src/annotations/prepare.js';
import type { AnnotationFormat, Box, ImageAnnotation } from '../../src/annotations/model.js';
import { decodeExample, type Feature, type Features } from '../../src/example/index.js';
import { loadImage } from '../../src/image/load.js';
import { resolveImageSettings, type ImageOptions } from '../../src/image/settings.js';
import { readRecordFile } from '../../src/record/index.js';
import { RACCOON_ANNOTATIONS } from './raccoon-fixtures.js';

const IMAGES = 'fixtures/golden/raccoon_test_images';
const ANNOTATIONS = RACCOON_ANNOTATIONS;
const SIDES = ['xmin', 'ymin', 'xmax', 'ymax'] as const;

function values(f: Feature | undefined): unknown[] {
  assert.ok(f !== undefined);
  return f.kind === 'bytes' ? f.values.map((v) => Buffer.from(v).toString()) : [...f.values];
}

/** The boxes of OD features in output pixels. */
function boxesOf(features: Features, width: number, height: number): Box[] {
  const [xmin, ymin, xmax, ymax] = SIDES.map((k) => values(features[`image/object/bbox/${k}`]) as number[]);
  return (xmin as number[]).map((_, i) => ({
    xmin: (xmin as number[])[i] as number * width, ymin: (ymin as number[])[i] as number * height,
    xmax: (xmax as number[])[i] as number * width, ymax: (ymax as number[])[i] as number * height,
  }));
}

async function readTensorflowRecords(): Promise<Map<string, Features>> {
  const byName = new Map<string, Features>();
  for await (const entry of readRecordFile('fixtures/golden/raccoon_test.record')) {
    const { features } = decodeExample(entry.data);
    byName.set(values(features['image/filename'])[0] as string, features);
  }
  return byName;
}

for (const format of ['voc', 'csv', 'coco', 'yolo'] as const) {
  test(`${format}: prepare + loadImage (pass-through) + apply give TensorFlow's raccoon boxes, bytes and sizes`, async () => {
    const theirs = await readTensorflowRecords();
    const inputs = (await readdir(IMAGES)).filter((n) => n.endsWith('.jpg')).sort();
    const prepared = await prepareAnnotations(inputs, { annotations: ANNOTATIONS[format] });
    assert.equal(prepared.format, format);
    assert.deepEqual([prepared.problems, prepared.unannotated, prepared.labelMapText], [[], 0, "item {\n  id: 1\n  name: 'raccoon'\n}\n"]);
    const imageSettings = resolveImageSettings();
    const settings: ApplyAnnotationSettings = { format, geometry: imageSettings, labels: prepared.labelMap };
    let kept = 0;
    for (const [i, input] of inputs.entries()) {
      const image = await loadImage(await readFile(join(IMAGES, input)), imageSettings, { path: input });
      assert.equal(image.geometry.decoded, false);
      const tf = theirs.get(input) as Features;
      assert.deepEqual(image.bytes, Buffer.from((tf['image/encoded'] as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array), `${input} encoded`);
      const od = applyAnnotation(prepared.matched[i] ?? null, image, input, settings);
      assert.deepEqual([od.problems, od.warnings, od.dropped], [[], [], 0], input);
      kept += od.kept;
      for (const key of ['image/height', 'image/width', 'image/object/class/text', 'image/object/class/label']) {
        assert.deepEqual(values(od.features[key]), values(tf[key]), `${input} ${key}`);
      }
      for (const side of SIDES) {
        const key = `image/object/bbox/${side}`;
        const want = values(tf[key]) as number[];
        const got = (values(od.features[key]) as number[]).map((v) => Math.fround(v));
        assert.equal(got.length, want.length);
        got.forEach((v, j) => assert.ok(format === 'yolo' ? Math.abs(v - (want[j] as number)) <= 2e-6 : v === want[j], `${input} ${key}[${j}] ${v} vs ${want[j]}`));
      }
    }
    assert.equal(kept, 44);
  });
}

test('raccoon letterboxed to 320x320 (contain): every box within one output pixel of its exact position', async () => {
  const inputs = (await readdir(IMAGES)).filter((n) => n.endsWith('.jpg')).sort();
  const prepared = await prepareAnnotations(inputs, { annotations: ANNOTATIONS.voc });
  const imageSettings = resolveImageSettings({ encode: 'jpeg', resize: { width: 320, height: 320 }, fit: 'contain' });
  let checked = 0;
  for (const [i, input] of inputs.entries()) {
    const bytes = await readFile(join(IMAGES, input));
    const image = await loadImage(bytes, imageSettings, { path: input });
    assert.deepEqual([image.width, image.height, image.geometry.decoded, image.geometry.jpegShrinkOnLoad], [320, 320, true, true]);
    const annotation = prepared.matched[i] as ImageAnnotation;
    const od = applyAnnotation(annotation, image, input, { format: 'voc', geometry: imageSettings, labels: prepared.labelMap });
    assert.deepEqual(od.warnings, [], `${input}: the plan hits the real output size`);
    const { width: W, height: H } = image.geometry;
    const s = Math.min(320 / W, 320 / H);
    const [ox, oy] = [(320 - W * s) / 2, (320 - H * s) / 2];
    boxesOf(od.features, 320, 320).forEach((box, j) => {
      const src = (annotation.objects[j] as ImageAnnotation['objects'][number]).bbox;
      const exact = { xmin: src.xmin * s + ox, ymin: src.ymin * s + oy, xmax: src.xmax * s + ox, ymax: src.ymax * s + oy };
      for (const k of SIDES) assert.ok(Math.abs(box[k] - exact[k]) <= 1, `${input} ${k}: ${box[k]} vs ${exact[k]}`);
      checked++;
    });
  }
  assert.equal(checked, 44);
});

/** The bounding box of bright pixels (first channel over 128) of decoded output. */
async function brightBox(bytes: Buffer): Promise<Box> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  let [xmin, ymin, xmax, ymax] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if ((data[(y * info.width + x) * info.channels] as number) > 128) {
        xmin = Math.min(xmin, x); ymin = Math.min(ymin, y); xmax = Math.max(xmax, x + 1); ymax = Math.max(ymax, y + 1);
      }
    }
  }
  return { xmin, ymin, xmax, ymax };
}

/** A 400x300 (stored) black JPEG or PNG with a white rectangle at `rect`, tagged with EXIF orientation `o`. */
async function rotatedFixture(format: 'jpeg' | 'png', rect: Box, o: number): Promise<Buffer> {
  const white = await sharp({ create: { width: rect.xmax - rect.xmin, height: rect.ymax - rect.ymin, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const image = sharp({ create: { width: 400, height: 300, channels: 3, background: '#000000' } }).composite([{ input: white, left: rect.xmin, top: rect.ymin }]);
  return (format === 'jpeg' ? image.jpeg({ quality: 100 }) : image.png()).withMetadata({ orientation: o }).toBuffer();
}

function annotationOf(format: AnnotationFormat, box: Box, declared?: { width: number; height: number }): ImageAnnotation {
  return {
    format, source: { path: `a.${format}` }, imageRef: { fileName: 'a.jpg' }, units: 'pixels',
    ...(declared === undefined ? {} : { declaredSize: declared }),
    objects: [{ className: 'thing', bbox: box, source: { path: `a.${format}`, line: 1 } }],
  };
}

const LABELS = { names: ['thing'], ids: [1], offset: 1 };
const RECT: Box = { xmin: 40, ymin: 50, xmax: 160, ymax: 110 };

test('EXIF-rotated fixture: the box follows the pixels through auto-orient and every fit, resize-shorter and centre crop', async () => {
  const cases: ImageOptions[] = [
    { resize: { width: 200, height: 200 }, fit: 'contain' },
    { resize: { width: 200, height: 200 }, fit: 'cover' },
    { resize: { width: 150, height: 250 }, fit: 'fill' },
    { resize: { width: 120, height: 90 }, fit: 'inside' },
    { resize: { width: 120, height: 90 }, fit: 'outside' },
    { resizeShorter: 150 },
    { resizeShorter: 150, centerCrop: { width: 140, height: 140 } },
    { encode: 'png' },
  ];
  for (const format of ['jpeg', 'png'] as const) {
    for (const orientation of [6, 3, 8, 5]) {
      const bytes = await rotatedFixture(format, RECT, orientation);
      for (const options of cases) {
        const settings = resolveImageSettings({ encode: 'png', ...options });
        const image = await loadImage(bytes, settings, { path: 'a.jpg' });
        assert.equal(image.kind, 'encoded');
        assert.deepEqual([image.geometry.width, image.geometry.height, image.geometry.orientation], [400, 300, orientation]);
        const what = `${format} orientation ${orientation} ${JSON.stringify(options)}`;
        // labelImg-style VOC (stored frame, declares the stored size) and a CVAT-style COCO (displayed frame).
        const swapped = orientation >= 5;
        const displayedRect: Box = orientation === 6 ? { xmin: 300 - RECT.ymax, ymin: RECT.xmin, xmax: 300 - RECT.ymin, ymax: RECT.xmax }
          : orientation === 8 ? { xmin: RECT.ymin, ymin: 400 - RECT.xmax, xmax: RECT.ymax, ymax: 400 - RECT.xmin }
            : orientation === 5 ? { xmin: RECT.ymin, ymin: RECT.xmin, xmax: RECT.ymax, ymax: RECT.xmax }
              : { xmin: 400 - RECT.xmax, ymin: 300 - RECT.ymax, xmax: 400 - RECT.xmin, ymax: 300 - RECT.ymin };
        const pairs: [AnnotationFormat, Box, { width: number; height: number }][] = [
          ['voc', RECT, { width: 400, height: 300 }],
          ['coco', displayedRect, swapped ? { width: 300, height: 400 } : { width: 400, height: 300 }],
        ];
        const truth = await brightBox(image.bytes);
        for (const [annotationFormat, box, declared] of pairs) {
          const od = applyAnnotation(annotationOf(annotationFormat, box, declared), image, 'a.jpg', { format: annotationFormat, geometry: settings, labels: LABELS });
          assert.deepEqual([od.problems, od.warnings, od.kept], [[], [], 1], `${what} ${annotationFormat}`);
          const [got] = boxesOf(od.features, image.width, image.height);
          for (const k of SIDES) assert.ok(Math.abs((got as Box)[k] - truth[k]) <= 1, `${what} ${annotationFormat} ${k}: ${(got as Box)[k]} vs pixels ${truth[k]}`);
        }
      }
    }
  }
});

test('pass-through keeps the stored pixels: a displayed-frame (COCO) box goes back to the stored frame, read from the EXIF of the bytes', async () => {
  const bytes = await rotatedFixture('jpeg', RECT, 6);
  assert.equal(readExifOrientation(bytes), 6);
  const settings = resolveImageSettings();
  const image = await loadImage(bytes, settings, { path: 'a.jpg' });
  assert.deepEqual([image.bytes === bytes, image.geometry.decoded, image.geometry.orientation], [true, false, null]);
  const displayed = { xmin: 300 - RECT.ymax, ymin: RECT.xmin, xmax: 300 - RECT.ymin, ymax: RECT.xmax };
  const od = applyAnnotation(annotationOf('coco', displayed), image, 'a.jpg', { format: 'coco', geometry: settings, labels: LABELS });
  const [got] = boxesOf(od.features, 400, 300);
  for (const k of SIDES) assert.ok(Math.abs((got as Box)[k] - RECT[k]) < 1e-9, `${k}`);
  // The stored-frame VOC box does not move.
  const voc = applyAnnotation(annotationOf('voc', RECT), image, 'a.jpg', { format: 'voc', geometry: settings, labels: LABELS });
  assert.deepEqual(boxesOf(voc.features, 400, 300).map((b) => SIDES.map((k) => Math.round(b[k] * 1000) / 1000)), [[40, 50, 160, 110]]);
});

test("a real EXIF-6 photo (sharp's Landscape_6.jpg): orientation read by both paths, box rotated with the pixels", async () => {
  const bytes = await readFile('fixtures/images/nature/Landscape_6.jpg');
  assert.equal(readExifOrientation(bytes), 6);
  const settings = resolveImageSettings({ resize: { width: 300, height: 300 }, fit: 'contain' });
  const image = await loadImage(bytes, settings, { path: 'Landscape_6.jpg' });
  assert.deepEqual([image.geometry.width, image.geometry.height, image.geometry.orientation, image.width, image.height], [450, 600, 6, 300, 300]);
  // The stored top-left quarter becomes the displayed top-right: orientation 6 turns 90 degrees clockwise.
  const od = applyAnnotation(annotationOf('voc', { xmin: 0, ymin: 0, xmax: 225, ymax: 300 }), image, 'L.jpg', { format: 'voc', geometry: settings, labels: LABELS });
  const [got] = boxesOf(od.features, 300, 300);
  // Displayed 600x450 letterboxed to 300x225 at y 37 (floor of 37.5): the box is x 150..300, y 37..150.
  assert.deepEqual(SIDES.map((k) => Math.round((got as Box)[k])), [150, 37, 300, 150]);
});

test('counts and problems: clipped, dropped, min-box-visible, invalid, unknown class, size mismatch, no annotation', async () => {
  const bytes = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#808080' } }).png().toBuffer();
  const settings = resolveImageSettings({ resize: { width: 200, height: 200 }, fit: 'cover' });
  const image = await loadImage(bytes, settings, { path: 'a.png' });
  // cover 200x200 of 400x200: no scaling (200 high already), the centre 200 columns kept: source x 100..300.
  const boxes: [string, Box][] = [
    ['thing', { xmin: 150, ymin: 10, xmax: 250, ymax: 50 }], // inside: kept as is
    ['thing', { xmin: 50, ymin: 10, xmax: 150, ymax: 50 }], // half outside: clipped (kept with minBoxVisible 0.5)
    ['thing', { xmin: 0, ymin: 10, xmax: 60, ymax: 50 }], // fully outside: dropped
    ['thing', { xmin: 80, ymin: 10, xmax: 120, ymax: 50 }], // half visible (100..120 of 80..120): kept at 0.5, dropped at 0.6
    ['thing', { xmin: 50, ymin: 60, xmax: 40, ymax: 80 }], // min >= max: invalid
    ['other', { xmin: 150, ymin: 60, xmax: 160, ymax: 80 }], // unknown class
    ['thing', { xmin: 150, ymin: -0.5, xmax: 160, ymax: 20 }], // within a pixel outside: clipped at the edge
  ];
  const annotation: ImageAnnotation = {
    format: 'csv', source: { path: 'a.csv' }, imageRef: { fileName: 'a.png' }, units: 'pixels', declaredSize: { width: 401, height: 200 },
    objects: boxes.map(([className, bbox], i) => ({ className, bbox, source: { path: 'a.csv', line: i + 2 } })),
  };
  const od = applyAnnotation(annotation, image, 'a.png', { format: 'csv', geometry: settings, labels: LABELS, minBoxVisible: 0.5 });
  assert.deepEqual([od.boxes, od.kept, od.dropped, od.clipped], [7, 4, 1, 3]);
  assert.deepEqual(od.problems.map((p) => [p.kind, p.source.line]), [['invalid-box', 6], ['unknown-class', 7]]);
  assert.deepEqual(od.warnings.map((p) => p.kind), ['size-mismatch']);
  assert.match(od.warnings[0]?.message ?? '', /^a\.csv: declares 401x200 but the image is 400x200/);
  const strict = applyAnnotation(annotation, image, 'a.png', { format: 'csv', geometry: settings, labels: LABELS, minBoxVisible: 0.6 });
  assert.deepEqual([strict.kept, strict.dropped], [2, 3]);
  // An unannotated input: the record still has every key, with empty lists.
  const none = applyAnnotation(null, image, 'a.png', { format: 'voc', geometry: settings, labels: LABELS });
  assert.deepEqual([none.boxes, none.kept], [0, 0]);
  for (const key of ['image/object/bbox/xmin', 'image/object/class/label', 'image/object/difficult', 'image/object/view']) assert.deepEqual(values(none.features[key]), [], key);
  assert.deepEqual(values(none.features['image/width']), [200n]);
});

test('prepare: --labels fixes ids and gives YOLO its names; unannotated inputs and missing images are counted and reported', async () => {
  const root = await mkdtemp(join(tmpdir(), 'prepare-'));
  const dir = join(root, 'labels');
  await mkdir(dir);
  await writeFile(join(root, 'names.txt'), 'cat\ndog\n');
  await writeFile(join(dir, 'a.txt'), '1 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.1 0.1\n');
  await writeFile(join(dir, 'ghost.txt'), '0 0.5 0.5 0.2 0.2\n');
  const prepared = await prepareAnnotations(['img/a.jpg', 'img/b.jpg'], { annotations: dir, format: 'yolo', labels: join(root, 'names.txt') });
  assert.deepEqual([prepared.format, prepared.yoloNames, prepared.labelMap.names, prepared.labelMap.ids, prepared.unannotated], ['yolo', ['cat', 'dog'], ['cat', 'dog'], [1, 2], 1]);
  assert.deepEqual(prepared.matched[0]?.objects.map((o) => o.className), ['dog', 'cat']);
  assert.equal(prepared.matched[1], null);
  assert.deepEqual(prepared.problems.map((p) => [p.kind, p.source.path]), [['missing-image', join(dir, 'ghost.txt')]]);
  // An id:name file fixes ids that are not 1..n, and sorts them.
  await writeFile(join(root, 'ids.txt'), '7:dog\n3:cat\n');
  await writeFile(join(root, 'a.csv'), 'filename,class,xmin,ymin,xmax,ymax\na.jpg,dog,1,1,5,5\n');
  const csv = await prepareAnnotations(['img/a.jpg'], { annotations: join(root, 'a.csv'), labels: join(root, 'ids.txt') });
  assert.deepEqual([csv.format, csv.labelMap.names, csv.labelMap.ids, csv.yoloNames], ['csv', ['cat', 'dog'], [3, 7], null]);
  assert.equal(csv.labelMapText, "item {\n  id: 3\n  name: 'cat'\n}\nitem {\n  id: 7\n  name: 'dog'\n}\n");
  // Without --labels: the classes present, sorted, from 1.
  const plain = await prepareAnnotations(['a.jpg'], { annotations: join(root, 'a.csv') });
  assert.deepEqual([plain.labelMap.names, plain.labelMap.ids], [['dog'], [1]]);
});
