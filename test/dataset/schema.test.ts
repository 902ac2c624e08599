import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySchema, describeSchemaKeys, matchSchema, resolveSchema, writesCanonicalKey } from '../../src/dataset/schema.js';
import { bytesFeature, int64Feature } from '../../src/example/index.js';
import { InvalidOptionError } from '../../src/errors.js';

const canonical = {
  'image/encoded': bytesFeature('JPEG'),
  'image/raw': bytesFeature('RAW'),
  'image/format': bytesFeature('jpeg'),
  'image/height': int64Feature(2),
  'image/width': int64Feature(3),
  'image/channels': int64Feature(1),
  'image/filename': bytesFeature('a/b.png'),
  'image/class/label': int64Feature(4),
  'image/class/text': bytesFeature('a'),
};

test('inception keeps the canonical keys', () => {
  assert.deepEqual(Object.keys(applySchema(resolveSchema('inception'), canonical)).sort(), Object.keys(canonical).sort());
});

test('mnist writes height, width, depth, label, image_raw only', () => {
  const out = applySchema(resolveSchema('mnist'), canonical);
  assert.deepEqual(Object.keys(out).sort(), ['depth', 'height', 'image_raw', 'label', 'width']);
  assert.deepEqual(out.depth, int64Feature(1));
});

test('tfds writes image, label, image/filename', () => {
  const out = applySchema(resolveSchema('tfds'), canonical);
  assert.deepEqual(Object.keys(out).sort(), ['image', 'image/filename', 'label']);
});

test('--key renames and --drop-key drops, also for extra columns; clashes are errors', () => {
  const schema = resolveSchema('tfds', ['label=class_id', 'weight=w'], ['image/filename']);
  const out = applySchema(schema, canonical, { weight: int64Feature(9) });
  assert.deepEqual(Object.keys(out).sort(), ['class_id', 'image', 'w']);
  assert.throws(() => applySchema(resolveSchema('tfds', ['label=image']), canonical), InvalidOptionError);
  assert.throws(() => resolveSchema('caffe'), /Expected one of inception, mnist, tfds for schema but received "caffe"/);
  assert.throws(() => resolveSchema('tfds', ['=x']), InvalidOptionError);
});

test('describeSchemaKeys lists written keys with types', () => {
  assert.deepEqual(describeSchemaKeys(resolveSchema('mnist'), Object.keys(canonical)), [
    { key: 'depth', type: 'int64' }, { key: 'height', type: 'int64' }, { key: 'image_raw', type: 'bytes' },
    { key: 'label', type: 'int64' }, { key: 'width', type: 'int64' }]);
});

test('matchSchema recognises the golden layouts', () => {
  assert.equal(matchSchema(['image', 'label', 'id']), 'tfds');
  assert.equal(matchSchema(['image/encoded', 'image/height', 'image/width', 'image/class/label']), 'inception');
  assert.equal(matchSchema(['image/encoded', 'image/height', 'image/width', 'image/object/bbox/xmin']), 'object-detection');
  assert.equal(matchSchema(['height', 'width', 'depth', 'label', 'image_raw']), 'mnist');
  assert.equal(matchSchema(['image_floats', 'image_class']), null);
});

test('writesCanonicalKey follows the schema and --drop-key (a key no record carries is not computed)', () => {
  assert.equal(writesCanonicalKey(resolveSchema('inception'), 'image/key/sha256'), true);
  assert.equal(writesCanonicalKey(resolveSchema('inception', [], ['image/key/sha256']), 'image/key/sha256'), false);
  // Renamed, then dropped under its new name.
  assert.equal(writesCanonicalKey(resolveSchema('inception', ['image/key/sha256=key'], ['key']), 'image/key/sha256'), false);
  assert.equal(writesCanonicalKey(resolveSchema('inception', ['image/key/sha256=key']), 'image/key/sha256'), true);
  assert.equal(writesCanonicalKey(resolveSchema('mnist'), 'image/key/sha256'), false);
  assert.equal(writesCanonicalKey(resolveSchema('tfds'), 'image/key/sha256'), false);
  assert.equal(writesCanonicalKey(resolveSchema('tfds'), 'image/encoded'), true);
});
