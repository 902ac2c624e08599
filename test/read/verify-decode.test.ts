import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesFeature, encodeExample, int64Feature } from '../../src/example/index.js';
import { convert } from '../../src/convert/convert.js';
import { verifyFiles } from '../../src/read/verify.js';
import { frameRecordToBuffer } from '../../src/record/index.js';
import { blankBmp } from '../image/helpers.js';

const DECODABLE = fileURLToPath(new URL('../../fixtures/decodable/', import.meta.url));

/** A 3x2 24-bit bottom-up BI_RGB BMP of exactly offset + rows bytes: the kind convert passes through. */
function exactBmp(): Buffer {
  const { bytes: out } = blankBmp(3, 2, 24);
  for (let i = 54; i < out.length; i++) out[i] = (i * 37) & 0xff;
  return out;
}

test('verify --decode: a passed-through BMP decodes with our decoder, and --max-pixels reports it without decoding', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-verify-'));
  await mkdir(join(dir, 'in/a'), { recursive: true });
  await writeFile(join(dir, 'in/a/x.bmp'), exactBmp());
  await convert({ input: join(dir, 'in'), output: join(dir, 'out') });
  const shard = (await readdir(join(dir, 'out'))).find((f) => f.endsWith('.tfrecord')) as string;
  const file = join(dir, 'out', shard);
  assert.ok((await readFile(file)).includes(exactBmp()), 'the BMP was stored as it is');
  const clean = await verifyFiles([file], { decode: true });
  assert.deepEqual(clean.problems, []);
  assert.equal(clean.files[0]?.imagesChecked, 1);
  const limited = await verifyFiles([file], { decode: true, maxPixels: 5 });
  assert.equal(limited.problems.length, 1);
  assert.match(limited.problems[0]?.message ?? '', /3x2 = 6 pixels exceeds --max-pixels 5; not decoded/);
});

test('verify --decode applies convert\'s decodability rules: bad Adler-32, 12-bit JPEG, a GIF frame over the pixel limit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-verify-'));
  const gif = Buffer.concat([
    Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1'),
    Buffer.from([0x2c, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0]), Buffer.from([0x02, 0x02, 0x4c, 0x01, 0x00, 0x3b]),
  ]);
  const images = [await readFile(join(DECODABLE, 'badadler.png')), await readFile(join(DECODABLE, 'monkey12.jpg')), gif];
  const frames = images.map((bytes) => frameRecordToBuffer(encodeExample({ 'image/encoded': bytesFeature(bytes), 'image/class/label': int64Feature(0) })));
  const file = join(dir, 'x.tfrecord');
  await writeFile(file, Buffer.concat(frames));
  const report = await verifyFiles([file], { decode: true });
  assert.deepEqual(report.problems.map((p) => p.recordIndex), [0, 1, 2]);
  assert.match(report.problems[0]?.message ?? '', /not decodable by TensorFlow: PNG image data fails its zlib Adler-32 check/);
  assert.match(report.problems[1]?.message ?? '', /not decodable by TensorFlow: 12-bit extended sequential \(SOF1\) JPEG/);
  assert.match(report.problems[2]?.message ?? '', /a frame of 4294836225 pixels exceeds --max-pixels 268402689; not decoded/);
});
