import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildTfdsDatasetInfo, buildTfdsFeatures, writeTfdsMetadata, checkTfdsName, encodeTfdsObjects, formatTfdsLabels, formatTfdsShardName, tfdsLabelFiles, tfdsLabelsFileName,
  type TfdsFeatureJson,
} from '../../src/tfds/index.js';
import { loadTfdsTypes, roundTrip, shapeOf, TFDS_FIXTURES } from '../helpers/tfds-protos.js';

const FIXTURES = TFDS_FIXTURES;

test('shard names follow TFDS naming.py (DEFAULT_FILENAME_TEMPLATE and its regex)', () => {
  assert.equal(formatTfdsShardName('my_photos', 'train', 0, 4), 'my_photos-train.tfrecord-00000-of-00004');
  assert.equal(formatTfdsShardName('my_photos', 'validation', 3, 123456), 'my_photos-validation.tfrecord-000003-of-123456');
  // The regex TFDS builds from the template (_VAR_REGEX_MAPPING) must read our names back.
  const tfdsRegex = /^(?<dataset_name>[a-zA-Z]\w*)-(?<split>(\w|-)+)\.(?<filetype_suffix>\w+)-(?<shard_index>\d{5,})-of-(?<num_shards>\d{5,})$/;
  const m = tfdsRegex.exec(formatTfdsShardName('cats_v2', 'test-a', 11, 12));
  assert.deepEqual({ ...m?.groups }, { dataset_name: 'cats_v2', split: 'test-a', filetype_suffix: 'tfrecord', shard_index: '00011', num_shards: '00012' });
  assert.throws(() => checkTfdsName('MyPhotos'), /snake_case TFDS dataset name \(use "my_photos"\) for tfdsName/);
  assert.throws(() => checkTfdsName('1abc'), /for tfdsName/);
  assert.throws(() => formatTfdsShardName('ok', 'train', 4, 4), /shard index/);
  assert.equal(tfdsLabelsFileName(['objects', 'label']), 'objects-label.labels.txt');
  assert.equal(tfdsLabelsFileName(['image/label']), 'image.label.labels.txt');
  assert.equal(formatTfdsLabels(['cat', 'dog']), 'cat\ndog\n');
  assert.throws(() => formatTfdsLabels([' cat']), /TFDS strips them/);
});

test('features.json: every field is one of TFDS feature.proto, in proto3 JSON form', () => {
  const { Feature } = loadTfdsTypes();
  const classification = buildTfdsFeatures({ image: { channels: 3, encodingFormat: 'jpeg' }, label: { names: ['cat', 'dog'] }, filename: true });
  assert.deepEqual(roundTrip(Feature, classification), classification);
  const detection = buildTfdsFeatures({ image: { height: 320, width: 320, channels: 3, encodingFormat: 'png', dtype: 'uint16' }, objects: { names: ['raccoon'] } });
  assert.deepEqual(roundTrip(Feature, detection), detection);
  // A misspelt field is dropped by the round trip: the check can fail.
  const wrong = { ...classification, featuresDict: { features: { image: { pythonClassName: 'x', imageFeature: {} } } } };
  assert.notDeepEqual(roundTrip(Feature, wrong), wrong);
});

test('features.json round trip: parse it back and read names, shapes, classes', () => {
  const json = JSON.parse(JSON.stringify(buildTfdsFeatures({
    image: { channels: 1, encodingFormat: null }, label: { numClasses: 10 }, objects: { names: ['a', 'b', 'c'] },
  }), null, 4)) as TfdsFeatureJson & { featuresDict: { features: Record<string, TfdsFeatureJson & Record<string, any>> } };
  assert.equal(json.pythonClassName, 'tensorflow_datasets.core.features.features_dict.FeaturesDict');
  const f = json.featuresDict.features;
  assert.deepEqual(Object.keys(f), ['image', 'label', 'objects']);
  assert.equal(f.image?.pythonClassName, 'tensorflow_datasets.core.features.image_feature.Image');
  assert.deepEqual(f.image?.image, { shape: { dimensions: ['-1', '-1', '1'] }, dtype: 'uint8' });
  assert.deepEqual(f.label?.classLabel, { numClasses: '10' });
  const seq = f.objects?.sequence;
  assert.equal(seq.length, '-1');
  assert.equal(seq.feature.featuresDict.features.bbox.pythonClassName, 'tensorflow_datasets.core.features.bounding_boxes.BBoxFeature');
  assert.deepEqual(seq.feature.featuresDict.features.bbox.boundingBox, { shape: { dimensions: ['4'] }, dtype: 'float32' });
  assert.deepEqual(seq.feature.featuresDict.features.label.classLabel, { numClasses: '3' });
  assert.deepEqual([...tfdsLabelFiles({ image: { channels: 1 }, label: { numClasses: 10 }, objects: { names: ['a', 'b', 'c'] } })], [['objects-label.labels.txt', ['a', 'b', 'c']]]);
  assert.throws(() => buildTfdsFeatures({ image: { channels: 3 }, label: { names: ['a', 'a'] } }), /unique names/);
});

