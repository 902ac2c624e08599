/** The Done-when check: VOC, CSV, COCO and YOLO descriptions of the raccoon boxes give TensorFlow's features. */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeExample, type Feature, type Features } from '../../src/example/index.js';
import { readRecordFile } from '../../src/record/index.js';
import { buildDetectionFeatures, buildDetectionLabelMap, formatDetectionLabelMap } from '../../src/annotations/features.js';
import { mapObjects, planGeometry } from '../../src/annotations/geometry.js';
import { readAnnotations } from '../../src/annotations/load.js';
import { matchAnnotations } from '../../src/annotations/match.js';
import { toPixelBoxes, type AnnotationFormat } from '../../src/annotations/model.js';
import { checkDeclaredSize, checkObjects } from '../../src/annotations/validate.js';
import { DEFAULT_IMAGE_SETTINGS } from '../../src/image/settings.js';
import { RACCOON_ANNOTATIONS } from './raccoon-fixtures.js';

const IMAGES = 'fixtures/golden/raccoon_test_images';
const RECORD = 'fixtures/golden/raccoon_test.record';
const ANNOTATIONS = RACCOON_ANNOTATIONS;

async function readTensorflowRecords(): Promise<Map<string, Features>> {
  const byName = new Map<string, Features>();
  for await (const entry of readRecordFile(RECORD)) {
    const { features } = decodeExample(entry.data);
    const name = Buffer.from((features['image/filename'] as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array).toString();
    byName.set(name, features);
  }
  return byName;
}

function values(f: Feature | undefined): unknown[] {
  assert.ok(f !== undefined);
  return f.kind === 'bytes' ? f.values.map((v) => Buffer.from(v).toString()) : [...f.values];
}

/** Our features for every input, built as the converter will: parse, match, check, map (pass-through), encode. */
async function buildOurs(format: AnnotationFormat, inputs: readonly string[]): Promise<Map<string, Features>> {
  const parsed = await readAnnotations(ANNOTATIONS[format], 'auto');
  assert.equal(parsed.format, format, 'auto detection');
  assert.deepEqual(parsed.problems, []);
  const { matched, problems, unannotated } = matchAnnotations(inputs, parsed.annotations);
  assert.deepEqual(problems, []);
  assert.equal(unannotated, 0);
  const labels = buildDetectionLabelMap(parsed.annotations.flatMap((a) => a.objects.map((o) => o.className)), parsed.classes, null);
  assert.equal(formatDetectionLabelMap(labels), "item {\n  id: 1\n  name: 'raccoon'\n}\n");
  const out = new Map<string, Features>();
  for (const [i, input] of inputs.entries()) {
    const annotation = matched[i];
    assert.ok(annotation, `${input} is annotated`);
    const meta = await sharp(join(IMAGES, input)).metadata();
    const size = { width: meta.width as number, height: meta.height as number };
    assert.equal(checkDeclaredSize(annotation, size), null, `${input}: declared size`);
    const pixels = toPixelBoxes(annotation, size);
    const checked = checkObjects(pixels.objects, size, (c) => labels.names.includes(c));
    assert.deepEqual(checked.problems, []);
    const plan = planGeometry({ storedSize: size, orientation: meta.orientation ?? 1, frame: 'stored', decoded: false }, DEFAULT_IMAGE_SETTINGS);
    const mapped = mapObjects(checked.objects, plan);
    assert.equal(mapped.dropped, 0);
    const built = buildDetectionFeatures({ filename: input, width: size.width, height: size.height, objects: mapped.objects, format, ...(annotation.sourceId === undefined ? {} : { sourceId: annotation.sourceId }) }, labels);
    assert.deepEqual(built.problems, []);
    out.set(input, built.features);
  }
  return out;
}

const BOX_KEYS = ['xmin', 'xmax', 'ymin', 'ymax'].map((k) => `image/object/bbox/${k}`);

for (const format of ['voc', 'csv', 'coco', 'yolo'] as const) {
  test(`${format}: every raccoon image gets TensorFlow's height, width, boxes, class texts and labels`, async () => {
    const theirs = await readTensorflowRecords();
    const inputs = (await readdir(IMAGES)).filter((n) => n.endsWith('.jpg')).sort();
    assert.equal(inputs.length, 40);
    const ours = await buildOurs(format, inputs);
    let boxes = 0;
    for (const input of inputs) {
      const tf = theirs.get(input);
      const me = ours.get(input);
      assert.ok(tf && me, input);
      for (const key of ['image/height', 'image/width', 'image/filename', 'image/object/class/text', 'image/object/class/label']) {
        assert.deepEqual(values(me[key]), values(tf[key]), `${input} ${key}`);
      }
      // COCO writes its image id (checked below); the others the file name, as TensorFlow's record.
      if (format !== 'coco') assert.deepEqual(values(me['image/source_id']), values(tf['image/source_id']), `${input} source_id`);
      for (const key of BOX_KEYS) {
        const want = values(tf[key]) as number[];
        // Stored as float32: compare what the record will hold.
        const got: number[] = (values(me[key]) as number[]).map((v) => Math.fround(v));
        assert.equal(got.length, want.length, `${input} ${key} count`);
        got.forEach((v, i) => {
          const w = want[i] as number;
          if (format === 'yolo') assert.ok(Math.abs(v - w) <= 2e-6, `${input} ${key}[${i}] ${v} vs ${w}`);
          else assert.equal(v, w, `${input} ${key}[${i}]`);
        });
        boxes += got.length;
      }
    }
    assert.equal(boxes, 44 * 4);
  });
}

test('coco: source_id is the COCO image id, with area and is_crowd per box', async () => {
  const inputs = (await readdir(IMAGES)).filter((n) => n.endsWith('.jpg')).sort();
  const ours = await buildOurs('coco', inputs);
  const first = ours.get('raccoon-129.jpg');
  assert.ok(first);
  // raccoon-129.jpg is the record's first image, so the generator gave it COCO id 1.
  assert.deepEqual(values(first['image/source_id']), ['1']);
  assert.deepEqual(values(first['image/object/area']), [(442 - 142) * (276 - 24)]);
  assert.deepEqual(values(first['image/object/is_crowd']), [0n]);
});

test('voc: difficult, truncated and view lists have one entry per box', async () => {
  const inputs = (await readdir(IMAGES)).filter((n) => n.endsWith('.jpg')).sort();
  const ours = await buildOurs('voc', inputs);
  for (const [input, f] of ours) {
    const n = values(f['image/object/class/text']).length;
    assert.deepEqual(values(f['image/object/difficult']), Array(n).fill(0n), input);
    assert.deepEqual(values(f['image/object/truncated']), Array(n).fill(0n), input);
    assert.deepEqual(values(f['image/object/view']), Array(n).fill('Unspecified'), input);
  }
});
