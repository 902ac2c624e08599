import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from '../../src/convert/convert.js';
import { lmdbSkipReason } from '../caffe/lmdb-helpers.js';
import { SCHEMA_NAMES } from '../../src/dataset/schema.js';
import { runCliInProcess as runInProcess } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = join(ROOT, 'fixtures/golden');
const SAMPLE = join(ROOT, 'fixtures/sample');
const PYTHON = '/usr/bin/python3';
const SPEC_KEYS = ['records', 'datasets', 'lmdb', 'sequenceExample', 'features', 'images', 'raws', 'skipped', 'notes'];
/** Record counts from fixtures/golden/README.md. */
const GOLDEN_RECORDS: Readonly<Record<string, number>> = {
  'raccoon_test.record': 40, 'tfds_cifar10_train_128.tfrecord': 128, 'build_image_data_validation-00000-of-00001': 165,
  'spectrogram_validation-00000-of-00001': 16, 'tfx_mnist_1000.tfrecord': 1000, 'tf_singles.tfrecords': 3, 'hadoop_part-m-00000': 5,
  'hadoop_zipped_part-m-00000.gz': 5, 'beam_penguin_eval.tfrecord.gz': 100, 'beam_tfrecorder_validation.tfrecord.gz': 2,
  'beam_sequence_examples.tfrecord.gz': 15000,
};

/** Python's own parser on the printed text, as a user pasting it would run it; skipped without python3. */
function assertPythonParses(source: string, what: string): void {
  if (!existsSync(PYTHON)) return;
  const r = spawnSync(PYTHON, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: source, encoding: 'utf8' });
  assert.equal(r.status, 0, `${what}: not valid Python: ${r.stderr}\n${source}`);
}

