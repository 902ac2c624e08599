// --annotations with --tfds-name: object-detection records in TFDS's own form (objects Sequence of
// BBoxFeature + ClassLabel), checked against the Object Detection API records of the same run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../../src/convert/convert.js';
import type { ConvertOptions } from '../../src/convert/options/options.js';
import { decodeExample, type Feature } from '../../src/example/index.js';
import { InvalidOptionError } from '../../src/errors.js';
import { readRecordFile } from '../../src/record/index.js';
import { loadTfdsTypes, roundTrip } from '../helpers/tfds-protos.js';

const IMAGES = new URL('../../fixtures/golden/raccoon_test_images/', import.meta.url).pathname;
const RACCOON = new URL('../../fixtures/annotations/raccoon/', import.meta.url).pathname;
const TFDS = 'tensorflow_datasets.core.features';

async function run(extra: Partial<ConvertOptions>): Promise<string> {
  const output = await mkdtemp(join(tmpdir(), 'img2tfrecord-tfds-od-'));
  await convert({ input: IMAGES, output, jobs: 2, ...extra } as ConvertOptions);
  return output;
}

async function readRecords(path: string): Promise<Record<string, Feature>[]> {
  const records = [];
  for await (const rec of readRecordFile(path)) records.push(decodeExample(rec.data).features);
  return records;
}

