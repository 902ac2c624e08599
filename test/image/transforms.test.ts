import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describeEncoded, resolveImageSettings, type ImageOptions } from '../../src/image/index.js';
import { ImageError, InvalidOptionError } from '../../src/errors.js';
import { encoded, load, raw, IMAGES } from './helpers.js';

// Each image flag against pixel values known in advance (synthetic images built from raw values)
// or against an independent sharp decode of the source.

/** Stored values of encoded bytes (no colour management), 8-bit. */
async function pixelsOf(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(bytes).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}
async function png(values: number[], width: number, height: number, channels: 1 | 2 | 3 | 4): Promise<Buffer> {
  return sharp(Buffer.from(values), { raw: { width, height, channels } }).png().toBuffer();
}
async function samples16(bytes: Buffer): Promise<Uint16Array> {
  const data = await sharp(bytes).keepIccProfile().toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
  return new Uint16Array(Uint8Array.from(data).buffer);
}

// A 64x32 picture of four flat quadrants: red, green (top); blue, white (bottom).
const QW = 64;
const QH = 32;
const QUADRANT_COLOURS = [[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]] as const;
function storedColour(x: number, y: number): readonly number[] {
  return QUADRANT_COLOURS[y < QH / 2 ? 0 : 1][x < QW / 2 ? 0 : 1];
}
async function orientedJpeg(orientation: number): Promise<Buffer> {
  const data = Buffer.alloc(QW * QH * 3);
  for (let y = 0; y < QH; y++) for (let x = 0; x < QW; x++) data.set(storedColour(x, y), (y * QW + x) * 3);
  return sharp(data, { raw: { width: QW, height: QH, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).withMetadata({ orientation }).toBuffer();
}
/** Where display pixel (x, y) comes from in the stored image, per EXIF orientation (TIFF 6.0 / Exif 2.3). */
function storedPoint(orientation: number, x: number, y: number): [number, number] {
  const [W, H] = [QW, QH];
  switch (orientation) {
    case 2: return [W - 1 - x, y];
    case 3: return [W - 1 - x, H - 1 - y];
    case 4: return [x, H - 1 - y];
    case 5: return [y, x];
    case 6: return [y, H - 1 - x];
    case 7: return [W - 1 - y, H - 1 - x];
    case 8: return [W - 1 - y, x];
    default: return [x, y];
  }
}
function assertQuadrants(data: Buffer, width: number, height: number, channels: number, orientation: number, label: string): void {
  for (const [fx, fy] of [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]] as const) {
    const [x, y] = [Math.floor(width * fx), Math.floor(height * fy)];
    const expected = storedColour(...storedPoint(orientation, x, y));
    const got = [...data.subarray((y * width + x) * channels, (y * width + x) * channels + 3)];
    assert.ok(got.every((v, k) => Math.abs(v - (expected[k] as number)) <= 8), `${label}: pixel ${x},${y} is ${got}, expected ${expected}`);
  }
}

test('EXIF orientations 1-8 are applied in every encoding, and no tag is left to contradict the pixels', async () => {
  for (let orientation = 1; orientation <= 8; orientation++) {
    const source = await orientedJpeg(orientation);
    assert.equal((await sharp(source).metadata()).orientation, orientation);
    const [w, h] = orientation >= 5 ? [QH, QW] : [QW, QH];
    for (const encode of ['png', 'jpeg'] as const) {
      const image = await encoded(source, { encode });
      assert.deepEqual([image.width, image.height], [w, h], `${orientation} ${encode}`);
      const meta = await sharp(image.bytes).metadata();
      assert.ok(meta.orientation === undefined || meta.orientation === 1, `${orientation} ${encode}: orientation tag ${meta.orientation}`);
      const px = await pixelsOf(image.bytes);
      assertQuadrants(px.data, px.width, px.height, px.channels, orientation, `${orientation} ${encode}`);
    }
    const tensor = await raw(source);
    assert.deepEqual(tensor.shape, [h, w, 3]);
    assertQuadrants(tensor.bytes, tensor.width, tensor.height, 3, orientation, `${orientation} raw`);

    // --no-auto-orient: the stored pixels and size, and no tag left to rotate them again.
    const stored = await encoded(source, { encode: 'png', autoOrient: false });
    assert.deepEqual([stored.width, stored.height], [QW, QH]);
    assert.equal((await sharp(stored.bytes).metadata()).orientation, undefined);
    const spx = await pixelsOf(stored.bytes);
    assertQuadrants(spx.data, spx.width, spx.height, spx.channels, 1, `${orientation} no-auto-orient`);
    // Pass-through: TensorFlow ignores EXIF, so the declared size is the stored one.
    const kept = await encoded(source);
    assert.ok(kept.bytes.equals(source));
    assert.deepEqual([kept.width, kept.height], [QW, QH]);
  }
});

test('--channels 1 is Rec. 601 luma of the stored values (as PIL, libjpeg and OpenCV), in 8 and 16 bits', async () => {
  const colours = await png([255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 100, 50], 4, 1, 3);
  const expected = [76, 150, 29, 124]; // PIL: Image.convert('L')
  const grey = await encoded(colours, { encode: 'png', channels: 1 });
  assert.deepEqual([grey.channels, grey.colorspace, describeEncoded(grey.bytes).channels], [1, 'Grayscale', 1]);
  assert.deepEqual([...(await sharp(grey.bytes).toColourspace('b-w').raw().toBuffer())], expected);
  assert.deepEqual([...(await raw(colours, { channels: 1 })).bytes], expected);
  const jpeg = await encoded(colours, { encode: 'jpeg', channels: 1 });
  assert.deepEqual([jpeg.format, jpeg.channels, describeEncoded(jpeg.bytes).channels], ['jpeg', 1, 1]);
  // 16-bit red: round(0.299 * 65535) = 19595.
  const red16 = await sharp(new Uint16Array([65535, 0, 0]), { raw: { width: 1, height: 1, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  const g16 = await raw(red16, { channels: 1, depth: 16 });
  assert.deepEqual([g16.dtype, g16.shape, g16.bytes.readUInt16LE(0)], ['uint16', [1, 1, 1], 19595]);
});

test('--channels 3 flattens onto --background with exact rounding; 4 adds an opaque alpha', async () => {
  const rgba = await png([200, 100, 50, 128, 10, 20, 30, 0, 1, 2, 3, 255, 130, 200, 250, 1], 4, 1, 4);
  // round((c * a + background * (255 - a)) / 255), as PIL's alpha_composite (libvips truncates: 0 for 130 at alpha 1).
  const onBlack = await encoded(rgba, { encode: 'png', channels: 3 });
  assert.deepEqual([onBlack.channels, describeEncoded(onBlack.bytes).channels], [3, 3]);
  assert.deepEqual([...(await pixelsOf(onBlack.bytes)).data], [100, 50, 25, 0, 0, 0, 1, 2, 3, 1, 1, 1]);
  const onWhite = await raw(rgba, { channels: 3, background: { r: 255, g: 255, b: 255 } });
  assert.deepEqual([...onWhite.bytes], [227, 177, 152, 255, 255, 255, 1, 2, 3, 255, 255, 255]);
  // JPEG holds no alpha: flattened (default black) and declared 3 channels.
  const jpeg = await encoded(rgba, { encode: 'jpeg' });
  assert.deepEqual([jpeg.channels, describeEncoded(jpeg.bytes).channels], [3, 3]);

  const rgb = await png([1, 2, 3, 4, 5, 6], 2, 1, 3);
  const four = await encoded(rgb, { encode: 'png', channels: 4 });
  assert.deepEqual([four.channels, four.colorspace, describeEncoded(four.bytes).channels], [4, 'RGBA', 4]);
  assert.deepEqual([...(await pixelsOf(four.bytes)).data], [1, 2, 3, 255, 4, 5, 6, 255]);
  const greyFour = await raw(await png([7, 9], 2, 1, 1), { channels: 4 });
  assert.deepEqual([greyFour.shape, [...greyFour.bytes]], [[1, 2, 4], [7, 7, 7, 255, 9, 9, 9, 255]]);
});

test('--resize with every --fit, --background padding, --kernel, --no-enlarge, --resize-shorter and --center-crop', async () => {
  const horse = await readFile(join(IMAGES, 'animals/horse.png')); // 400x328 RGBA
  const sizes: [ImageOptions, number, number][] = [
    [{ fit: 'cover' }, 100, 100], [{ fit: 'contain' }, 100, 100], [{ fit: 'fill' }, 100, 100], [{ fit: 'inside' }, 100, 82], [{ fit: 'outside' }, 122, 100],
  ];
  for (const [o, w, h] of sizes) {
    const image = await raw(horse, { resize: { width: 100, height: 100 }, ...o });
    assert.deepEqual(image.shape, [h, w, 4], o.fit);
  }
  // contain: the 100x82 picture is centred, the 9 rows above it are --background.
  const padded = await raw(horse, { resize: { width: 100, height: 100 }, fit: 'contain', channels: 3, background: { r: 0, g: 0, b: 255 } });
  assert.deepEqual([...padded.bytes.subarray((2 * 100 + 50) * 3, (2 * 100 + 50) * 3 + 3)], [0, 0, 255]);
  assert.deepEqual([...padded.bytes.subarray((97 * 100 + 50) * 3, (97 * 100 + 50) * 3 + 3)], [0, 0, 255]);

  // nearest: a 2x2 picture enlarged to 4x4 is its pixels repeated; lanczos3 blends them.
  const tiny = await png([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255], 2, 2, 3);
  const nearest = await raw(tiny, { resize: { width: 4, height: 4 }, fit: 'fill', kernel: 'nearest' });
  const expected: number[] = [];
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push(...[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]][(y >> 1) * 2 + (x >> 1)]!);
  assert.deepEqual([...nearest.bytes], expected);
  const lanczos = await raw(tiny, { resize: { width: 4, height: 4 }, fit: 'fill', kernel: 'lanczos3' });
  assert.notDeepEqual([...lanczos.bytes], expected);

  // --no-enlarge keeps small images as they are, with --resize and with --resize-shorter.
  const small = await readFile(join(IMAGES, 'graphics/ibasn2c08.png')); // 32x32
  assert.deepEqual((await raw(small, { resizeShorter: 64 })).shape, [64, 64, 3]);
  assert.deepEqual((await raw(small, { resizeShorter: 64, enlarge: false })).shape, [32, 32, 3]);
  assert.deepEqual((await raw(small, { resize: { width: 64, height: 48 }, enlarge: false })).shape, [32, 32, 3]);

  // --center-crop is the centre of the resized image: 200x164 -> 150x150 from (25, 7).
  const resized = await raw(horse, { resizeShorter: 164 });
  const cropped = await raw(horse, { resizeShorter: 164, centerCrop: { width: 150, height: 150 } });
  assert.deepEqual([resized.shape, cropped.shape], [[164, 200, 4], [150, 150, 4]]);
  for (const y of [0, 75, 149]) {
    const row = cropped.bytes.subarray(y * 150 * 4, (y + 1) * 150 * 4);
    const from = ((y + 7) * 200 + 25) * 4;
    assert.ok(row.equals(resized.bytes.subarray(from, from + 150 * 4)), `crop row ${y}`);
  }
});

test('raw tensors of a real image: float32 little-endian, --scale 255|1, both layouts and orders; bytes = product(shape) x dtype size', async () => {
  const source = await readFile(join(IMAGES, 'graphics/ibasn2c08.png')); // 32x32 RGB
  const base = await raw(source);
  const [h, w] = [32, 32];
  for (const channels of [0, 1, 4] as const) {
    const ref = await raw(source, { channels });
    const c = ref.channels;
    for (const dtype of ['uint8', 'float32'] as const) {
      for (const scale of [255, 1] as const) {
        for (const layout of ['hwc', 'chw'] as const) {
          for (const channelOrder of ['rgb', 'bgr'] as const) {
            const label = `${channels} ${dtype} ${scale} ${layout} ${channelOrder}`;
            const t = await raw(source, { channels, dtype, scale, layout, channelOrder });
            const size = dtype === 'uint8' ? 1 : 4;
            assert.deepEqual([t.dtype, t.layout, t.channelOrder], [dtype, layout, channelOrder], label);
            assert.deepEqual(t.shape, layout === 'chw' ? [c, h, w] : [h, w, c], label);
            assert.equal(t.bytes.length, t.shape.reduce((a, b) => a * b, 1) * size, label);
            for (const [y, x] of [[0, 0], [5, 17], [31, 31]] as const) {
              for (let k = 0; k < c; k++) {
                const sourceBand = channelOrder === 'bgr' && c >= 3 && k < 3 ? 2 - k : k;
                const v = ref.bytes[(y * w + x) * c + sourceBand] as number;
                const at = layout === 'chw' ? (k * h + y) * w + x : (y * w + x) * c + k;
                const got = dtype === 'uint8' ? t.bytes[at] : t.bytes.readFloatLE(at * 4);
                const want = dtype === 'uint8' ? v : scale === 1 ? Math.fround(v / 255) : v;
                assert.equal(got, want, `${label} at ${y},${x},${k}`);
              }
            }
          }
        }
      }
    }
  }
  assert.ok(base.bytes.equals(Buffer.from((await sharp(source).raw().toBuffer()))), 'uint8 HWC RGB equals an independent decode');
});

test('16-bit inputs: 8-bit output is v >> 8 (scaled, not clipped); --depth 16 keeps every sample, PNG and raw only', async () => {
  const source = await readFile(join(IMAGES, 'graphics/Flag_of_the_Netherlands-16bit.png'));
  const src = await samples16(source);
  assert.ok(src.some((v) => v > 255 && v < 65535), 'the flag has mid-range 16-bit values');
  const shifted = Buffer.from(src.map((v) => v >> 8));
  assert.ok((await pixelsOf((await encoded(source, { encode: 'png' })).bytes)).data.equals(shifted));
  assert.ok((await raw(source)).bytes.equals(shifted));
  const deep = await encoded(source, { encode: 'png', depth: 16 });
  assert.equal((await sharp(deep.bytes).metadata()).depth, 'ushort');
  assert.deepEqual(await samples16(deep.bytes), src);
  const tensor = await raw(source, { depth: 16 });
  assert.deepEqual([tensor.dtype, tensor.shape, tensor.bytes.length], ['uint16', [600, 900, 3], 600 * 900 * 3 * 2]);
  for (const i of [0, 1, 2, 900 * 300 * 3 + 1, src.length - 1]) assert.equal(tensor.bytes.readUInt16LE(i * 2), src[i], `sample ${i}, little-endian`);
  // 8-bit sources under --depth 16 are widened over the full range (v * 257), grey as colour.
  const grey8 = await readFile(join(IMAGES, 'documents/page.png'));
  const g8 = await raw(grey8);
  const g16 = await raw(grey8, { depth: 16 });
  assert.deepEqual([g16.dtype, g16.shape], ['uint16', g8.shape]);
  for (const i of [0, 1000, g8.bytes.length - 1]) assert.equal(g16.bytes.readUInt16LE(i * 2), (g8.bytes[i] as number) * 257, `grey sample ${i}`);
  for (const encode of ['jpeg', 'keep'] as const) {
    assert.throws(() => resolveImageSettings({ depth: 16, encode }), (e: unknown) => e instanceof InvalidOptionError
      && /png or raw/.test(e.message) && e.message.includes(`encode ${encode}`), encode);
  }
});

test('SVG is rasterised at --density (default 72 dpi)', async () => {
  const check = await readFile(join(IMAGES, 'graphics/check.svg'));
  const at72 = await encoded(check);
  assert.deepEqual([at72.format, at72.width, at72.height], ['png', 100, 100]);
  assert.deepEqual([(await encoded(check, { density: 36 })).width, (await encoded(check, { density: 144 })).width], [50, 200]);
  const embedded = await encoded(await readFile(join(IMAGES, 'graphics/struct-image-04-t.svg')));
  assert.deepEqual([embedded.width, embedded.height, embedded.channels], [480, 360, describeEncoded(embedded.bytes).channels]);
});

test('--max-pixels is the limit for every format; the message names the file and its size', async () => {
  const small = await readFile(join(IMAGES, 'graphics/ibasn2c08.png')); // 32x32
  assert.equal((await encoded(small, { maxPixels: 1024 })).width, 32);
  await assert.rejects(load(small, { maxPixels: 1023 }, 'dir/small.png'), (e: unknown) => e instanceof ImageError && e.problem === 'too-many-pixels'
    && e.message.includes('dir/small.png') && e.message.includes('32x32 = 1024 pixels exceeds --max-pixels 1023'));
  const webp = await readFile(join(IMAGES, 'graphics/5_webp_a.webp')); // 300x300
  await assert.rejects(load(webp, { maxPixels: 89999 }, 'a.webp'), /a\.webp: 300x300 = 90000 pixels exceeds --max-pixels 89999/);
  const svgBomb = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="1" height="1"/></svg>');
  for (const encode of ['keep', 'raw'] as const) {
    await assert.rejects(load(svgBomb, { encode }, 'bomb.svg'), /bomb\.svg: 100000x100000 = 10000000000 pixels exceeds --max-pixels 268402689/);
  }
  const pngBomb = await readFile(join(IMAGES, 'broken/65536-uint32-limit.png'));
  for (const encode of ['keep', 'png', 'raw'] as const) {
    await assert.rejects(load(pngBomb, { encode }, 'bomb.png'), /bomb\.png: 65536x65536 = 4294967296 pixels exceeds/);
  }
});

test('truncated or corrupt files of formats without a header check are errors, not half-grey images', async () => {
  const tiff = await readFile(join(IMAGES, 'objects/tifftag-photoshop.tiff'));
  const webp = await readFile(join(IMAGES, 'graphics/5_webp_a.webp'));
  const svg = await readFile(join(IMAGES, 'graphics/check.svg'));
  for (const [name, bytes] of [['cut.tiff', tiff.subarray(0, tiff.length >> 1)], ['cut.webp', webp.subarray(0, webp.length >> 1)], ['cut.svg', svg.subarray(0, 120)]] as const) {
    for (const encode of ['keep', 'png', 'raw'] as const) {
      await assert.rejects(load(bytes, { encode }, name), (e: unknown) => e instanceof ImageError && e.message.startsWith(`${name}: `), `${name} ${encode}`);
    }
  }
});

test('ICC: keep stores the values as decoders read them and embeds the profile; --icc srgb converts the pixels', async () => {
  // A picture tagged Display P3: its stored values differ from their sRGB rendering.
  const p3 = await sharp(Buffer.from([200, 100, 50, 50, 150, 250]), { raw: { width: 2, height: 1, channels: 3 } }).withIccProfile('p3').png().toBuffer();
  const stored = (await pixelsOf(p3)).data;
  const rendered = await sharp(p3).raw().toBuffer(); // sharp's own sRGB conversion through the profile
  assert.notDeepEqual([...stored], [...rendered]);
  const kept = await encoded(p3, { encode: 'png' });
  assert.deepEqual([...(await pixelsOf(kept.bytes)).data], [...stored]);
  assert.ok(((await sharp(kept.bytes).metadata()).icc?.length ?? 0) > 0, 'profile embedded');
  const converted = await encoded(p3, { encode: 'png', icc: 'srgb' });
  assert.deepEqual([...(await pixelsOf(converted.bytes)).data], [...rendered]);
  assert.deepEqual([...(await raw(p3, { icc: 'srgb' })).bytes], [...rendered]);

  // CMYK with an embedded profile: always converted through it, stored as an sRGB JPEG.
  const cmyk = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 60, b: 40 } } }).withIccProfile('cmyk').jpeg({ quality: 100 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const rgb = await encoded(cmyk);
  assert.deepEqual([rgb.format, rgb.channels, describeEncoded(rgb.bytes).channels, (await sharp(rgb.bytes).metadata()).space], ['jpeg', 3, 3, 'srgb']);
  assert.match(rgb.transcoded ?? '', /CMYK/);
  const managed = await sharp(cmyk).raw().toBuffer();
  const got = (await pixelsOf(rgb.bytes)).data;
  assert.ok(got.every((v, i) => Math.abs(v - (managed[i] as number)) <= 3), `${[...got.subarray(0, 3)]} vs ${[...managed.subarray(0, 3)]}`);
});
