import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClassesTxt, parseDataYamlNames, parseYoloLabels } from '../../src/annotations/formats/yolo.js';
import { toPixelBoxes } from '../../src/annotations/model.js';

test('reads normalised boxes; unknown class indexes and bad lines are problems with their line', () => {
  const { annotation, problems } = parseYoloLabels('0 0.5 0.5 0.2 0.4\n\n1 0.25 0.25 0.5 0.5 0.9\n2 0.1 0.1 0.1 0.1\n0 0.1 0.1\n', 'l/a.txt', 'a', ['cat', 'dog']);
  assert.equal(annotation.units, 'normalized');
  assert.deepEqual(annotation.objects.map((o) => [o.className, o.source.line]), [['cat', 1], ['dog', 3]]);
  const first = annotation.objects[0]?.bbox;
  assert.ok(first);
  for (const [k, v] of Object.entries({ xmin: 0.4, ymin: 0.3, xmax: 0.6, ymax: 0.7 })) assert.ok(Math.abs(first[k as keyof typeof first] - v) < 1e-12);
  assert.deepEqual(problems.map((p) => [p.kind, p.source.line]), [['unknown-class', 4], ['syntax', 5]]);
  assert.deepEqual(toPixelBoxes(annotation, { width: 100, height: 10 }).objects[1]?.bbox, { xmin: 0, ymin: 0, xmax: 50, ymax: 5 });
});

test('data.yaml names: flow list, block list, block mapping and flow mapping', () => {
  assert.deepEqual(parseDataYamlNames("path: x\nnames: ['a b', \"c\"]\nnc: 2\n", 'd.yaml').names, ['a b', 'c']);
  assert.deepEqual(parseDataYamlNames('names:\n  - cat\n  - dog # pet\ntrain: x\n', 'd.yaml').names, ['cat', 'dog']);
  assert.deepEqual(parseDataYamlNames('names:\n  1: dog\n  0: cat\n', 'd.yaml').names, ['cat', 'dog']);
  assert.deepEqual(parseDataYamlNames('names: {0: cat, 1: "d, g"}\n', 'd.yaml').names, ['cat', 'd, g']);
  assert.equal(parseDataYamlNames('names:\n  0: a\n  2: c\n', 'd.yaml').problems[0]?.kind, 'invalid-value');
  assert.equal(parseDataYamlNames('nc: 1\n', 'd.yaml').problems[0]?.kind, 'missing-field');
  assert.deepEqual(parseClassesTxt('cat\r\ndog\n\n'), ['cat', 'dog']);
});
