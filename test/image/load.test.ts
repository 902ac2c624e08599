import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describeEncoded, loadImage, resolveImageSettings, sniffFormat, type ImageOptions, type RawImage } from '../../src/image/index.js';
import { ImageError, InvalidOptionError } from '../../src/errors.js';
import { encoded, load, raw } from './helpers.js';

const IMAGES = fileURLToPath(new URL('../../fixtures/images/', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

/** An independent decode: sharp's own raw pixels of the stored bytes. */
async function pixels(bytes: Buffer): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  // keepIccProfile: compare stored values, not a colour-managed rendering of them.
  return sharp(bytes).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
}

test('every broken input is rejected with the right problem, naming the file', async () => {
  const expected: Record<string, string> = {
    '65536-uint32-limit.png': 'too-many-pixels',
    'badcrc.png': 'corrupt',
    'corrupt-header.jpg': 'truncated',
    'empty.jpg': 'empty',
    'not-an-image.jpg': 'not-an-image',
    'truncated.jpg': 'truncated',
    'truncated.png': 'truncated',
  };
  assert.deepEqual((await readdir(join(IMAGES, 'broken'))).sort(), Object.keys(expected).sort());
  for (const [name, problem] of Object.entries(expected)) {
    await assert.rejects(load(join(IMAGES, 'broken', name)), (e: unknown) => {
      assert.ok(e instanceof ImageError, name);
      assert.equal(e.problem, problem, `${name}: ${e.message}`);
      assert.ok(e.message.includes(name), e.message);
      return true;
    });
  }
  await assert.rejects(load(join(IMAGES, 'broken', '65536-uint32-limit.png')), /65536x65536 = 4294967296 pixels exceeds --max-pixels 268402689/);
  await assert.rejects(load(join(IMAGES, 'objects/relax.jp2')), (e: unknown) => e instanceof ImageError && e.problem === 'unsupported' && /JPEG 2000/.test(e.message));
  // Rejected in every mode, not only pass-through.
  for (const encode of ['png', 'raw'] as const) {
    for (const name of ['truncated.jpg', 'truncated.png', 'badcrc.png']) await assert.rejects(load(join(IMAGES, 'broken', name), { encode }), ImageError);
  }
});

test('sniffing uses the bytes, never the name', async () => {
  assert.equal(sniffFormat(await readFile(join(IMAGES, 'graphics/check.svg'))), 'svg');
  assert.equal(sniffFormat(await readFile(join(IMAGES, 'objects/pitm.avif'))), 'avif');
  assert.equal(sniffFormat(await readFile(join(IMAGES, 'documents/G31D_MULTI.TIF'))), 'tiff');
  assert.equal(sniffFormat(await readFile(join(IMAGES, 'broken/not-an-image.jpg'))), null);
});

test('pass-through keeps the bytes and declares stored size and TensorFlow channels', async () => {
  const cases: [string, string, number, number, number][] = [
    ['nature/Landscape_6.jpg', 'jpeg', 450, 600, 3], // EXIF 6: stored 450x600, TF ignores EXIF
    [`${SAMPLE}people/concert.jpg`, 'jpeg', 400, 267, 1],
    ['animals/horse.png', 'png', 400, 328, 4],
    ['graphics/ibasn3p08.png', 'png', 32, 32, 3], // palette
    ['graphics/d.png', 'png', 48, 48, 4], // palette + tRNS
    ['graphics/grey-8bit-alpha.png', 'png', 400, 300, 2],
    ['graphics/16-bit-grey-alpha.png', 'png', 109, 96, 2],
    ['graphics/ibasn6a16.png', 'png', 32, 32, 4], // 16-bit, interlaced
    [`${SAMPLE}graphics/ibasn0g04.png`, 'png', 32, 32, 1],
    ['documents/50020484-00001.png', 'png', 2809, 2074, 1], // 1-bit grey
    ['objects/Crash_test.gif', 'gif', 800, 533, 3],
    [`${SAMPLE}animals/shira_bird8.bmp`, 'bmp', 192, 144, 3],
    ['objects/testimgari.jpg', 'jpeg', 227, 149, 3],
  ];
  for (const [file, format, width, height, channels] of cases) {
    const path = file.startsWith('/') ? file : join(IMAGES, file);
    const image = await encoded(path);
    assert.ok(image.bytes.equals(await readFile(path)), `${file} stored unchanged`);
    assert.deepEqual([image.format, image.width, image.height, image.channels, image.transcoded], [format, width, height, channels, null], file);
    assert.deepEqual(describeEncoded(image.bytes), { format, width, height, channels, colorspace: image.colorspace }, file);
  }
});

test('keep mode transcodes what TensorFlow cannot decode to lossless PNG, and CMYK JPEG to sRGB JPEG', async () => {
  for (const file of ['graphics/5_webp_a.webp', 'documents/8bit_depth.tiff', 'objects/tifftag-photoshop.tiff', 'graphics/check.svg', 'objects/pitm.avif']) {
    const image = await encoded(join(IMAGES, file));
    assert.equal(image.format, 'png', file);
    assert.match(image.transcoded ?? '', /not decodable by TensorFlow/, file);
    assert.equal(image.channels, describeEncoded(image.bytes).channels, file);
  }
  // Lossless: the stored PNG has exactly the source's pixels (an independent sharp decode of the source).
  for (const file of ['graphics/5_webp_a.webp', 'documents/8bit_depth.tiff', 'objects/tifftag-photoshop.tiff']) {
    const image = await encoded(join(IMAGES, file));
    const stored = await pixels(image.bytes);
    const source = await sharp(await readFile(join(IMAGES, file))).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
    assert.equal(stored.info.channels, source.info.channels, file);
    assert.ok(stored.data.equals(source.data), `${file} pixels equal`);
  }
  // A CMYK JPEG with a profile is converted through it; a profile-less one passes through unchanged
  // (TensorFlow's own naive CMYK->RGB is its only defined reading).
  const plain = await readFile(join(IMAGES, 'people/Channel_digital_image_CMYK_color_no_profile.jpg'));
  const kept = await encoded(join(IMAGES, 'people/Channel_digital_image_CMYK_color_no_profile.jpg'));
  assert.deepEqual([kept.format, kept.channels, kept.transcoded], ['jpeg', 3, null]);
  assert.ok(kept.bytes.equals(plain), 'profile-less CMYK JPEG stored byte for byte');
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-cmyk-'));
  const withProfile = join(dir, 'cmyk-icc.jpg');
  await sharp(plain).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toFile(withProfile);
  assert.equal((await sharp(withProfile).metadata()).hasProfile, true);
  const cmyk = await encoded(withProfile);
  assert.deepEqual([cmyk.format, cmyk.channels, cmyk.width, cmyk.height], ['jpeg', 3, 500, 333]);
  assert.match(cmyk.transcoded ?? '', /CMYK.*ICC profile/);
  const meta = await sharp(cmyk.bytes).metadata();
  assert.equal(meta.space, 'srgb');
});

test('animated and multi-page inputs keep one frame and say so', async () => {
  const gif = await encoded(join(IMAGES, 'graphics/rotating-squares.gif'));
  assert.deepEqual([gif.format, gif.width, gif.height], ['png', 80, 80], 'one 80x80 frame, not a strip');
  assert.ok(gif.notes.some((n) => /kept frame 1 of 30/.test(n)));
  const webp = await encoded(join(IMAGES, 'graphics/animated-loop-3.webp'));
  assert.deepEqual([webp.width, webp.height], [370, 285]);
  assert.ok(webp.notes.some((n) => /kept frame 1 of 10/.test(n)));
  const tiff = await encoded(join(IMAGES, 'documents/G31D_MULTI.TIF'));
  assert.deepEqual([tiff.width, tiff.height, tiff.channels], [2464, 3248, 1]);
  assert.ok(tiff.notes.some((n) => /page 1 of 2/.test(n)));
});

test('auto-orient applies EXIF orientation and leaves no orientation tag; --no-auto-orient keeps stored pixels', async () => {
  const oriented = await encoded(join(IMAGES, 'nature/Landscape_6.jpg'), { encode: 'png' });
  assert.deepEqual([oriented.width, oriented.height], [600, 450]);
  assert.equal((await sharp(oriented.bytes).metadata()).orientation, undefined);
  const stored = await encoded(join(IMAGES, 'nature/Landscape_6.jpg'), { encode: 'png', autoOrient: false });
  assert.deepEqual([stored.width, stored.height], [450, 600]);
});

test('resize, fit, resize-shorter, center-crop and no-enlarge give the promised sizes', async () => {
  const horse = join(IMAGES, 'animals/horse.png'); // 400x328
  const dims = async (o: ImageOptions): Promise<[number, number]> => { const i = await encoded(horse, { encode: 'png', ...o }); return [i.width, i.height]; };
  assert.deepEqual(await dims({ resize: { width: 100, height: 100 } }), [100, 100]);
  assert.deepEqual(await dims({ resize: { width: 100, height: 100 }, fit: 'inside' }), [100, 82]);
  assert.deepEqual(await dims({ resize: { width: 100, height: 100 }, fit: 'outside' }), [122, 100]);
  assert.deepEqual(await dims({ resize: { width: 100, height: 50 }, fit: 'fill' }), [100, 50]);
  assert.deepEqual(await dims({ resize: { width: 100, height: 100 }, fit: 'contain' }), [100, 100]);
  assert.deepEqual(await dims({ resizeShorter: 164 }), [200, 164]);
  assert.deepEqual(await dims({ resizeShorter: 164, centerCrop: { width: 150, height: 150 } }), [150, 150]);
  assert.deepEqual(await dims({ resize: { width: 800, height: 800 }, fit: 'inside', enlarge: false }), [400, 328]);
  assert.deepEqual(await dims({ resize: { width: 800, height: 800 }, fit: 'inside' }), [800, 656]);
  await assert.rejects(load(horse, { centerCrop: { width: 500, height: 500 } }), (e: unknown) => e instanceof ImageError && /smaller than --center-crop 500x500/.test(e.message));
});

test('channels 1, 3 and 4: declared channels always equal what the stored bytes decode to', async () => {
  const horse = join(IMAGES, 'animals/horse.png');
  for (const [channels, encode, expected] of [[1, 'png', 1], [3, 'png', 3], [4, 'png', 4], [1, 'jpeg', 1], [3, 'jpeg', 3], [0, 'jpeg', 3]] as const) {
    const image = await encoded(horse, { channels, encode });
    assert.equal(image.channels, expected, `${channels} ${encode}`);
    assert.equal(describeEncoded(image.bytes).channels, expected);
  }
  // Flattening onto the background: a fully transparent corner becomes the background colour.
  const flat = await encoded(join(IMAGES, 'graphics/d.png'), { channels: 3, encode: 'png', background: { r: 255, g: 0, b: 0 } });
  const { data } = await pixels(flat.bytes);
  assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0]);
});