test('dataset_info.json: same field names, types and nesting as the one TFDS wrote for mnist, and TFDS proto fields only', () => {
  const real = JSON.parse(readFileSync(join(FIXTURES, 'mnist-3.0.1-dataset_info.json'), 'utf8')) as Record<string, unknown>;
  const ours = buildTfdsDatasetInfo({
    name: 'my_photos', description: 'Photos.', citation: '@misc{x}', homepage: 'https://example.org/',
    splits: [{ name: 'test', shardLengths: [20], numBytes: 11594722 }, { name: 'train', shardLengths: [29, 28], numBytes: 484845 }],
    supervisedKeys: { input: 'image', output: 'label' }, version: '1.0.0', moduleName: 'img2tfrecord',
  });
  const realShape = shapeOf(real);
  const ourShape = shapeOf(ours);
  for (const [path, type] of ourShape) assert.equal(realShape.get(path), type, `${path}: ours ${type}, TFDS's ${realShape.get(path)}`);
  assert.deepEqual(Object.keys(ours), ['citation', 'description', 'location', 'name', 'splits', 'supervisedKeys', 'version', 'moduleName']);
  assert.deepEqual((ours.splits as unknown[])[1], { name: 'train', shardLengths: ['29', '28'], numBytes: '484845' });

  const { DatasetInfo } = loadTfdsTypes();
  assert.deepEqual(roundTrip(DatasetInfo, ours), ours);
  // The real file passes the same round trip (less the tensorflow_metadata parts stubbed here).
  const { schema: _schema, ...realRest } = real;
  const realSplits = (realRest.splits as Record<string, unknown>[]).map(({ statistics: _s, ...s }) => s);
  const realNoMetadata = { ...realRest, splits: realSplits };
  assert.deepEqual(roundTrip(DatasetInfo, realNoMetadata), realNoMetadata);
  assert.throws(() => buildTfdsDatasetInfo({ name: 'x', splits: [{ name: 'train', shardLengths: [1.5], numBytes: 1 }] }), /shardLengths/);
});

test('objects/bbox holds ymin, xmin, ymax, xmax per box, as TFDS BBoxFeature; objects/label one id per box', () => {
  const f = encodeTfdsObjects([{ xmin: 0.1, ymin: 0.2, xmax: 0.5, ymax: 0.75, label: 0 }, { xmin: 0, ymin: 0, xmax: 1, ymax: 1, label: 2 }]);
  assert.deepEqual(f['objects/bbox'], { kind: 'float', values: [0.2, 0.1, 0.75, 0.5, 0, 0, 1, 1] });
  assert.deepEqual(f['objects/label'], { kind: 'int64', values: [0n, 2n] });
  assert.throws(() => encodeTfdsObjects([{ xmin: 0.6, ymin: 0, xmax: 0.5, ymax: 1, label: 0 }]), /0 <= min <= max <= 1/);
});

test('writeTfdsMetadata writes the three kinds of file, the same bytes every time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tfds-'));
  const info = { name: 'my_photos', splits: [{ name: 'train', shardLengths: [2, 1], numBytes: 300 }], supervisedKeys: { input: 'image', output: 'label' } };
  const features = { image: { channels: 3 as const, encodingFormat: 'jpeg' as const }, label: { names: ['cat', 'dog'] }, filename: true };
  assert.deepEqual(await writeTfdsMetadata(dir, info, features), ['dataset_info.json', 'features.json', 'label.labels.txt']);
  const first = await Promise.all(['dataset_info.json', 'features.json', 'label.labels.txt'].map((f) => readFile(join(dir, f), 'utf8')));
  await writeTfdsMetadata(dir, info, features);
  assert.deepEqual(await Promise.all(['dataset_info.json', 'features.json', 'label.labels.txt'].map((f) => readFile(join(dir, f), 'utf8'))), first);
  assert.equal(first[2], 'cat\ndog\n');
  assert.deepEqual(JSON.parse(first[0] as string).splits, [{ name: 'train', shardLengths: ['2', '1'], numBytes: '300' }]);
  assert.deepEqual(Object.keys(JSON.parse(first[1] as string).featuresDict.features), ['image', 'image/filename', 'label']);
  await assert.rejects(writeTfdsMetadata(dir, { ...info, name: 'Bad-Name' }, features), /tfdsName/);
});
