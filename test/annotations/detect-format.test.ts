import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { classifyFileHead, classifyFolder, detectAnnotationFormat } from '../../src/annotations/formats/detect-format.js';
import { InputError } from '../../src/errors.js';

test('classifies folders by extension and files by their head', () => {
  assert.equal(classifyFolder(new Map([['.xml', 3], ['.txt', 1]])), 'voc');
  assert.equal(classifyFolder(new Map([['.txt', 3]])), 'yolo');
  assert.equal(classifyFolder(new Map([['.jpg', 3]])), null);
  assert.equal(classifyFileHead('\uFEFF{"images": [], "annotations": [], "categories": []}', true), 'coco');
  assert.equal(classifyFileHead('{"images": []}', true), null);
  assert.equal(classifyFileHead('filename,width,height,class,xmin,ymin,xmax,ymax\r\na,1', true), 'csv');
  assert.equal(classifyFileHead('path,label\n', true), null);
});

test('detects the raccoon fixtures, and names the path when it cannot tell', async () => {
  assert.equal(await detectAnnotationFormat('fixtures/annotations/raccoon/voc'), 'voc');
  assert.equal(await detectAnnotationFormat('fixtures/annotations/raccoon/yolo'), 'yolo');
  assert.equal(await detectAnnotationFormat('fixtures/annotations/raccoon/coco.json'), 'coco');
  assert.equal(await detectAnnotationFormat('fixtures/annotations/raccoon/raccoon_test.csv'), 'csv');
  const dir = await mkdtemp(join(tmpdir(), 'detect-'));
  try {
    await mkdir(join(dir, 'imgs'));
    await writeFile(join(dir, 'imgs', 'a.jpg'), 'x');
    await writeFile(join(dir, 'list.csv'), 'path,label\n');
    await assert.rejects(detectAnnotationFormat(join(dir, 'imgs')), (e: unknown) => e instanceof InputError && e.message.includes(join(dir, 'imgs')) && /1 \.jpg/.test(e.message));
    await assert.rejects(detectAnnotationFormat(join(dir, 'list.csv')), (e: unknown) => e instanceof InputError && e.message.startsWith(join(dir, 'list.csv')));
    await assert.rejects(detectAnnotationFormat(join(dir, 'nope')), /annotations not found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
