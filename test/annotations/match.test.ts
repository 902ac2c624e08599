import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchAnnotations } from '../../src/annotations/match.js';
import type { AnnotationFormat, ImageAnnotation, ImageRef } from '../../src/annotations/model.js';

function ann(format: AnnotationFormat, imageRef: ImageRef, line: number): ImageAnnotation {
  return { format, imageRef, source: { path: `a.${format}`, line }, units: format === 'yolo' ? 'normalized' : 'pixels', objects: [] };
}

const INPUTS = ['cats/a.jpg', 'cats/b.png', 'dogs/b.jpg', 'c.jpg'];

test('VOC by <filename>, falling back to the XML stem when the filename is stale', () => {
  const { matched, problems, unannotated } = matchAnnotations(INPUTS, [
    ann('voc', { fileName: 'a.jpg', stem: 'x' }, 1),
    ann('voc', { fileName: 'old-name.jpg', stem: 'c' }, 2),
    ann('voc', { fileName: 'cats/b.png', stem: 'b' }, 3),
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(matched.map((m) => m?.source.line ?? null), [1, 3, null, 2]);
  assert.equal(unannotated, 1);
});

test('COCO and CSV by relative file name; a bare name fitting two inputs is ambiguous; missing images are problems', () => {
  const { matched, problems } = matchAnnotations(INPUTS, [
    ann('coco', { fileName: 'dogs/b.jpg' }, 1),
    ann('csv', { fileName: './c.jpg' }, 2),
    ann('csv', { fileName: 'zebra.jpg' }, 3),
    ann('csv', { fileName: 'c.jpg' }, 4),
  ]);
  assert.deepEqual(matched.map((m) => m?.source.line ?? null), [null, null, 1, 2]);
  assert.deepEqual(problems.map((p) => [p.kind, p.source.line]), [['missing-image', 3], ['duplicate', 4]]);
  assert.match(problems[0]?.message ?? '', /^a\.csv:3: names "zebra\.jpg", which is not among the inputs/);
  const yolo = matchAnnotations(INPUTS, [ann('yolo', { stem: 'b' }, 1), ann('yolo', { stem: 'cats/b' }, 2)]);
  assert.deepEqual(yolo.problems.map((p) => p.kind), ['ambiguous-image']);
  assert.equal(yolo.matched[1]?.source.line, 2);
});
