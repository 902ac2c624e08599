import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describeEncoded, loadImage, resolveImageSettings, sniffFormat, TF_DECODABLE, type EncodedImage, type ImageOptions, type RawImage } from '../../src/image/index.js';
import { decodeBmp24, type Rgba } from './helpers.js';

// Every kind of file of the real-world corpus that fixtures/ holds, through every encoding: declared
// channels equal what the stored bytes decode to, raw sizes add up, and lossless output has the
// pixels of an independent decode of the source (sharp on its own, not through loadImage).

const IMAGES = fileURLToPath(new URL('../../fixtures/images/', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

async function listKinds(): Promise<string[]> {
  const out: string[] = [];
  for (const root of [IMAGES, SAMPLE]) {
    for (const folder of (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== 'broken')) {
      for (const name of (await readdir(join(root, folder.name))).sort()) {
        if (!name.endsWith('.jp2')) out.push(join(root, folder.name, name));
      }
    }
  }
  return out;
}

/** 8-bit RGBA of image bytes decoded by sharp alone; 16-bit samples become v >> 8, as libpng and PIL. */
/** A profile-less CMYK image as TensorFlow's decode_jpeg shows it: r = (255 - k) * (255 - c) / 255, truncated. */
async function decodeNaiveCmyk(bytes: Buffer): Promise<Rgba> {
  const { data, info } = await sharp(bytes).rotate().pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const out = Buffer.alloc(n * 4, 255);
  for (let p = 0; p < n; p++) {
    const white = 255 - (data[p * 4 + 3] as number);
    for (let k = 0; k < 3; k++) out[p * 4 + k] = Math.floor((white * (255 - (data[p * 4 + k] as number))) / 255);
  }
  return { data: out, width: info.width, height: info.height };
}

async function decodeRgba(bytes: Buffer): Promise<Rgba> {
  if (sniffFormat(bytes) === 'bmp') return decodeBmp24(bytes);
  const meta = await sharp(bytes, { pages: 1 }).metadata();
  // keepIccProfile: stored values, not a colour-managed rendering of them.
  const image = sharp(bytes, { pages: 1 }).keepIccProfile().rotate();
  if (meta.space === 'cmyk' && meta.depth === 'uchar' && meta.hasProfile !== true) return decodeNaiveCmyk(bytes);
  if (meta.depth === 'ushort') {
    const { data, info } = await image.toColourspace('rgb16').ensureAlpha(1).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const samples = new Uint16Array(Uint8Array.from(data).buffer);
    return { data: Buffer.from(samples.map((v) => v >> 8)), width: info.width, height: info.height };
  }
  const { data, info } = await image.toColourspace('srgb').ensureAlpha(1).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** 8-bit RGBA of a raw HWC RGB uint8 tensor of 1 to 4 channels. */
function rawToRgba(image: RawImage): Rgba {
  const c = image.channels;
  const n = image.width * image.height;
  const out = Buffer.alloc(n * 4);
  for (let p = 0; p < n; p++) {
    const px = image.bytes.subarray(p * c, p * c + c);
    const [r, g, b] = c >= 3 ? [px[0], px[1], px[2]] : [px[0], px[0], px[0]];
    out.set([r as number, g as number, b as number, c === 2 || c === 4 ? (px[c - 1] as number) : 255], p * 4);
  }
  return { data: out, width: image.width, height: image.height };
}

/** Fully transparent pixels have no defined colour (libvips gives 0,0,0; GIF decoders the palette's). */
function clearInvisible(rgba: Rgba): Buffer {
  const data = Buffer.from(rgba.data);
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 0) data.fill(0, i, i + 3);
  return data;
}

function flattenOnBlack(rgba: Rgba): Float64Array {
  const out = new Float64Array((rgba.data.length / 4) * 3);
  for (let p = 0; p < out.length / 3; p++) {
    for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.round(((rgba.data[p * 4 + k] as number) * (rgba.data[p * 4 + 3] as number)) / 255);
  }
  return out;
}

function psnr(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}

async function load(bytes: Buffer, options: ImageOptions, path: string): Promise<EncodedImage | RawImage> {
  return loadImage(bytes, resolveImageSettings(options), { path });
}

test('fixtures cover every kind the real-world corpus has, bar the oversized ones', async () => {
  const names = (await listKinds()).map((p) => p.slice(p.lastIndexOf('/') + 1));
  for (const kind of [
    'HappyFish.jpg', 'FreshFlower.jpg', 'concert.jpg', 'Channel_digital_image_CMYK_color_no_profile.jpg', 'testimgari.jpg', 'Landscape_6.jpg',
    'ibasn2c08.png', 'horse.png', 'ibasn3p08.png', 'Flag_of_the_Netherlands.png', 'Flag_of_the_Netherlands-alpha.png', 'd.png',
    'ibasn0g04.png', '50020484-00001.png', 'page.png', 'grey-8bit-alpha.png', '16-bit-grey-alpha.png', 'Flag_of_the_Netherlands-16bit.png',
    'ibasn6a16.png', 'shira_bird8.bmp', 'Crash_test.gif', 'rotating-squares.gif', '5_webp_a.webp', 'animated-loop-3.webp',
    '8bit_depth.tiff', 'tifftag-photoshop.tiff', 'G31D_MULTI.TIF', 'check.svg', 'struct-image-04-t.svg', 'pitm.avif',
  ]) assert.ok(names.includes(kind), kind);
});

test('every kind, every encoding: declared channels equal the stored bytes; lossless output has the source pixels', async () => {
  for (const path of await listKinds()) {
    const source = await readFile(path);
    const format = sniffFormat(source);
    assert.notEqual(format, null, path);
    const cmyk = format !== 'bmp' && (await sharp(source).metadata()).space === 'cmyk';
    const reference = await decodeRgba(source);

    for (const encode of ['keep', 'png', 'jpeg'] as const) {
      const image = await load(source, { encode }, path);
      assert.equal(image.kind, 'encoded');
      const stored = image as EncodedImage;
      const info = describeEncoded(stored.bytes);
      assert.deepEqual([stored.format, stored.width, stored.height, stored.channels], [info.format, info.width, info.height, info.channels], `${path} ${encode}`);
      assert.equal(stored.colorspace, ['', 'Grayscale', 'GrayscaleAlpha', 'RGB', 'RGBA'][stored.channels], `${path} ${encode}`);
      if (encode === 'jpeg') assert.ok(stored.channels === 1 || stored.channels === 3, `${path}: JPEG holds 1 or 3 channels`);
      if (encode === 'keep' && stored.transcoded === null) {
        assert.ok(format !== null && TF_DECODABLE.has(format) && stored.bytes.equals(source), `${path}: pass-through keeps the bytes`);
        continue;
      }
      const decoded = await decodeRgba(stored.bytes);
      assert.deepEqual([decoded.width, decoded.height], [reference.width, reference.height], `${path} ${encode}: EXIF-oriented size`);
      if (encode === 'jpeg' || cmyk) {
        const db = psnr(flattenOnBlack(decoded), flattenOnBlack(reference));
        assert.ok(db >= 30, `${path} ${encode}: PSNR ${db.toFixed(1)} dB`);
      } else {
        assert.ok(clearInvisible(decoded).equals(clearInvisible(reference)), `${path} ${encode}: pixels equal an independent decode`);
      }
    }

    const tensor = await load(source, { encode: 'raw' }, path) as RawImage;
    assert.equal(tensor.kind, 'raw');
    assert.deepEqual(tensor.shape, [tensor.height, tensor.width, tensor.channels], path);
    assert.equal(tensor.bytes.length, tensor.height * tensor.width * tensor.channels, `${path}: uint8 bytes = product of the shape`);
    assert.deepEqual([tensor.width, tensor.height], [reference.width, reference.height], path);
    if (cmyk) assert.ok(psnr(flattenOnBlack(rawToRgba(tensor)), flattenOnBlack(reference)) >= 30, path);
    else assert.ok(clearInvisible(rawToRgba(tensor)).equals(clearInvisible(reference)), `${path} raw: pixels equal an independent decode`);
  }
});