test('jpeg quality and png compression are the user\'s; JPEGs are baseline 4:4:4 by default', async () => {
  const file = join(SAMPLE, 'documents/text.png');
  const q10 = await encoded(file, { encode: 'jpeg', quality: 10 });
  const q95 = await encoded(file, { encode: 'jpeg' });
  assert.ok(q10.bytes.length < q95.bytes.length);
  const meta = await sharp(q95.bytes).metadata();
  assert.equal(meta.isProgressive, false);
  assert.equal(meta.chromaSubsampling, '4:4:4');
  const sub = await encoded(join(IMAGES, 'animals/horse.png'), { encode: 'jpeg', chromaSubsampling: '4:2:0' });
  assert.equal((await sharp(sub.bytes).metadata()).chromaSubsampling, '4:2:0');
  const p0 = await encoded(file, { encode: 'png', pngCompression: 0 });
  const p9 = await encoded(file, { encode: 'png', pngCompression: 9 });
  assert.ok(p9.bytes.length < p0.bytes.length);
  assert.ok((await pixels(p0.bytes)).data.equals((await pixels(p9.bytes)).data));
});

test('raw tensors: shape, dtype, layout and channel order against a hand reshape', async () => {
  // A 3x2 RGB image with distinct values, from raw pixels.
  const hwc = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  const png = await sharp(hwc, { raw: { width: 3, height: 2, channels: 3 } }).png().toBuffer();
  const settings = (o: ImageOptions) => resolveImageSettings({ encode: 'raw', ...o });
  const get = async (o: ImageOptions) => (await loadImage(png, settings(o), { path: 'tiny.png' })) as RawImage;

  const a = await get({});
  assert.deepEqual([a.shape, a.dtype, a.layout, a.channelOrder], [[2, 3, 3], 'uint8', 'hwc', 'rgb']);
  assert.ok(a.bytes.equals(hwc));

  const chwBgr = await get({ layout: 'chw', channelOrder: 'bgr' });
  assert.deepEqual(chwBgr.shape, [3, 2, 3]);
  const expected: number[] = [];
  for (const c of [2, 1, 0]) for (let p = 0; p < 6; p++) expected.push(hwc[p * 3 + c] as number);
  assert.deepEqual([...chwBgr.bytes], expected);

  const f = await get({ dtype: 'float32', scale: 1 });
  assert.equal(f.bytes.length, 18 * 4);
  const floats = new Float32Array(f.bytes.buffer.slice(f.bytes.byteOffset, f.bytes.byteOffset + f.bytes.length));
  assert.ok(floats.every((v) => v >= 0 && v <= 1));
  assert.equal(floats[0], Math.fround(1 / 255));
  const f255 = await get({ dtype: 'float32' });
  assert.equal(f255.bytes.readFloatLE(17 * 4), 18);

  const grey = await get({ channels: 1 });
  assert.deepEqual(grey.shape, [2, 3, 1]);
  const sixteen = await raw(join(IMAGES, 'graphics/ibasn6a16.png'), { depth: 16 });
  assert.deepEqual([sixteen.dtype, sixteen.shape], ['uint16', [32, 32, 4]]);
  assert.equal(sixteen.bytes.length, 32 * 32 * 4 * 2);
  const bmp = await raw(join(SAMPLE, 'animals/shira_bird8.bmp'));
  assert.deepEqual(bmp.shape, [144, 192, 3]);
});

