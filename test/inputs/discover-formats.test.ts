import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from '../../src/convert/convert.js';
import { discoverFiles } from '../../src/inputs/discover.js';

const DECODABLE = fileURLToPath(new URL('../../fixtures/decodable/', import.meta.url));

test('discovery takes Netpbm and recognised unsupported formats as inputs; convert names them, never "not an image"', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-formats-'));
  const input = join(dir, 'in');
  await mkdir(join(input, 'a'), { recursive: true });
  await copyFile(join(DECODABLE, 'la.tga'), join(input, 'a/la.tga'));
  await copyFile(join(DECODABLE, 'hopper_8bit.pgm'), join(input, 'a/grey.pgm'));
  await writeFile(join(input, 'a/icon.dat'), Buffer.from([0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0]));
  await writeFile(join(input, 'a/notes.txt'), 'not an image');
  const { images, ignored } = await discoverFiles({ input, include: [], exclude: [], followSymlinks: false });
  assert.deepEqual(images.map((f) => f.relPath), ['a/grey.pgm', 'a/icon.dat', 'a/la.tga']);
  assert.deepEqual(ignored, [{ relPath: 'a/notes.txt', reason: 'not an image (.txt)' }]);
  const summary = await convert({ input, output: join(dir, 'out') });
  assert.equal(summary.records, 1);
  assert.deepEqual(summary.errors.map((e) => [e.path, e.problem]), [['a/icon.dat', 'unsupported'], ['a/la.tga', 'unsupported']]);
  assert.match(summary.errors[1]?.reason ?? '', /TGA image: not supported/);
});
