import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDetectionCsv, splitCsv } from '../../src/annotations/formats/csv.js';

test('splits quoted fields with commas, quotes and newlines, and reports unterminated quotes', () => {
  const { rows, error } = splitCsv('a,"b,""c""\nd",e\r\n1,2,3\n');
  assert.equal(error, null);
  assert.deepEqual(rows.map((r) => [r.fields, r.line]), [[['a', 'b,"c"\nd', 'e'], 1], [['1', '2', '3'], 3]]);
  assert.equal(splitCsv('a\n"b\n').error?.line, 2);
});

test('groups rows by filename in first-seen order, one object per row, with the first row as source', () => {
  const text = 'filename,width,height,class,xmin,ymin,xmax,ymax\n"a, 1.jpg",10,20,cat,1,2,3,4\nb.jpg,5,5,dog,0,0,1,1\na, 1.jpg,10,20,dog,5,6,7,8\n';
  const fixed = text.replace('a, 1.jpg,10', '"a, 1.jpg",10');
  const parsed = parseDetectionCsv(fixed, 'x.csv');
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.annotations.map((a) => [a.imageRef.fileName, a.source.line, a.objects.map((o) => o.className), a.declaredSize]), [
    ['a, 1.jpg', 2, ['cat', 'dog'], { width: 10, height: 20 }],
    ['b.jpg', 3, ['dog'], { width: 5, height: 5 }],
  ]);
  assert.deepEqual(parsed.annotations[0]?.objects[1]?.bbox, { xmin: 5, ymin: 6, xmax: 7, ymax: 8 });
});

test('bad numbers and a missing header column are problems naming the line', () => {
  const parsed = parseDetectionCsv('filename,class,xmin,ymin,xmax,ymax\na.jpg,cat,1,2,x,4\n', 'x.csv');
  assert.deepEqual(parsed.problems.map((p) => [p.kind, p.source.line]), [['invalid-value', 2]]);
  assert.equal(parsed.annotations.length, 0);
  assert.equal(parseDetectionCsv('filename,xmin\n', 'y.csv').problems[0]?.kind, 'missing-field');
});
