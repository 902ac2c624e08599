import { test } from 'node:test';
import { availableParallelism } from 'node:os';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { configureImageConcurrency, describeEncoded, describeUnknownBytes, resolveImageSettings } from '../../src/image/index.js';
import { ImageError, InvalidOptionError } from '../../src/errors.js';
import { blankBmp, encoded, load, raw, IMAGES } from './helpers.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

/** A BMP by hand: 2x2, bottom-up, BI_RGB, rows padded to 4 bytes; `extra` trailing bytes. */
function bmp(bpp: 24 | 32, extra = 0): Buffer {
  const w = 2;
  const h = 2;
  const { bytes: out, rowBytes: row } = blankBmp(w, h, bpp, extra);
  // Top row red, green; bottom row blue, white (stored bottom row first, as BGR(A)).
  const colours = [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]] as const;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = colours[h - 1 - y]![x]!;
      const at = 54 + y * row + (x * bpp) / 8;
      out[at] = b;
      out[at + 1] = g;
      out[at + 2] = r;
    }
  }
  return out;
}
const BMP_RGB = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];

/**
 * APNGs of 2x2 solid frames written by PIL 9.4 (an independent encoder; see fixtures/apng/README.md):
 * the default image is frame 1 (red, then green), or a hidden default image (red) that is not
 * part of the animation (green, blue).
 */
const APNG = fileURLToPath(new URL('../../fixtures/apng/', import.meta.url));
async function apng(defaultIsFrame: boolean): Promise<Buffer> {
  return readFile(join(APNG, defaultIsFrame ? 'default-is-frame-1.png' : 'hidden-default.png'));
}

test('BMP: only exact 24-bit BI_RGB files pass through; the rest become PNG with the same pixels', async () => {
  const exact = await encoded(bmp(24));
  assert.deepEqual([exact.format, exact.channels, exact.transcoded, exact.width, exact.height], ['bmp', 3, null, 2, 2]);
  assert.ok(exact.bytes.equals(bmp(24)));
  // TensorFlow's decode_bmp refuses a size other than offset + rows, and reads a 32-bit BMP's
  // fourth byte (0 here) as alpha: both are transcoded.
  for (const bytes of [bmp(24, 2), bmp(32)]) {
    const image = await encoded(bytes);
    assert.equal(image.format, 'png');
    assert.match(image.transcoded ?? '', /BMP stored as PNG/);
    const { data, info } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 3);
    assert.deepEqual([...data], BMP_RGB);
  }
  assert.deepEqual([...(await raw(bmp(24))).bytes], BMP_RGB);
  // --validate decode decodes BMPs with our own decoder (sharp's prebuilt libvips cannot).
  const bird = await readFile(join(SAMPLE, 'animals/shira_bird8.bmp'));
  assert.ok((await encoded(bird, { validate: 'decode' })).bytes.equals(bird));
  const cut = bmp(24).subarray(0, 60);
  await assert.rejects(load(cut), (e: unknown) => e instanceof ImageError && e.problem === 'truncated');
});

test('APNG: the image TensorFlow shows (IDAT), as a plain PNG: frame 1, or the default image when it is not part of the animation', async () => {
  // libpng, TensorFlow's decode_png and PIL all show IDAT; it is frame 1 only when an fcTL precedes it.
  for (const [defaultIsFrame, note] of [[true, /kept frame 1 of 2 \(1 dropped\)/], [false, /kept the default image, which is not part of the animation/]] as const) {
    const image = await encoded(await apng(defaultIsFrame));
    assert.equal(image.format, 'png');
    assert.match(image.transcoded ?? '', /animated PNG/);
    assert.ok(image.notes.some((n) => note.test(n)), image.notes.join());
    assert.ok(!image.bytes.includes(Buffer.from('acTL')), 'no animation chunks left');
    const { data } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0], `default image is frame: ${defaultIsFrame}`);
  }
});

