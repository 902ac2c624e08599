import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findYoloNames, readAnnotations } from '../../src/annotations/load.js';
import { InputError } from '../../src/errors.js';

test('YOLO names come from --labels, else classes.txt, else data.yaml next to the labels; nested label folders keep their relative stem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yolo-'));
  try {
    const labels = join(dir, 'labels');
    await mkdir(join(labels, 'train'), { recursive: true });
    await writeFile(join(labels, 'train', 'a.txt'), '1 0.5 0.5 0.5 0.5\n');
    await assert.rejects(readAnnotations(labels, 'yolo'), (e: unknown) => e instanceof InputError && /give --labels/.test(e.message));
    await writeFile(join(dir, 'data.yaml'), 'names:\n  0: cat\n  1: dog\n');
    const fromYaml = await readAnnotations(labels, 'auto');
    assert.equal(fromYaml.format, 'yolo');
    assert.deepEqual(fromYaml.classes, [{ id: 1, name: 'cat' }, { id: 2, name: 'dog' }]);
    assert.deepEqual(fromYaml.annotations.map((a) => [a.imageRef.stem, a.objects[0]?.className]), [['train/a', 'dog']]);
    await writeFile(join(labels, 'classes.txt'), 'x\ny\n');
    assert.deepEqual((await findYoloNames(labels)).names, ['x', 'y']);
    const given = await readAnnotations(labels, 'yolo', { yoloNames: ['p', 'q'] });
    assert.equal(given.annotations[0]?.objects[0]?.className, 'q');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a VOC folder is read in code-unit order with relative stems; a file given for a folder format is an InputError', async () => {
  const parsed = await readAnnotations('fixtures/annotations/raccoon/voc', 'voc');
  assert.equal(parsed.annotations.length, 40);
  const stems = parsed.annotations.map((a) => a.imageRef.stem as string);
  assert.deepEqual(stems, [...stems].sort());
  await assert.rejects(readAnnotations('fixtures/annotations/raccoon/coco.json', 'voc'), (e: unknown) => e instanceof InputError && e.message.includes('coco.json'));
});
