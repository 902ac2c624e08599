import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { convert } from '../../src/convert/convert.js';
import { readRecordFile } from '../../src/record/index.js';
import { decodeExample, type Feature } from '../../src/example/index.js';

const IMAGES = fileURLToPath(new URL('../../fixtures/images/', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

function text(f: Feature | undefined): string {
  assert.ok(f !== undefined && f.kind === 'bytes');
  return Buffer.from(f.values[0] as Uint8Array).toString('utf8');
}
function ints(f: Feature | undefined): number[] {
  assert.ok(f !== undefined && f.kind === 'int64');
  return (f.values as bigint[]).map(Number);
}
function bytes(f: Feature | undefined): Buffer {
  assert.ok(f !== undefined && f.kind === 'bytes');
  return Buffer.from(f.values[0] as Uint8Array);
}

/** A class folder holding the given fixture files. */
async function folderOf(files: readonly string[]): Promise<string> {
  const input = await mkdtemp(join(tmpdir(), 'img2tfrecord-features-'));
  await mkdir(join(input, 'c'));
  for (const file of files) await cp(file, join(input, 'c', file.slice(file.lastIndexOf('/') + 1)));
  return input;
}
async function examplesIn(dir: string): Promise<Map<string, Record<string, Feature>>> {
  const out = new Map<string, Record<string, Feature>>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.tfrecord'))) {
    for await (const record of readRecordFile(join(dir, name))) {
      const { features } = decodeExample(record.data);
      out.set(text(features['image/filename']), features);
    }
  }
  return out;
}

test('raw records carry image/raw, height, width, channels, shape, dtype and layout; bytes = product(shape) x dtype size', async () => {
  const files = [join(SAMPLE, 'animals/HappyFish.jpg'), join(IMAGES, 'graphics/d.png'), join(SAMPLE, 'documents/text.png')];
  const input = await folderOf(files);
  interface Case { dtype: 'uint8' | 'float32'; scale: 255 | 1; layout: 'hwc' | 'chw'; channelOrder: 'rgb' | 'bgr'; channels: 0 | 1 | 3; size: number }
  const cases: Case[] = [
    { dtype: 'uint8', scale: 255, layout: 'hwc', channelOrder: 'rgb', channels: 0, size: 1 },
    { dtype: 'uint8', scale: 255, layout: 'chw', channelOrder: 'bgr', channels: 3, size: 1 },
    { dtype: 'float32', scale: 1, layout: 'hwc', channelOrder: 'rgb', channels: 1, size: 4 },
    { dtype: 'float32', scale: 255, layout: 'chw', channelOrder: 'bgr', channels: 0, size: 4 },
  ];
  for (const c of cases) {
    const label = JSON.stringify(c);
    const output = await mkdtemp(join(tmpdir(), 'img2tfrecord-features-out-'));
    const summary = await convert({ input, output, encode: 'raw', dtype: c.dtype, scale: c.scale, layout: c.layout, channelOrder: c.channelOrder, channels: c.channels });
    assert.equal(summary.records, 3, label);
    const examples = await examplesIn(output);
    for (const file of files) {
      const name = `c/${file.slice(file.lastIndexOf('/') + 1)}`;
      const f = examples.get(name);
      assert.ok(f !== undefined, name);
      for (const gone of ['image/encoded', 'image/format', 'image/colorspace']) assert.equal(f[gone], undefined, `${label} ${name}: no ${gone}`);
      const [h, w, ch] = [ints(f['image/height'])[0], ints(f['image/width'])[0], ints(f['image/channels'])[0]] as [number, number, number];
      assert.deepEqual(ints(f['image/shape']), c.layout === 'chw' ? [ch, h, w] : [h, w, ch], `${label} ${name}`);
      assert.deepEqual([text(f['image/dtype']), text(f['image/layout']), text(f['image/channel_order'])], [c.dtype, c.layout, c.channelOrder]);
      const tensor = bytes(f['image/raw']);
      assert.equal(tensor.length, h * w * ch * c.size, `${label} ${name}: bytes = product(shape) x ${c.size}`);

      // First pixel against an independent decode, in the declared layout, order and scale.
      if (c.channels === 1) continue;
      let reference = sharp(file).keepIccProfile();
      if (ch === 3) reference = reference.flatten({ background: '#000000' });
      const { data, info } = await reference.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height], [w, h]);
      const first = [...data.subarray(0, 3)];
      const ordered = c.channelOrder === 'bgr' ? first.reverse() : first;
      const stride = c.layout === 'chw' ? h * w : 1;
      for (let k = 0; k < 3 && k < ch; k++) {
        const got: number | undefined = c.dtype === 'uint8' ? tensor[k * stride] : tensor.readFloatLE(k * stride * 4);
        if (ch === 1) break; // a grey source's first pixel is checked by the image tests
        assert.equal(got, Math.fround((ordered[k] as number) / (c.dtype === 'float32' && c.scale === 1 ? 255 : 1)), `${label} ${name} band ${k}`);
      }
    }
  }
});

test('keep mode: the summary counts each transcode and why, and warns about dropped frames and pages', async () => {
  const input = await folderOf([
    join(IMAGES, 'graphics/5_webp_a.webp'), join(IMAGES, 'documents/8bit_depth.tiff'), join(IMAGES, 'graphics/rotating-squares.gif'),
    join(IMAGES, 'graphics/animated-loop-3.webp'), join(IMAGES, 'people/Channel_digital_image_CMYK_color_no_profile.jpg'), join(SAMPLE, 'animals/HappyFish.jpg'),
  ]);
  const output = await mkdtemp(join(tmpdir(), 'img2tfrecord-features-out-'));
  const summary = await convert({ input, output });
  assert.equal(summary.records, 6);
  assert.deepEqual(summary.transcoded, {
    count: 4,
    reasons: {
      'TIFF is not decodable by TensorFlow': 1,
      'WebP is not decodable by TensorFlow': 2,
      'animated GIF: first frame stored as PNG': 1,
    },
  });
  assert.deepEqual(summary.warnings.map((w) => [w.path, w.message]).sort(), [
    ['c/animated-loop-3.webp', 'animated WebP: kept frame 1 of 10 (9 dropped)'],
    ['c/rotating-squares.gif', 'animated GIF: kept frame 1 of 30 (29 dropped)'],
  ]);
  const examples = await examplesIn(output);
  assert.deepEqual(text(examples.get('c/5_webp_a.webp')?.['image/format']), 'png');
  assert.deepEqual(text(examples.get('c/Channel_digital_image_CMYK_color_no_profile.jpg')?.['image/format']), 'jpeg');
  assert.deepEqual(ints(examples.get('c/rotating-squares.gif')?.['image/height']), [80], 'one frame, not a strip');
});