test('16-bit inputs become 8-bit by scaling (not clipping) unless depth 16', async () => {
  const file = join(IMAGES, 'graphics/ibasn6a16.png');
  const eight = await encoded(file, { encode: 'png' });
  const src16 = await sharp(file).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
  const px8 = (await pixels(eight.bytes)).data;
  const first16 = src16.readUInt16LE(0);
  assert.ok(Math.abs((px8[0] as number) - Math.round(first16 / 257)) <= 1);
  const sixteen = await encoded(file, { encode: 'png', depth: 16 });
  assert.equal((await sharp(sixteen.bytes).metadata()).depth, 'ushort');
});

test('options are validated with sharp-style messages', () => {
  assert.throws(() => resolveImageSettings({ quality: 0 }), (e: unknown) => e instanceof InvalidOptionError && e.message === 'Expected integer between 1 and 100 for quality but received 0 of type number');
  assert.throws(() => resolveImageSettings({ encode: 'webp' as never }), /Expected one of keep, jpeg, png, raw for encode/);
  assert.throws(() => resolveImageSettings({ depth: 16, encode: 'jpeg' }), InvalidOptionError);
  assert.throws(() => resolveImageSettings({ resize: { width: 0, height: 5 } }), /resize.width/);
  assert.throws(() => resolveImageSettings({ resize: { width: 5, height: 5 }, resizeShorter: 4 }), InvalidOptionError);
  assert.throws(() => resolveImageSettings({ background: { r: 256, g: 0, b: 0 } }), /background.r/);
});