function values(features: Record<string, Feature>, key: string): unknown[] {
  const feature = features[key];
  assert.ok(feature !== undefined, `record has ${key}`);
  return feature.kind === 'bytes' ? feature.values.map((v) => Buffer.from(v).toString('latin1')) : [...feature.values];
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

const BOOL = { pythonClassName: `${TFDS}.tensor_feature.Tensor`, tensor: { shape: {}, dtype: 'bool', encoding: 'none' } };

/** The `objects` feature TFDS's voc/coco builders declare, with the given booleans. */
function objectsFeature(flags: readonly string[]): unknown {
  const inner: Record<string, unknown> = {
    bbox: { pythonClassName: `${TFDS}.bounding_boxes.BBoxFeature`, boundingBox: { shape: { dimensions: ['4'] }, dtype: 'float32' } },
    ...Object.fromEntries(flags.map((f) => [f, BOOL])),
    label: { pythonClassName: `${TFDS}.class_label_feature.ClassLabel`, classLabel: { numClasses: '1' } },
  };
  const sorted = Object.fromEntries(Object.keys(inner).sort().map((k) => [k, inner[k]]));
  return { pythonClassName: `${TFDS}.sequence_feature.Sequence`, sequence: { feature: { pythonClassName: `${TFDS}.features_dict.FeaturesDict`, featuresDict: { features: sorted } }, length: '-1' } };
}

test('--annotations (VOC) with --tfds-name: TFDS shards, features.json with the objects Sequence, boxes equal to the OD API run', async () => {
  const tfds = await run({ annotations: join(RACCOON, 'voc'), tfdsName: 'raccoon' });
  const odApi = await run({ annotations: join(RACCOON, 'voc') });
  assert.deepEqual((await readdir(tfds)).sort(), [
    'dataset.json', 'dataset_info.json', 'features.json', 'label_map.pbtxt', 'objects-label.labels.txt', 'raccoon-train.tfrecord-00000-of-00001',
  ]);
  assert.equal(await readFile(join(tfds, 'objects-label.labels.txt'), 'utf8'), 'raccoon\n');

  const { Feature: FeatureType, DatasetInfo } = loadTfdsTypes();
  const features = await readJson(join(tfds, 'features.json'));
  assert.deepEqual(roundTrip(FeatureType, features), features);
  const declared = (features.featuresDict as { features: Record<string, unknown> }).features;
  assert.deepEqual(Object.keys(declared), ['image', 'image/filename', 'objects']);
  assert.deepEqual(declared.objects, objectsFeature(['is_difficult', 'is_truncated']));
  const info = await readJson(join(tfds, 'dataset_info.json'));
  assert.deepEqual(roundTrip(DatasetInfo, info), info);
  assert.equal(info.supervisedKeys, undefined, 'no (image, label) pair in a detection dataset');
  assert.deepEqual((info.splits as { shardLengths: string[] }[])[0]?.shardLengths, ['40']);

  const ours = await readRecords(join(tfds, 'raccoon-train.tfrecord-00000-of-00001'));
  const theirs = await readRecords(join(odApi, 'train-00000-of-00001.tfrecord'));
  assert.equal(ours.length, 40);
  assert.equal(theirs.length, 40);
  let boxes = 0;
  ours.forEach((record, i) => {
    const od = theirs[i] as Record<string, Feature>;
    assert.deepEqual(Object.keys(record).sort(), ['image', 'image/filename', 'objects/bbox', 'objects/is_difficult', 'objects/is_truncated', 'objects/label']);
    assert.deepEqual(values(record, 'image/filename'), values(od, 'image/filename'));
    assert.deepEqual(values(record, 'image'), values(od, 'image/encoded'));
    const [xmin, ymin, xmax, ymax] = ['xmin', 'ymin', 'xmax', 'ymax'].map((c) => values(od, `image/object/bbox/${c}`));
    const expected = (xmin as number[]).flatMap((_, b) => [ymin?.[b], xmin?.[b], ymax?.[b], xmax?.[b]]);
    assert.deepEqual(values(record, 'objects/bbox'), expected);
    assert.deepEqual(values(record, 'objects/label'), values(od, 'image/object/class/label').map((l) => (l as bigint) - 1n));
    assert.deepEqual(values(record, 'objects/is_difficult'), values(od, 'image/object/difficult'));
    assert.deepEqual(values(record, 'objects/is_truncated'), values(od, 'image/object/truncated'));
    boxes += (xmin as number[]).length;
  });
  assert.equal(boxes, 44);
});

test('--annotations (COCO) with --tfds-name: objects/is_crowd declared and written', async () => {
  const tfds = await run({ annotations: join(RACCOON, 'coco.json'), tfdsName: 'raccoon' });
  const features = await readJson(join(tfds, 'features.json'));
  assert.deepEqual((features.featuresDict as { features: Record<string, unknown> }).features.objects, objectsFeature(['is_crowd']));
  const records = await readRecords(join(tfds, 'raccoon-train.tfrecord-00000-of-00001'));
  for (const record of records) {
    assert.deepEqual(Object.keys(record).sort(), ['image', 'image/filename', 'objects/bbox', 'objects/is_crowd', 'objects/label']);
    assert.equal(values(record, 'objects/bbox').length, 4 * values(record, 'objects/is_crowd').length);
    assert.ok(values(record, 'objects/label').every((l) => l === 0n));
  }
});

test('--annotations with --tfds-name refuses detection ids that are not 1..n (TFDS ClassLabel ids are 0..n-1)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-tfds-od-labels-'));
  const labels = join(dir, 'labels.pbtxt');
  await writeFile(labels, "item {\n  id: 2\n  name: 'raccoon'\n}\n");
  await assert.rejects(run({ annotations: join(RACCOON, 'voc'), tfdsName: 'raccoon', labels }), (error: unknown) => {
    assert.ok(error instanceof InvalidOptionError);
    assert.match(error.message, /tfdsName .* detection ids must be 1\.\.n; the label map has ids 2/);
    return true;
  });
});

test('--annotations with --tfds-name refuses --key/--drop-key on the objects keys features.json declares', async () => {
  for (const extra of [{ dropKeys: ['objects/is_difficult'] }, { keys: ['objects/bbox=boxes'] }]) {
    await assert.rejects(run({ annotations: join(RACCOON, 'voc'), tfdsName: 'raccoon', ...extra }), (error: unknown) => {
      assert.ok(error instanceof InvalidOptionError);
      assert.match(error.message, /cannot change objects\/(is_difficult|bbox)/);
      return true;
    });
  }
});
