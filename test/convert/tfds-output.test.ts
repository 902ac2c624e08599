import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../../src/convert/convert.js';
import { resolveConvertOptions, type ConvertOptions } from '../../src/convert/options.js';
import { decodeExample, type Feature } from '../../src/example/index.js';
import { InvalidOptionError, OutputExistsError } from '../../src/errors.js';
import { readRecordFile } from '../../src/record/index.js';
import { spawnCliSync } from '../helpers/cli.js';
import { loadTfdsTypes, roundTrip, shapeOf, TFDS_FIXTURES } from '../helpers/tfds-protos.js';

const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;
const SHARD = /^my_photos-(?<split>[\w-]+)\.tfrecord-(?<index>\d{5,})-of-(?<count>\d{5,})$/;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-tfds-'));
}

async function tfdsRun(extra: Partial<ConvertOptions> = {}): Promise<string> {
  const output = await tempDir();
  await convert({ input: SAMPLE, output, tfdsName: 'my_photos', jobs: 2, ...extra } as ConvertOptions);
  return output;
}

/** Every shard of the folder, by TFDS's own file-name pattern, with its decoded records. */
async function readShards(dir: string): Promise<{ name: string; split: string; bytes: number; examples: Record<string, Feature>[] }[]> {
  const shards = [];
  for (const name of (await readdir(dir)).filter((n) => SHARD.test(n)).sort()) {
    const examples = [];
    for await (const rec of readRecordFile(join(dir, name))) examples.push(decodeExample(rec.data).features);
    shards.push({ name, split: SHARD.exec(name)?.groups?.split as string, bytes: (await stat(join(dir, name))).size, examples });
  }
  return shards;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

test('--tfds-name writes TFDS shard names, dataset_info.json, features.json and the class names file', async () => {
  const out = await tfdsRun({ shards: 2 });
  assert.deepEqual((await readdir(out)).sort(), [
    'dataset.json', 'dataset_info.json', 'features.json', 'label.labels.txt', 'labels.txt',
    'my_photos-train.tfrecord-00000-of-00002', 'my_photos-train.tfrecord-00001-of-00002',
  ]);
  const shards = await readShards(out);

  // dataset_info.json: the key paths and JSON types of the one TFDS wrote for mnist, TFDS proto fields only.
  const info = await readJson(join(out, 'dataset_info.json'));
  const real = shapeOf(JSON.parse(readFileSync(join(TFDS_FIXTURES, 'mnist-3.0.1-dataset_info.json'), 'utf8')));
  for (const [path, type] of shapeOf(info)) assert.equal(real.get(path), type, `${path}: ours ${type}, TFDS's ${real.get(path)}`);
  const { DatasetInfo, Feature: FeatureType } = loadTfdsTypes();
  assert.deepEqual(roundTrip(DatasetInfo, info), info);
  assert.equal(info.name, 'my_photos');
  assert.equal(info.version, '1.0.0');
  assert.equal(info.moduleName, 'img2tfrecord');
  assert.deepEqual(info.supervisedKeys, { input: 'image', output: 'label' });
  assert.deepEqual(info.splits, [{
    name: 'train',
    shardLengths: shards.map((s) => String(s.examples.length)),
    numBytes: String(shards.reduce((n, s) => n + s.bytes, 0)),
  }]);

  // features.json: TFDS's Feature proto reads it; image (mixed PNG/JPEG/BMP: no one encoding), label, image/filename.
  const features = await readJson(join(out, 'features.json'));
  assert.deepEqual(roundTrip(FeatureType, features), features);
  const dict = (features.featuresDict as { features: Record<string, Record<string, unknown>> }).features;
  assert.deepEqual(Object.keys(dict), ['image', 'image/filename', 'label']);
  assert.deepEqual(dict.image?.image, { shape: { dimensions: ['-1', '-1', '4'] }, dtype: 'uint8' });
  assert.deepEqual(dict.label?.classLabel, { numClasses: '4' });
  assert.equal(dict['image/filename']?.pythonClassName, 'tensorflow_datasets.core.features.text_feature.Text');

  // The names file ClassLabel reads: labels.txt's order, ids 0..n-1.
  const names = (await readFile(join(out, 'label.labels.txt'), 'utf8')).split('\n').filter((l) => l !== '');
  assert.equal(await readFile(join(out, 'label.labels.txt'), 'utf8'), await readFile(join(out, 'labels.txt'), 'utf8'));
  assert.deepEqual(names, ['animals', 'documents', 'graphics', 'people']);

  // Records as TFDS parses them: image, label and image/filename each FixedLen [] (exactly one value).
  let records = 0;
  for (const shard of shards) {
    for (const example of shard.examples) {
      const f = example;
      assert.equal(f.image?.kind, 'bytes');
      assert.equal(f.image.values.length, 1);
      assert.equal(f.label?.kind, 'int64');
      assert.equal(f.label.values.length, 1);
      assert.equal(f['image/filename']?.kind, 'bytes');
      const file = Buffer.from(f['image/filename'].values[0] as Uint8Array).toString('utf8');
      assert.equal(Number(f.label.values[0]), names.indexOf(file.split('/')[0] as string), file);
      records++;
    }
  }
  assert.equal(records, 7);
  // The TFDS name is recorded only in a TFDS run's summary (and plan), so a resume with another name keeps nothing.
  assert.equal(((await readJson(join(out, 'dataset.json'))).options as Record<string, unknown>).tfdsName, 'my_photos');
  const plain = await tempDir();
  await convert({ input: SAMPLE, output: plain, jobs: 1 });
  assert.equal('tfdsName' in ((await readJson(join(plain, 'dataset.json'))).options as Record<string, unknown>), false);
});

test('--tfds-name: one encoding and channel count when every image shares them; same bytes at any --jobs', async () => {
  const one = await tfdsRun({ encode: 'png', channels: 3, jobs: 1 });
  const two = await tfdsRun({ encode: 'png', channels: 3, jobs: 4 });
  const features = await readJson(join(one, 'features.json'));
  const dict = (features.featuresDict as { features: Record<string, Record<string, unknown>> }).features;
  assert.deepEqual(dict.image?.image, { shape: { dimensions: ['-1', '-1', '3'] }, dtype: 'uint8', encodingFormat: 'png' });
  const gray = await tfdsRun({ encode: 'jpeg', channels: 1 });
  const grayDict = ((await readJson(join(gray, 'features.json'))).featuresDict as { features: Record<string, Record<string, unknown>> }).features;
  assert.deepEqual(grayDict.image?.image, { shape: { dimensions: ['-1', '-1', '1'] }, dtype: 'uint8', encodingFormat: 'jpeg' });
  for (const name of (await readdir(one)).filter((n) => n !== 'dataset.json')) {
    assert.deepEqual(await readFile(join(two, name)), await readFile(join(one, name)), name);
  }
});

test('--tfds-name with --split: one TFDS split per name, each with its shard lengths; --prefix names the split', async () => {
  const out = await tfdsRun({ split: 'train=0.5,validation=0.5', recordsPerShard: 2, seed: 3, shuffle: true });
  const shards = await readShards(out);
  const info = await readJson(join(out, 'dataset_info.json'));
  const splits = info.splits as { name: string; shardLengths: string[]; numBytes: string }[];
  assert.deepEqual(splits.map((s) => s.name), ['train', 'validation']);
  for (const split of splits) {
    const own = shards.filter((s) => s.split === split.name);
    assert.ok(own.length > 0, split.name);
    assert.deepEqual(split.shardLengths, own.map((s) => String(s.examples.length)), split.name);
    assert.equal(split.numBytes, String(own.reduce((n, s) => n + s.bytes, 0)));
    own.forEach((s, i) => assert.equal(s.name, `my_photos-${split.name}.tfrecord-${String(i).padStart(5, '0')}-of-${String(own.length).padStart(5, '0')}`));
  }
  assert.equal(splits.reduce((n, s) => n + s.shardLengths.reduce((m, x) => m + Number(x), 0), 0), 7);

  const test = await tfdsRun({ prefix: 'test' });
  assert.ok((await readdir(test)).includes('my_photos-test.tfrecord-00000-of-00001'));
  assert.deepEqual(((await readJson(join(test, 'dataset_info.json'))).splits as { name: string }[]).map((s) => s.name), ['test']);
});

test('--tfds-name refusals: what TFDS cannot read, workers, and an existing TFDS folder', async () => {
  const base = { input: SAMPLE, output: 'out', tfdsName: 'my_photos' };
  const refusals: [Partial<ConvertOptions>, RegExp][] = [
    [{ compression: 'gzip' }, /uncompressed shards/],
    [{ labelOffset: 1 }, /start at 0/],
    [{ target: 'caffe-lmdb' }, /caffe-lmdb/],
    [{ output: '-' }, /output "-"/],
    [{ worker: { index: 0, count: 2 } }, /--worker is not possible/],
    [{ encode: 'raw' }, /encode raw is not possible/],
    [{ keys: ['label=class_id'] }, /--key\/--drop-key of label/],
    [{ dropKeys: ['image'] }, /--key\/--drop-key of image/],
    [{ schema: 'mnist' }, /Expected schema tfds/],
    [{ tfdsName: 'MyPhotos' }, /use "my_photos"/],
  ];
  for (const [extra, message] of refusals) {
    assert.throws(() => resolveConvertOptions({ ...base, ...extra } as ConvertOptions), (e: unknown) => e instanceof InvalidOptionError && message.test(e.message), JSON.stringify(extra));
  }
  // Checked before any work: a split name TFDS cannot read.
  const out = await tempDir();
  await assert.rejects(convert({ input: SAMPLE, output: out, tfdsName: 'my_photos', prefix: 'my.split' }), /TFDS split name/);
  assert.deepEqual(await readdir(out), []);
  // An earlier TFDS run's metadata is not replaced without --overwrite (even under another prefix).
  const done = await tfdsRun();
  await assert.rejects(convert({ input: SAMPLE, output: done, tfdsName: 'my_photos', prefix: 'test' }), OutputExistsError);
  // Dropping the filename leaves the Text feature out.
  const noName = await tfdsRun({ dropKeys: ['image/filename'] });
  const dict = ((await readJson(join(noName, 'features.json'))).featuresDict as { features: Record<string, unknown> }).features;
  assert.deepEqual(Object.keys(dict), ['image', 'label']);
});

test('--tfds-name --resume keeps the TFDS shards of a killed run and ends with the same files as one run', async () => {
  const whole = await tfdsRun({ recordsPerShard: 1, jobs: 1 });
  const out = await tempDir();
  const args = ['convert', SAMPLE, '-o', out, '--tfds-name', 'my_photos', '--records-per-shard', '1', '--jobs', '1', '--quiet'];
  const killed = spawnCliSync(args, { env: { IMG2TFRECORD_FAULT: 'shard:4' } });
  assert.equal(killed.code, null, 'killed');
  const resumed = spawnCliSync([...args, '--resume', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout) as { resumed: { shards: number } };
  assert.ok(summary.resumed.shards >= 3, `${summary.resumed.shards} shards kept`);
  const names = (await readdir(out)).sort();
  assert.deepEqual(names, (await readdir(whole)).sort());
  for (const name of names.filter((n) => n !== 'dataset.json')) {
    assert.deepEqual(await readFile(join(out, name)), await readFile(join(whole, name)), name);
  }
});
