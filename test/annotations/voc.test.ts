import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVocXml } from '../../src/annotations/formats/voc.js';

const XML = `<annotation><folder>x</folder><filename>cat.jpg</filename><size><width>640</width><height>480</height><depth>3</depth></size>
<object><name>cat</name><pose>Left</pose><truncated>1</truncated><difficult>0</difficult><bndbox><xmin>10</xmin><ymin>20.5</ymin><xmax>100</xmax><ymax>200</ymax></bndbox></object>
<object><name>dog</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>5</xmax><ymax>6</ymax></bndbox></object>
<object><bndbox/></object>
</annotation>`;

test('reads filename, size, boxes and VOC flags; bad objects become problems with their line', () => {
  const { annotation, problems } = parseVocXml(XML, 'ann/cat.xml', 'cat');
  assert.ok(annotation);
  assert.deepEqual(annotation.imageRef, { fileName: 'cat.jpg', stem: 'cat' });
  assert.deepEqual(annotation.declaredSize, { width: 640, height: 480 });
  assert.equal(annotation.objects.length, 1);
  assert.deepEqual(annotation.objects[0], { className: 'cat', bbox: { xmin: 10, ymin: 20.5, xmax: 100, ymax: 200 }, source: { path: 'ann/cat.xml', line: 2 }, difficult: false, truncated: true, pose: 'Left' });
  assert.deepEqual(problems.map((p) => [p.kind, p.source.line]), [['invalid-value', 3], ['missing-field', 4]]);
  assert.match(problems[0]?.message ?? '', /^ann\/cat\.xml:3: object "dog": <ymin>/);
});

test('labelImg 0x0 size is undeclared; a non-XML file is a syntax problem, not a throw', () => {
  const zero = parseVocXml('<annotation><size><width>0</width><height>0</height></size></annotation>', 'a.xml');
  assert.equal(zero.annotation?.declaredSize, undefined);
  assert.deepEqual(zero.annotation?.imageRef, { stem: 'a' });
  const broken = parseVocXml('<annotation><filename>a</annotation>', 'b.xml');
  assert.equal(broken.annotation, null);
  assert.equal(broken.problems[0]?.kind, 'syntax');
  assert.equal(parseVocXml('<svg/>', 'c.xml').problems[0]?.kind, 'syntax');
});