test('grey+alpha stays 2 channels in PNG and raw; 16-bit samples become v >> 8 as TensorFlow and PIL do', async () => {
  const file = await readFile(join(IMAGES, 'graphics/16-bit-grey-alpha.png'));
  const src = await sharp(file).keepIccProfile().toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  assert.equal(src.info.channels, 2);
  const shifted = Array.from(new Uint16Array(Uint8Array.from(src.data).buffer), (v) => v >> 8);
  const png = await encoded(file, { encode: 'png' });
  assert.deepEqual([png.channels, png.colorspace, describeEncoded(png.bytes).channels], [2, 'GrayscaleAlpha', 2]);
  const stored = await sharp(png.bytes).keepIccProfile().toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  const tensor = await raw(file);
  assert.deepEqual(tensor.shape, [96, 109, 2]);
  assert.deepEqual([...tensor.bytes], shifted);
  assert.ok(stored.info.channels === 2 ? stored.data.equals(tensor.bytes) : true);
  const eight = await raw(await readFile(join(IMAGES, 'graphics/grey-8bit-alpha.png')));
  assert.deepEqual(eight.shape, [300, 400, 2]);
  const sixteen = await raw(file, { depth: 16 });
  assert.deepEqual([sixteen.dtype, sixteen.shape], ['uint16', [96, 109, 2]]);
  assert.equal(sixteen.bytes.readUInt16LE(0), new Uint16Array(Uint8Array.from(src.data).buffer)[0]);
});

test('keep mode with a transform: JPEG sources stay JPEG, others become PNG; channels always match the bytes', async () => {
  const jpeg = await readFile(join(IMAGES, 'nature/Landscape_6.jpg'));
  const small = await encoded(jpeg, { resizeShorter: 90 });
  assert.deepEqual([small.format, small.width, small.height, small.channels, small.transcoded], ['jpeg', 120, 90, 3, null]);
  const meta = await sharp(small.bytes).metadata();
  assert.equal(meta.orientation, undefined, 'no orientation tag contradicting the rotated pixels');
  assert.equal(meta.isProgressive, false);
  const rgba = await encoded(jpeg, { resizeShorter: 90, channels: 4 });
  assert.deepEqual([rgba.format, rgba.channels], ['png', 4]);
  const horse = await encoded(await readFile(join(IMAGES, 'animals/horse.png')), { resize: { width: 50, height: 50 } });
  assert.deepEqual([horse.format, horse.channels], ['png', 4]);
  const svg = await encoded(await readFile(join(IMAGES, 'graphics/check.svg')), { density: 144 });
  assert.deepEqual([svg.width, svg.height], [200, 200], 'SVG rasterised at twice the default 72 DPI');
});

test('unknown bytes are described; options that cannot hold are refused', () => {
  // The kind of content only, never its bytes (a manifest row may point at /etc/shadow).
  assert.equal(describeUnknownBytes(Buffer.from('root:$6$secret:19000:0:99999:7:::\n')), 'a text file');
  assert.equal(describeUnknownBytes(Buffer.from([0, 1, 2, 3])), 'binary data of an unknown kind');
  assert.throws(() => resolveImageSettings({ encode: 'jpeg', channels: 4 }), InvalidOptionError);
  assert.throws(() => resolveImageSettings({ pngCompression: 10 }), /Expected integer between 0 and 9 for pngCompression but received 10 of type number/);
  assert.throws(() => resolveImageSettings({ depth: 16, encode: 'raw', dtype: 'float32' }), InvalidOptionError);
  assert.throws(() => configureImageConcurrency(0), /Expected integer between 1 and 4096 for opsInFlight but received 0/);
  const set = configureImageConcurrency(64);
  // 64 ops in flight, but libuv's pool runs only UV_THREADPOOL_SIZE (default 4) of them at once:
  // each gets its share of the cores, so a many-core machine is not left with 4 one-thread ops.
  const pool = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10) || 4;
  assert.equal(set.opsRunning, Math.min(64, pool));
  assert.equal(set.threadsPerOp, Math.max(1, Math.floor(availableParallelism() / set.opsRunning)));
  assert.equal(sharp.concurrency(), set.threadsPerOp);
  const one = configureImageConcurrency(1);
  assert.deepEqual([one.opsRunning, one.threadsPerOp], [1, availableParallelism()], 'one op in flight gets every core');
  // --jobs 1 means one core: one op of one thread, whatever the machine.
  const jobsOne = configureImageConcurrency(1, 1);
  assert.deepEqual([jobsOne.opsRunning, jobsOne.threadsPerOp], [1, 1]);
  assert.equal(sharp.concurrency(), 1);
  // A budget above the cores is capped by them.
  const wide = configureImageConcurrency(1, 4096);
  assert.equal(wide.threadsPerOp, availableParallelism());
  assert.throws(() => configureImageConcurrency(1, 0), /Expected integer between 1 and 4096 for coreBudget but received 0/);
});
