import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { readExamples } from '../../src/read/examples.js';
import { convert } from '../../src/convert/convert.js';
import { lmdbSkipReason } from '../caffe/lmdb-helpers.js';
import { gatherSpecStats, SpecGatherer, type Spec, type SpecKeyStats } from '../../src/read/spec.js';
import { buildSpec, renderSpecJson, checkRawShape } from '../../src/read/spec-build.js';
import { renderSpecPython } from '../../src/read/spec-python.js';
import { bytesFeature, floatFeature, int64Feature, type Features } from '../../src/example/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = join(ROOT, 'fixtures/golden');
const SAMPLE = join(ROOT, 'fixtures/sample');
const PYTHON = '/usr/bin/python3';

/** Parses the text with Python's own parser; null when python3 is absent (the check is skipped). */
async function pythonSyntaxError(source: string): Promise<string | null | 'no-python'> {
  if (!existsSync(PYTHON)) return 'no-python';
  const file = join(await mkdtemp(join(tmpdir(), 'spec-py-')), 'spec.py');
  await writeFile(file, source);
  const run = spawnSync(PYTHON, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1], encoding="utf-8").read())', file], { encoding: 'utf8' });
  return run.status === 0 ? null : run.stderr;
}

async function specOf(files: string[], rawShape?: number[]): Promise<{ spec: Spec; python: string }> {
  const spec = buildSpec(await gatherSpecStats(files, readExamples), rawShape === undefined ? {} : { rawShape });
  const python = renderSpecPython(spec);
  const syntax = await pythonSyntaxError(python);
  if (syntax !== 'no-python') assert.equal(syntax, null, `not valid Python for ${files.join(', ')}:\n${python}`);
  // JSON carries the same content as data.
  assert.deepEqual(JSON.parse(renderSpecJson(spec)), JSON.parse(JSON.stringify(spec)));
  return { spec, python };
}

function feature(spec: Spec, key: string): Spec['features'][number] {
  const f = spec.features.find((x) => x.key === key);
  assert.ok(f !== undefined, `no feature ${key} in ${spec.features.map((x) => x.key).join(', ')}`);
  return f;
}

