import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDetectionFeatures, buildDetectionLabelMap, formatDetectionLabelMap } from '../../src/annotations/features.js';
import type { AnnotatedObject } from '../../src/annotations/model.js';
import { InputError } from '../../src/errors.js';
import type { Feature } from '../../src/example/index.js';

function text(f: Feature | undefined): string {
  assert.equal(f?.kind, 'bytes');
  return Buffer.from((f as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array).toString();
}

const cat: AnnotatedObject = { className: 'cat', bbox: { xmin: 1, ymin: 2, xmax: 3, ymax: 4 }, source: { path: 'a', line: 1 }, difficult: true, pose: 'Left' };

test('label maps start at 1: sorted names, declared COCO ids, or a --labels file', () => {
  assert.deepEqual(buildDetectionLabelMap(['dog', 'cat', 'dog'], null, null).ids, [1, 2]);
  assert.deepEqual(buildDetectionLabelMap(['dog'], [{ id: 18, name: 'dog' }, { id: 17, name: 'cat' }], null), { names: ['cat', 'dog'], ids: [17, 18], offset: 17 });
  assert.deepEqual(buildDetectionLabelMap(['b'], null, { names: ['b', 'a'], ids: null }).ids, [1, 2]);
  assert.deepEqual(buildDetectionLabelMap(['b'], null, { names: ['b', 'a'], ids: [5, 9] }).ids, [5, 9]);
  assert.throws(() => buildDetectionLabelMap([], null, { names: ['bg', 'a'], ids: [0, 1] }, 'l.pbtxt'), (e: unknown) => e instanceof InputError && /id 0; object detection ids start at 1/.test(e.message));
  assert.equal(formatDetectionLabelMap({ names: ["it's"], ids: [1], offset: 1 }), "item {\n  id: 1\n  name: 'it\\'s'\n}\n");
});

test('VOC features carry difficult/truncated/view; classes outside the map are problems, not boxes', () => {
  const labels = buildDetectionLabelMap(['cat'], null, null);
  const dog = { ...cat, className: 'dog', source: { path: 'a', line: 2 } };
  const { features, problems } = buildDetectionFeatures({ filename: 'x.jpg', width: 10, height: 8, objects: [cat, dog], format: 'voc' }, labels);
  assert.deepEqual(problems.map((p) => [p.kind, p.source.line]), [['unknown-class', 2]]);
  assert.deepEqual(features['image/object/bbox/xmin'], { kind: 'float', values: [0.1] });
  assert.deepEqual(features['image/object/bbox/ymax'], { kind: 'float', values: [0.5] });
  assert.deepEqual(features['image/object/class/label'], { kind: 'int64', values: [1n] });
  assert.deepEqual(features['image/object/difficult'], { kind: 'int64', values: [1n] });
  assert.deepEqual(features['image/object/truncated'], { kind: 'int64', values: [0n] });
  assert.equal(text(features['image/object/view']), 'Left');
  assert.equal(text(features['image/source_id']), 'x.jpg');
  assert.equal(features['image/object/area'], undefined);
});

test('an image without boxes gets empty lists (a negative example)', () => {
  const { features } = buildDetectionFeatures({ filename: 'n.jpg', sourceId: 4, width: 5, height: 5, objects: [], format: 'coco' }, buildDetectionLabelMap([], [{ id: 1, name: 'cat' }], null));
  for (const key of ['image/object/bbox/xmin', 'image/object/class/text', 'image/object/area', 'image/object/is_crowd']) assert.deepEqual(features[key]?.values, [], key);
  assert.equal(text(features['image/source_id']), '4');
});
