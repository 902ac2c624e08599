import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../../src/errors.js';
import { resolveConvertOptions, type ConvertOptions } from '../../src/convert/options/options.js';
import { describeOptionError } from '../../src/cli/flag-names.js';

const base = { input: 'photos', output: 'out' } as const;

/** The message the CLI would print for these options. */
function cliMessage(options: ConvertOptions): string {
  try {
    resolveConvertOptions(options);
  } catch (error) {
    assert.ok(error instanceof InvalidOptionError, String(error));
    return describeOptionError(error);
  }
  assert.fail('expected an option error');
}

test('the new annotation and TFDS options resolve to complete defaults', () => {
  const settings = resolveConvertOptions(base);
  assert.equal(settings.annotations, null);
  assert.equal(settings.annotationsFormat, 'auto');
  assert.equal(settings.annotatedOnly, false);
  assert.equal(settings.minBoxVisible, 0);
  assert.equal(settings.annotationFrame, 'auto');
  assert.equal(settings.tfdsName, null);
  assert.equal(settings.schema.name, 'inception');
  assert.ok(Object.isFrozen(settings));
});

test('given annotation options are resolved as given', () => {
  const settings = resolveConvertOptions({ ...base, annotations: 'ann', annotationsFormat: 'coco', annotatedOnly: true, minBoxVisible: 0.5, annotationFrame: 'displayed' });
  assert.deepEqual([settings.annotations, settings.annotationsFormat, settings.annotatedOnly, settings.minBoxVisible, settings.annotationFrame], ['ann', 'coco', true, 0.5, 'displayed']);
});

test('options not wired into convert yet stay out of the recorded settings (dataset.json and the plan fingerprint spread them)', () => {
  const settings = resolveConvertOptions({ ...base, annotations: 'ann', tfdsName: 'my_photos' });
  const recorded = JSON.parse(JSON.stringify({ ...settings })) as Record<string, unknown>;
  for (const key of ['annotations', 'annotationsFormat', 'annotatedOnly', 'minBoxVisible', 'annotationFrame', 'tfdsName']) assert.ok(!(key in recorded), key);
  assert.deepEqual(Object.keys(settings), [
    'input', 'manifest', 'manifestFormat', 'columnTypes', 'imageColumns', 'inputList', 'schema', 'labelMap', 'target', 'commitEvery', 'commitBytes',
    'datumDims', 'labelTo', 'mean', 'worker', 'resume', 'output', 'toStdout', 'prefix', 'sharding', 'compression', 'include', 'exclude',
    'followSymlinks', 'labelOffset', 'labels', 'overwrite', 'strict', 'jobs', 'fileTimeout', 'splits', 'resplit', 'seed', 'shuffle', 'index', 'image',
  ], 'the recorded settings keep their keys and order');
});

test('annotation options are checked with messages naming the flag', () => {
  assert.equal(cliMessage({ ...base, annotations: 'a', minBoxVisible: 1.5 }), '--min-box-visible: 1.5 is not a number between 0 and 1');
  assert.equal(cliMessage({ ...base, annotations: 'a', annotationsFormat: 'kitti' as never }), '--annotations-format: "kitti" is not one of auto, voc, coco, yolo, csv');
  assert.equal(cliMessage({ ...base, annotations: 'a', annotationFrame: 'rotated' as never }), '--annotation-frame: "rotated" is not one of auto, stored, displayed');
  assert.equal(cliMessage({ ...base, annotatedOnly: true }), '--annotated-only needs --annotations');
  assert.equal(cliMessage({ ...base, annotations: '' }), '--annotations: "" is not a path of an annotation file or folder');
});

test('--tfds-name implies the tfds schema and is refused where TFDS cannot load the output', () => {
  assert.equal(resolveConvertOptions({ ...base, tfdsName: 'my_photos' }).schema.name, 'tfds');
  assert.equal(resolveConvertOptions({ ...base, tfdsName: 'my_photos', schema: 'tfds' }).tfdsName, 'my_photos');
  assert.match(cliMessage({ ...base, tfdsName: 'MyPhotos' }), /^--tfds-name: "MyPhotos" is not a snake_case TFDS dataset name \(use "my_photos"\)$/);
  assert.match(cliMessage({ ...base, tfdsName: '1x' }), /^--tfds-name: "1x" is not/);
  assert.match(cliMessage({ ...base, tfdsName: 'd', schema: 'mnist' }), /--tfds-name.*--schema|--schema.*--tfds-name/);
  assert.match(cliMessage({ ...base, tfdsName: 'd', compression: 'gzip' }), /--tfds-name .*--compression gzip/);
  assert.match(cliMessage({ ...base, tfdsName: 'd', labelOffset: 1 }), /--tfds-name .*--label-offset 1/);
  assert.match(cliMessage({ ...base, tfdsName: 'd', target: 'caffe-lmdb' }), /--tfds-name .*--target caffe-lmdb/);
  assert.doesNotThrow(() => resolveConvertOptions({ ...base, tfdsName: 'd', labelOffset: 0, compression: 'none' }));
});

test('existing checks keep their messages after the split into resolvers', () => {
  assert.equal(cliMessage({ ...base, shardSize: '10XB' }), '--shard-size: "10XB" is not a size; use e.g. 256MB');
  assert.equal(cliMessage({ ...base, shards: 2, recordsPerShard: 3 }), 'Expected at most one of --shards, --shard-size and --records-per-shard');
  assert.equal(cliMessage({ ...base, mean: 'm' }), '--mean, --datum-dims, --label-to, --commit-every and --commit-bytes apply to --target caffe-lmdb only');
  assert.equal(cliMessage({ ...base, schema: 'mnist', encode: 'png' }), 'Expected --encode raw for --schema mnist (its image_raw key holds pixels) but received png');
  assert.equal(cliMessage({ ...base, resplit: true }), '--resplit re-splits a pre-split tree by --split fractions: it needs --split');
  assert.equal(cliMessage({ input: 'a', manifest: 'b', output: 'o' }), 'Expected exactly one of input (a folder), manifest and inputList');
  const caffe = resolveConvertOptions({ ...base, target: 'caffe-lmdb' });
  assert.deepEqual([caffe.image.encode, caffe.image.layout, caffe.image.channelOrder, caffe.image.channels], ['raw', 'chw', 'bgr', 3]);
});

test('image/key/sha256 is written with --sha256 and in annotation runs, left out otherwise; a non-boolean is refused', () => {
  const keeps = (options: Partial<ConvertOptions>): boolean => !resolveConvertOptions({ input: 'in', output: 'out', ...options } as ConvertOptions).schema.drops.has('image/key/sha256');
  assert.equal(keeps({}), false);
  assert.equal(keeps({ sha256: true }), true);
  assert.equal(keeps({ annotations: 'boxes.json' }), true);
  assert.equal(keeps({ sha256: true, dropKeys: ['image/key/sha256'] }), false);
  assert.throws(() => resolveConvertOptions({ input: 'in', output: 'out', sha256: 'yes' as unknown as boolean }), /Expected boolean for sha256 but received "yes"/);
});