test('every golden file gives valid Python and a spec with every readable key', async () => {
  const names = (await readdir(GOLDEN)).filter((n) => n !== 'README.md' && n !== 'raccoon_test_images');
  assert.ok(names.length >= 11);
  for (const name of names) {
    const { spec, python } = await specOf([join(GOLDEN, name)]);
    assert.ok(spec.records > 0, name);
    assert.ok(spec.features.length > 0, name);
    assert.match(python, /tf\.data\.TFRecordDataset\(files, compression_type=/);
    for (const f of spec.features) assert.ok(python.includes(JSON.stringify(f.key)), `${name}: ${f.key} missing from the Python`);
  }
});

test('golden: FixedLen for constant counts, VarLen for object lists, defaults for missing keys, compression from bytes', async () => {
  const raccoon = (await specOf([join(GOLDEN, 'raccoon_test.record')])).spec;
  assert.deepEqual(feature(raccoon, 'image/encoded'), { key: 'image/encoded', kind: 'fixed', dtype: 'string', shape: [], records: 40 });
  assert.equal(feature(raccoon, 'image/object/bbox/xmin').kind, 'var');
  assert.equal(feature(raccoon, 'image/object/bbox/xmin').dtype, 'float32');
  assert.equal(feature(raccoon, 'image/object/class/label').dtype, 'int64');
  assert.deepEqual(raccoon.images, [{ key: 'image/encoded', channels: 3, dtype: 'uint8', formats: ['jpeg'] }]);
  assert.deepEqual(raccoon.datasets, [{ compressionType: null, files: [join(GOLDEN, 'raccoon_test.record')] }]);

  const singles = await specOf([join(GOLDEN, 'tf_singles.tfrecords')]);
  assert.deepEqual(feature(singles.spec, 'byte_feature'), { key: 'byte_feature', kind: 'fixed', dtype: 'string', shape: [], defaultValue: '', records: 1 });
  assert.match(singles.python, /"float_feature": tf\.io\.FixedLenFeature\(\[\], tf\.float32, default_value=0\.0\)/);

  const hadoop = await specOf([join(GOLDEN, 'hadoop_zipped_part-m-00000.gz')]);
  assert.deepEqual(feature(hadoop.spec, 'data').shape, [2]);
  assert.match(hadoop.python, /compression_type="GZIP"/);

  const seq = await specOf([join(GOLDEN, 'beam_sequence_examples.tfrecord.gz')]);
  assert.equal(seq.spec.sequenceExample, true);
  assert.equal(feature(seq.spec, 'f').kind, 'var', 'f has 0 or 1 values');
  assert.match(seq.python, /parse_single_sequence_example\(record, context_features=feature_description\)/);
});

test('golden: images decoded with their channels, raw tensors reshaped by their shape keys', async () => {
  const cifar = (await specOf([join(GOLDEN, 'tfds_cifar10_train_128.tfrecord')])).spec;
  assert.deepEqual(cifar.images, [{ key: 'image', channels: 3, dtype: 'uint8', formats: ['png'] }]);
  assert.deepEqual(cifar.raws, []);

  // TFRecorder keeps raw pixels as base64 text with image_height/width/channels beside them.
  const recorder = await specOf([join(GOLDEN, 'beam_tfrecorder_validation.tfrecord.gz')]);
  assert.deepEqual(recorder.spec.raws, [{
    key: 'image', source: 'bytes', base64: true, dtype: 'uint8', shape: { kind: 'keys', keys: ['image_height', 'image_width', 'image_channels'] }, layout: 'hwc', channelOrder: 'rgb',
  }]);
  assert.match(recorder.python, /tf\.io\.decode_raw\(tf\.io\.decode_base64\(ex\["image"\]\), tf\.uint8\)/);

  const mnist = await specOf([join(GOLDEN, 'tfx_mnist_1000.tfrecord')]);
  assert.deepEqual(feature(mnist.spec, 'image_floats').shape, [784]);
  assert.equal(mnist.spec.raws[0]?.shape, null);
  assert.match(mnist.python, /--raw-shape/);
  const shaped = await specOf([join(GOLDEN, 'tfx_mnist_1000.tfrecord')], [28, 28, 1]);
  assert.match(shaped.python, /ex\["image_floats"\] = tf\.reshape\(ex\["image_floats"\], \[28, 28, 1\]\)/);
});

test('our own outputs: inception, png, raw, mnist and tfds schemas, plain and GZIP', async () => {
  const cases: { name: string; options: Record<string, unknown>; check: (spec: Spec, python: string) => void }[] = [
    { name: 'inception', options: {}, check: (spec) => {
      assert.equal(feature(spec, 'image/class/label').kind, 'fixed');
      assert.equal(spec.images[0]?.key, 'image/encoded');
      // The sample has RGBA PNGs next to JPEGs, and decode_image refuses JPEG 4 channels: RGB for all, and a note.
      assert.equal(spec.images[0]?.channels, 3);
      assert.ok(spec.notes.some((n) => /alpha, but decode_image cannot give JPEG 4 channels: decoded as RGB, alpha dropped/.test(n)), spec.notes.join('; '));
    } },
    { name: 'gzip-png', options: { compression: 'gzip', encode: 'png', channels: 1 }, check: (spec, python) => {
      assert.deepEqual(spec.images[0], { key: 'image/encoded', channels: 1, dtype: 'uint8', formats: ['png'] });
      assert.match(python, /compression_type="GZIP"/);
    } },
    { name: 'raw', options: { encode: 'raw', resize: { width: 8, height: 6 }, fit: 'fill', channels: 3, layout: 'chw', channelOrder: 'bgr' }, check: (spec, python) => {
      assert.deepEqual(spec.raws[0], { key: 'image/raw', source: 'bytes', base64: false, dtype: 'uint8', shape: { kind: 'key', key: 'image/shape' }, layout: 'chw', channelOrder: 'bgr' });
      assert.deepEqual(feature(spec, 'image/shape').shape, [3]);
      assert.match(python, /tf\.transpose\(ex\["image\/raw"\], \[1, 2, 0\]\)/);
      assert.match(python, /tf\.reverse\(ex\["image\/raw"\], axis=\[-1\]\)/);
    } },
    { name: 'float', options: { encode: 'raw', dtype: 'float32', resize: { width: 4, height: 4 }, fit: 'fill', channels: 1 }, check: (spec) => {
      assert.equal(spec.raws[0]?.dtype, 'float32');
    } },
    { name: 'mnist', options: { schema: 'mnist', resize: { width: 28, height: 28 }, fit: 'fill', channels: 1 }, check: (spec, python) => {
      assert.deepEqual(spec.raws[0]?.shape, { kind: 'keys', keys: ['height', 'width', 'depth'] });
      assert.match(python, /tf\.io\.decode_raw\(ex\["image_raw"\], tf\.uint8\)/);
    } },
    { name: 'tfds', options: { schema: 'tfds', encode: 'png' }, check: (spec) => {
      assert.deepEqual(spec.features.map((f) => f.key), ['image', 'image/filename', 'label']);
      assert.equal(spec.images[0]?.key, 'image');
    } },
  ];
  for (const { name, options, check } of cases) {
    const out = await mkdtemp(join(tmpdir(), `spec-${name}-`));
    await convert({ input: SAMPLE, output: out, jobs: 1, ...options } as Parameters<typeof convert>[0]);
    const shards = (await readdir(out)).filter((f) => /^train-\d{5}-of-\d{5}\.tfrecord/.test(f)).map((f) => join(out, f));
    assert.ok(shards.length > 0, name);
    const { spec, python } = await specOf(shards);
    check(spec, python);
  }
});

test('buildSpec is pure statistics -> spec: VarLen when counts vary, fixed [n] with a list default', () => {
  const g = new SpecGatherer();
  const add = (features: Features): void => g.add({ featureMap: new Map(Object.entries(features)), emptyKeys: [] });
  add({ a: int64Feature(1, 2), v: floatFeature(1), s: bytesFeature('x') });
  add({ v: floatFeature(1, 2, 3), s: bytesFeature('y') });
  add({ a: int64Feature(3, 4), s: floatFeature(0.5) });
  const spec = buildSpec(g.finish([{ file: 'a.tfrecord', compression: 'zlib' }, { file: 'b.tfrecord', compression: 'none' }]));
  assert.deepEqual(feature(spec, 'a'), { key: 'a', kind: 'fixed', dtype: 'int64', shape: [2], defaultValue: [0, 0], records: 2 });
  assert.equal(feature(spec, 'v').kind, 'var');
  assert.deepEqual(spec.skipped, [{ key: 's', reason: 'records disagree on its type (bytes, float or int64)' }]);
  assert.deepEqual(spec.datasets.map((d) => d.compressionType), ['ZLIB', null]);
  const python = renderSpecPython(spec);
  assert.match(python, /"a": tf\.io\.FixedLenFeature\(\[2\], tf\.int64, default_value=\[0\] \* 2\)/);
  assert.match(python, /TFRecordDataset\(files_zlib, compression_type="ZLIB"\)\.concatenate\(tf\.data\.TFRecordDataset\(files_none, compression_type=None\)\)/);
  assert.throws(() => checkRawShape([28, 0]), /Expected array of 1 to 4 positive integers for rawShape/);
});

test('decode_image channels follow what TensorFlow accepts per format: JPEG never 4, GIF only 3, BMP never 1', () => {
  const imageKey = (formats: string[], minChannels: number, maxChannels: number): SpecKeyStats => ({
    key: 'image/encoded', nonUtf8: false, kind: 'bytes', records: 2, minCount: 1, maxCount: 1,
    image: { formats, minChannels, maxChannels, sixteenBit: false }, bytes: { minLength: 100, maxLength: 200, base64: false }, values: null,
  });
  const decode = (formats: string[], min: number, max: number): { channels: number; notes: readonly string[] } => {
    const spec = buildSpec({ files: [], records: 2, sequenceExamples: 0, keys: [imageKey(formats, min, max)] });
    return { channels: spec.images[0]?.channels ?? -1, notes: spec.notes };
  };
  assert.deepEqual(decode(['png'], 4, 4), { channels: 4, notes: [] });
  assert.deepEqual(decode(['png'], 2, 2), { channels: 4, notes: [] }, 'grey+alpha widens to RGBA');
  assert.deepEqual(decode(['jpeg', 'png'], 1, 1), { channels: 1, notes: [] });
  assert.deepEqual(decode(['bmp', 'jpeg'], 3, 3), { channels: 3, notes: [] });
  assert.equal(decode(['bmp', 'png'], 3, 4).channels, 4, 'BMP takes 4');
  const jpeg = decode(['jpeg', 'png'], 3, 4);
  assert.equal(jpeg.channels, 3);
  assert.match(jpeg.notes.join('\n'), /cannot give JPEG 4 channels: decoded as RGB, alpha dropped/);
  const gif = decode(['gif', 'png'], 1, 1);
  assert.equal(gif.channels, 3);
  assert.match(gif.notes.join('\n'), /only grey images, but decode_image cannot give GIF 1 channel/);
  assert.equal(decode(['bmp'], 1, 1).channels, 3, 'BMP refuses 1 channel');
  assert.match(decode(['png', 'webp'], 3, 3).notes.join('\n'), /holds webp images: tf\.io\.decode_image reads BMP, GIF, JPEG and PNG/);
});

test('keys Python cannot name are left out with a comment, and the text stays valid Python', async () => {
  const g = new SpecGatherer();
  g.add({ featureMap: new Map([['a\\xff"\n', int64Feature(1)], ['ok"\u2028', int64Feature(2)]]), emptyKeys: [] });
  const spec = buildSpec(g.finish([{ file: 'x"\n.tfrecord', compression: 'none' }]));
  const python = renderSpecPython(spec);
  const syntax = await pythonSyntaxError(python);
  if (syntax !== 'no-python') assert.equal(syntax, null, python);
  assert.equal(spec.features.length, 2);
});

test('LMDB: the spec lists the database, says tf.data cannot read it, and still describes the datum features', async (t) => {
  const missing = lmdbSkipReason();
  if (missing !== false) {
    t.skip(missing);
    return;
  }
  const out = await mkdtemp(join(tmpdir(), 'spec-lmdb-'));
  await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', resize: { width: 8, height: 8 }, fit: 'fill', channels: 3, jobs: 1 });
  const dirs = (await readdir(out, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(out, d.name));
  const { spec, python } = await specOf(dirs);
  assert.deepEqual(spec.lmdb, dirs);
  assert.deepEqual(spec.datasets, []);
  assert.deepEqual(spec.raws[0], { key: 'image/raw', source: 'bytes', base64: false, dtype: 'uint8', shape: { kind: 'key', key: 'image/shape' }, layout: 'chw', channelOrder: 'bgr' });
  assert.match(python, /no TFRecord files were read/);
  assert.doesNotMatch(python, /TFRecordDataset/);
});

test('many files are globbed by their common prefix and suffix instead of listed', () => {
  const g = new SpecGatherer();
  g.add({ featureMap: new Map([['x', int64Feature(1)]]), emptyKeys: [] });
  const files = Array.from({ length: 10 }, (_, i) => ({ file: `out/train-${String(i).padStart(5, '0')}-of-00010.tfrecord.gz`, compression: 'gzip' as const }));
  const python = renderSpecPython(buildSpec(g.finish(files)));
  assert.match(python, /^files = sorted\(tf\.io\.gfile\.glob\("out\/train-0000\*-of-00010\.tfrecord\.gz"\)\)  # 10 files$/m);
});
