import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnnotatedObject, Box, ImageAnnotation } from '../../src/annotations/model.js';
import { checkDeclaredSize, checkObjects, frameSize, resolveAnnotationFrame } from '../../src/annotations/validate.js';

const o = (bbox: Box, className = 'cat', line = 1): AnnotatedObject => ({ className, bbox, source: { path: 'a.csv', line } });

test('invalid boxes and unknown classes are problems; edges within a pixel are clipped', () => {
  const { objects, problems } = checkObjects([
    o({ xmin: -1, ymin: 0, xmax: 101, ymax: 50 }, 'cat', 1),
    o({ xmin: 5, ymin: 0, xmax: 5, ymax: 10 }, 'cat', 2),
    o({ xmin: Number.NaN, ymin: 0, xmax: 5, ymax: 10 }, 'cat', 3),
    o({ xmin: 0, ymin: 0, xmax: 102, ymax: 10 }, 'cat', 4),
    o({ xmin: 0, ymin: 0, xmax: 10, ymax: 10 }, 'zebra', 5),
    o({ xmin: 100, ymin: 0, xmax: 101, ymax: 10 }, 'cat', 6),
  ], { width: 100, height: 50 }, (c) => c === 'cat');
  assert.deepEqual(objects.map((x) => x.bbox), [{ xmin: 0, ymin: 0, xmax: 100, ymax: 50 }]);
  assert.deepEqual(problems.map((p) => [p.kind, p.source.line]), [['invalid-box', 2], ['invalid-box', 3], ['invalid-box', 4], ['unknown-class', 5], ['invalid-box', 6]]);
  assert.match(problems[2]?.message ?? '', /^a\.csv:4: .*outside the 100x50 image by more than 1 pixel/);
});

test('the declared size picks the frame for rotating orientations; else the format default', () => {
  const base: ImageAnnotation = { format: 'voc', source: { path: 'a.xml' }, imageRef: {}, units: 'pixels', objects: [] };
  const stored = { width: 4032, height: 3024 };
  assert.equal(resolveAnnotationFrame({ ...base, declaredSize: { width: 3024, height: 4032 } }, stored, 6), 'displayed');
  assert.equal(resolveAnnotationFrame({ ...base, format: 'coco', declaredSize: stored }, stored, 6), 'stored');
  assert.equal(resolveAnnotationFrame(base, stored, 3), 'stored');
  assert.equal(resolveAnnotationFrame({ ...base, format: 'coco' }, stored, 3), 'displayed');
  assert.equal(resolveAnnotationFrame(base, stored, 3, 'displayed'), 'displayed');
  assert.deepEqual(frameSize(stored, 8, 'displayed'), { width: 3024, height: 4032 });
  assert.deepEqual(frameSize(stored, 8, 'stored'), stored);
  assert.equal(checkDeclaredSize({ ...base, declaredSize: stored }, stored), null);
  assert.match(checkDeclaredSize({ ...base, declaredSize: { width: 10, height: 10 } }, stored)?.message ?? '', /declares 10x10 but the image is 4032x3024/);
});