/** Runs `inspect <args> --spec python` and `--spec json`; checks both and returns the JSON spec. */
async function specOf(args: string[], what: string): Promise<{ json: Record<string, any>; python: string }> {
  const python = await runInProcess(['inspect', ...args, '--spec', 'python']);
  assert.equal(python.code, 0, `${what}: ${python.stderr}`);
  assert.match(python.stdout, /^import tensorflow as tf\n/);
  assert.match(python.stdout, /\nfeature_description = \{\n/);
  assertPythonParses(python.stdout, what);
  const json = await runInProcess(['inspect', ...args, '--spec', 'json']);
  assert.equal(json.code, 0, `${what}: ${json.stderr}`);
  const spec = JSON.parse(json.stdout) as Record<string, any>;
  assert.deepEqual(Object.keys(spec), SPEC_KEYS, what);
  // Both forms describe the same features: every key of the JSON is named in the Python.
  for (const f of spec.features) assert.ok(python.stdout.includes(JSON.stringify(f.key)), `${what}: ${f.key} missing from the Python`);
  return { json: spec, python: python.stdout };
}

test('inspect --spec on every golden file: Python that parses, JSON with the spec keys, the compression from the bytes', async () => {
  const names = (await readdir(GOLDEN)).filter((n) => n !== 'README.md' && n !== 'raccoon_test_images');
  assert.deepEqual(names.sort(), Object.keys(GOLDEN_RECORDS).sort());
  for (const name of names) {
    const { json, python } = await specOf([join(GOLDEN, name)], name);
    assert.equal(json.records, GOLDEN_RECORDS[name], name);
    assert.ok(json.features.length > 0, name);
    const gzip = name.endsWith('.gz');
    assert.deepEqual(json.datasets, [{ compressionType: gzip ? 'GZIP' : null, files: [join(GOLDEN, name)] }], name);
    assert.ok(python.includes(`tf.data.TFRecordDataset(files, compression_type=${gzip ? '"GZIP"' : 'None'})`), name);
  }
});

test('inspect --spec: raccoon boxes are VarLen float32, the JPEG is decoded with 3 channels', async () => {
  const { json, python } = await specOf([join(GOLDEN, 'raccoon_test.record')], 'raccoon');
  const xmin = json.features.find((f: { key: string }) => f.key === 'image/object/bbox/xmin');
  assert.deepEqual(xmin, { key: 'image/object/bbox/xmin', kind: 'var', dtype: 'float32', shape: [], records: 40 });
  assert.deepEqual(json.images, [{ key: 'image/encoded', channels: 3, dtype: 'uint8', formats: ['jpeg'] }]);
  assert.match(python, /"image\/object\/bbox\/xmin": tf\.io\.VarLenFeature\(tf\.float32\),/);
  assert.match(python, /tf\.io\.decode_image\(ex\["image\/encoded"\], channels=3, dtype=tf\.uint8/);
});

test('inspect --spec --raw-shape reshapes float images that carry no shape; bad or misplaced flags are usage errors', async () => {
  const mnist = join(GOLDEN, 'tfx_mnist_1000.tfrecord');
  const without = await specOf([mnist], 'mnist');
  assert.equal(without.json.raws[0].shape, null);
  assert.match(without.python, /# note: "image_floats" looks like a raw tensor with no shape features: pass --raw-shape H,W,C/);
  const shaped = await specOf([mnist, '--raw-shape', '28,28,1'], 'mnist shaped');
  assert.deepEqual(shaped.json.raws[0].shape, { kind: 'fixed', dims: [28, 28, 1] });
  assert.match(shaped.python, /ex\["image_floats"\] = tf\.reshape\(ex\["image_floats"\], \[28, 28, 1\]\)/);

  const both = await runInProcess(['inspect', mnist, '--spec', 'json', '--json']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /'--spec <format>' cannot be used with option '--json'/);
  const format = await runInProcess(['inspect', mnist, '--spec', 'yaml']);
  assert.equal(format.code, 2);
  assert.match(format.stderr, /Allowed choices are python, json/);
  const shape = await runInProcess(['inspect', mnist, '--spec', 'json', '--raw-shape', '28,0']);
  assert.equal(shape.code, 2);
  assert.match(shape.stderr, /--raw-shape but received "28,0"/);
  const alone = await runInProcess(['inspect', mnist, '--raw-shape', '28,28']);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--raw-shape applies only with --spec/);
  assert.equal(alone.stdout, '', 'no report printed on a usage error');
  const missing = await runInProcess(['inspect', join(GOLDEN, 'no-such-file'), '--spec', 'python']);
  assert.equal(missing.code, 2);
});

test('inspect --spec on our own outputs: every schema, plain, GZIP and ZLIB, from the output folder', async () => {
  const cases: { name: string; options: Record<string, unknown>; image: string | null; raw: string | null }[] = [
    ...SCHEMA_NAMES.flatMap((schema) => (['none', 'gzip', 'zlib'] as const).map((compression) => ({
      name: `${schema}-${compression}`,
      options: { schema, compression, ...(schema === 'mnist' ? { resize: { width: 28, height: 28 }, fit: 'fill', channels: 1 } : {}) },
      image: schema === 'inception' ? 'image/encoded' : schema === 'tfds' ? 'image' : null,
      raw: schema === 'mnist' ? 'image_raw' : null,
    }))),
    { name: 'raw-chw', options: { encode: 'raw', resize: { width: 8, height: 6 }, fit: 'fill', channels: 3, layout: 'chw' }, image: null, raw: 'image/raw' },
  ];
  for (const { name, options, image, raw } of cases) {
    const out = await mkdtemp(join(tmpdir(), `cli-spec-${name}-`));
    await convert({ input: SAMPLE, output: out, jobs: 1, ...options } as Parameters<typeof convert>[0]);
    const { json, python } = await specOf([out], name);
    assert.equal(json.records, 7, name);
    const compression = (options.compression as string | undefined) ?? 'none';
    assert.equal(json.datasets.length, 1, name);
    assert.equal(json.datasets[0].compressionType, compression === 'none' ? null : compression.toUpperCase(), name);
    assert.match(json.datasets[0].files[0], /train-00000-of-00001\.tfrecord/, `${name}: only the shard, not dataset.json or labels.txt`);
    assert.deepEqual(json.images.map((i: { key: string }) => i.key), image === null ? [] : [image], name);
    assert.deepEqual(json.raws.map((r: { key: string }) => r.key), raw === null ? [] : [raw], name);
    if (raw !== null) {
      assert.notEqual(json.raws[0].shape, null, `${name}: our raw tensors carry their shape`);
      assert.match(python, /tf\.io\.decode_raw\(/, name);
    }
  }
});

test('inspect --spec on a Caffe LMDB folder: listed as LMDB, no TFRecordDataset, the datum features described', async (t) => {
  const missing = lmdbSkipReason();
  if (missing !== false) {
    t.skip(missing);
    return;
  }
  const out = await mkdtemp(join(tmpdir(), 'cli-spec-lmdb-'));
  await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', resize: { width: 8, height: 8 }, fit: 'fill', jobs: 1 });
  const { json, python } = await specOf([out], 'lmdb');
  assert.equal(json.records, 7);
  assert.deepEqual(json.datasets, []);
  assert.equal(json.lmdb.length, 1);
  assert.ok(json.features.length > 0);
  assert.match(python, /# no TFRecord files were read/);
  assert.ok(json.notes.some((n: string) => /Caffe LMDB databases are not TFRecord files/.test(n)));
});

test("the README's inspect --spec example is what the command prints on npm start's output", async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const shown = /On `npm start`'s output, `img2tfrecord inspect out\/ --spec python` prints:\n\n```python\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(shown !== undefined, 'the README shows the example');
  const out = await mkdtemp(join(tmpdir(), 'cli-spec-readme-'));
  await convert({ input: SAMPLE, output: out, overwrite: true });
  const r = await runInProcess(['inspect', out, '--spec', 'python']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split(`${out}/`).join('out/'), shown);
});
