import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCocoJson } from '../../src/annotations/formats/coco.js';

const DOC = {
  images: [{ id: 7, file_name: 'train/a.jpg', width: 100, height: 50 }, { id: 9, file_name: 'b.jpg' }],
  annotations: [
    { id: 1, image_id: 7, category_id: 3, bbox: [10, 5, 20, 10], area: 150.5, iscrowd: 1 },
    { id: 2, image_id: 8, category_id: 3, bbox: [0, 0, 1, 1] },
    { id: 3, image_id: 7, category_id: 4, bbox: [0, 0, 1, 1] },
    { id: 4, image_id: 7, category_id: 3, bbox: [0, 0, 1] },
  ],
  categories: [{ id: 3, name: 'dog' }, { id: 1, name: 'cat' }],
};

test('maps category ids to names, [x,y,w,h] to corners, keeps area, iscrowd and image ids', () => {
  const parsed = parseCocoJson(JSON.stringify(DOC), 'i.json');
  assert.deepEqual(parsed.classes, [{ id: 1, name: 'cat' }, { id: 3, name: 'dog' }]);
  const [a, b] = parsed.annotations;
  assert.deepEqual(a?.imageRef, { fileName: 'train/a.jpg' });
  assert.equal(a?.sourceId, 7);
  assert.deepEqual(a?.declaredSize, { width: 100, height: 50 });
  assert.deepEqual(a?.objects, [{ className: 'dog', bbox: { xmin: 10, ymin: 5, xmax: 30, ymax: 15 }, source: { path: 'i.json#annotations', index: 0 }, area: 150.5, isCrowd: true }]);
  assert.deepEqual(b?.objects, []);
  assert.equal(b?.declaredSize, undefined);
  assert.deepEqual(parsed.problems.map((p) => [p.kind, p.source.index]), [['missing-image', 1], ['unknown-class', 2], ['invalid-box', 3]]);
  assert.match(parsed.problems[0]?.message ?? '', /^i\.json#annotations\[1\]: image_id 8/);
});

test('not JSON, or JSON without the three arrays, is a problem', () => {
  assert.equal(parseCocoJson('{', 'x.json').problems[0]?.kind, 'syntax');
  assert.equal(parseCocoJson('{"images": []}', 'x.json').problems[0]?.kind, 'missing-field');
});
