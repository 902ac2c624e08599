import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { checkTfDecodable, identifyUnsupported, sniffFormat } from '../../src/image/index.js';
import { ImageError } from '../../src/errors.js';
import { encoded, IMAGES, load } from './helpers.js';

const DECODABLE = fileURLToPath(new URL('../../fixtures/decodable/', import.meta.url));
const fixture = (name: string): Promise<Buffer> => readFile(join(DECODABLE, name));

/** A GIF whose 1x1 logical screen holds one frame of the given size (its pixel data need not be complete to be refused). */
function gifWithFrame(width: number, height: number): Buffer {
  const head = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1');
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  return Buffer.concat([head, descriptor, Buffer.from([0x02, 0x02, 0x4c, 0x01, 0x00, 0x3b])]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(Number(BigInt.asUintN(32, BigInt(crc32Of(out.subarray(4, 8 + data.length))))), 8 + data.length);
  return out;
}

function crc32Of(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A 3x3 8-bit grey PNG whose image stream inflates to `rows` (IHDR implies 3 x (1 + 3) = 12 bytes; interlaced 15). */
function greyPng(rows: Buffer, interlace = 0, width = 3, height = 3): Buffer {
  const ihdr = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, interlace]);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

test('checkTfDecodable: JPEG frame types TensorFlow refuses (lossless, 12-bit) and keeps (arithmetic 8-bit)', async () => {
  const lossless = await checkTfDecodable(await fixture('testimgl.jpg'));
  assert.deepEqual([lossless.decodable, lossless.problem, lossless.format], [false, 'unsupported', 'jpeg']);
  assert.match(lossless.reason ?? '', /lossless \(SOF3\)/);
  const twelve = await checkTfDecodable(await fixture('monkey12.jpg'));
  assert.equal(twelve.decodable, false);
  assert.match(twelve.reason ?? '', /^12-bit extended sequential \(SOF1\)/);
  const arithmetic = await checkTfDecodable(await readFile(join(IMAGES, 'objects/testimgari.jpg')));
  assert.deepEqual([arithmetic.decodable, arithmetic.reason, arithmetic.header?.jpegFrameMarker], [true, null, 0xc9]);
});

test('checkTfDecodable: PNG bit depths against the spec table, and the image stream inflated and counted', async () => {
  for (const [name, depth] of [['xd0n2c08.png', 0], ['xd3n2c08.png', 3], ['xd9n2c08.png', 99]] as const) {
    const v = await checkTfDecodable(await fixture(name));
    assert.equal(v.problem, 'unsupported', name);
    assert.equal(v.reason, `PNG bit depth ${depth} is illegal for colour type 2 (allowed: 8, 16)`);
  }
  const adler = await checkTfDecodable(await fixture('badadler.png'));
  assert.deepEqual([adler.problem, adler.reason], ['corrupt', 'PNG image data fails its zlib Adler-32 check (libpng refuses it)']);
  assert.equal((await checkTfDecodable(greyPng(Buffer.alloc(12)))).decodable, true);
  assert.match((await checkTfDecodable(greyPng(Buffer.alloc(11)))).reason ?? '', /inflates to 11 bytes where its IHDR implies 12/);
  assert.match((await checkTfDecodable(greyPng(Buffer.alloc(13)))).reason ?? '', /more than the 12 bytes/);
  // Adam7 passes of a 3x3 image (w x h): 1x1, 0x1, 1x0, 1x1, 2x1, 1x2, 3x1 -> rows of (1 + w) bytes: 2 + 0 + 0 + 2 + 3 + 4 + 4 = 15.
  assert.equal((await checkTfDecodable(greyPng(Buffer.alloc(15), 1))).decodable, true);
  assert.equal((await checkTfDecodable(greyPng(Buffer.alloc(12), 1))).decodable, false);
  const cut = deflateSync(Buffer.alloc(12)).subarray(0, 6);
  const truncated = Buffer.concat([greyPng(Buffer.alloc(0)).subarray(0, 33), chunk('IDAT', cut), chunk('IEND', Buffer.alloc(0))]);
  assert.equal((await checkTfDecodable(truncated)).problem, 'truncated');
  // Over 32 MiB inflated, the stream is counted in chunks (memory bounded), with the same verdicts.
  const [w, hgt] = [8000, 4200];
  assert.equal((await checkTfDecodable(greyPng(Buffer.alloc(hgt * (w + 1)), 0, w, hgt))).decodable, true);
  assert.match((await checkTfDecodable(greyPng(Buffer.alloc(hgt * (w + 1) - 1), 0, w, hgt))).reason ?? '', /inflates to 33604199 bytes where its IHDR implies 33604200/);
  assert.match((await checkTfDecodable(greyPng(Buffer.alloc(hgt * (w + 1) + 1), 0, w, hgt))).reason ?? '', /more than the 33604200 bytes/);
  // Real files that every reader decodes pass, interlaced or not.
  for (const file of ['graphics/16-bit-grey-alpha.png']) assert.equal((await checkTfDecodable(await readFile(join(IMAGES, file)))).decodable, true, file);
  assert.equal((await checkTfDecodable(await sharp({ create: { width: 37, height: 5, channels: 4, background: '#123' } }).png({ progressive: true }).toBuffer())).decodable, true);
});

test('checkTfDecodable: every GIF frame counts against maxPixels, not only the logical screen', async () => {
  const bomb = gifWithFrame(65535, 65535);
  const v = await checkTfDecodable(bomb, { maxPixels: 268402689 });
  assert.deepEqual([v.problem, v.header?.width, v.header?.height], ['too-many-pixels', 1, 1]);
  assert.match(v.reason ?? '', /a frame of 4294836225 pixels exceeds --max-pixels 268402689/);
  assert.equal((await checkTfDecodable(gifWithFrame(2, 2), { maxPixels: 4 })).problem, null);
  await assert.rejects(load(bomb), (e: unknown) => e instanceof ImageError && e.problem === 'too-many-pixels' && /a frame of 4294836225 pixels/.test(e.message));
  await assert.rejects(load(bomb, { encode: 'png' }), (e: unknown) => e instanceof ImageError && e.problem === 'too-many-pixels');
});

test('keep mode: a lossless JPEG becomes PNG counted as a transcode; a 12-bit JPEG and illegal PNGs are unsupported, naming why', async () => {
  const lossless = await encoded(join(DECODABLE, 'testimgl.jpg'));
  assert.equal(lossless.format, 'png');
  assert.match(lossless.transcoded ?? '', /^lossless \(SOF3\) JPEG: .*: stored as PNG$/);
  assert.deepEqual([lossless.width, lossless.height, lossless.channels], [227, 149, 3]);
  for (const name of ['monkey12.jpg', 'xd0n2c08.png', 'xd9n2c08.png']) {
    await assert.rejects(load(join(DECODABLE, name)), (e: unknown) => e instanceof ImageError && e.problem === 'unsupported'
      && /12-bit extended sequential \(SOF1\) JPEG|PNG bit depth (0|99) is illegal/.test(e.message) && e.message.includes(name), name);
  }
  await assert.rejects(load(join(DECODABLE, 'badadler.png')), (e: unknown) => e instanceof ImageError && e.problem === 'corrupt' && /Adler-32/.test(e.message));
  await assert.rejects(load(join(DECODABLE, 'badadler.png'), { encode: 'png' }), (e: unknown) => e instanceof ImageError && e.problem === 'corrupt');
  const ari = join(IMAGES, 'objects/testimgari.jpg');
  const kept = await encoded(ari);
  assert.deepEqual([kept.format, kept.transcoded], ['jpeg', null]);
  assert.ok(kept.bytes.equals(await readFile(ari)), 'an 8-bit arithmetic JPEG is stored as it is');
});

test('APNG whose default image is not a frame: the IDAT image (what TensorFlow and PIL show) is stored', async () => {
  const image = await encoded(join(DECODABLE, 'apng_mode_palette.png'));
  assert.equal(image.format, 'png');
  assert.match(image.transcoded ?? '', /default image \(not part of the animation\)/);
  const { data, info } = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
  // PIL: Image.open('mode_palette.png').convert('RGB').getpixel((0, 0)) == (255, 0, 0); frame 1 is green.
  assert.deepEqual([...data.subarray(0, 3)], [255, 0, 0], `${info.width}x${info.height}`);
  assert.equal((await checkTfDecodable(image.bytes)).decodable, true);
});

test('Netpbm is converted with our decoder; other formats are recognised and named unsupported, never "not an image"', async () => {
  const pgmBytes = await fixture('hopper_8bit.pgm');
  assert.equal(sniffFormat(pgmBytes), 'pnm');
  const pgm = await encoded(join(DECODABLE, 'hopper_8bit.pgm'));
  assert.deepEqual([pgm.format, pgm.channels, pgm.width, pgm.height], ['png', 1, 128, 128]);
  const grey = await sharp(pgm.bytes).extractChannel(0).raw().toBuffer();
  // P5 with maxval 255: the samples are the file's last 128 x 128 bytes.
  assert.ok(grey.equals(pgmBytes.subarray(pgmBytes.length - 128 * 128)));
  const pbmBytes = await fixture('hopper_1bit.pbm');
  const pbm = await sharp((await encoded(join(DECODABLE, 'hopper_1bit.pbm'))).bytes).extractChannel(0).raw().toBuffer();
  const bits = pbmBytes.subarray(pbmBytes.length - 16 * 128);
  for (const p of [0, 77, 5000, 16383]) {
    const bit = ((bits[Math.floor(p / 128) * 16 + ((p % 128) >> 3)] as number) >> (7 - (p % 8))) & 1;
    assert.equal(pbm[p], bit === 1 ? 0 : 255, `pixel ${p}`);
  }
  const tga = await fixture('la.tga');
  assert.equal(identifyUnsupported(tga, 'la.tga'), 'TGA image');
  assert.equal(identifyUnsupported(tga, 'la.bin'), null, 'TGA has no signature: the name must say so');
  await assert.rejects(load(join(DECODABLE, 'la.tga')), (e: unknown) => e instanceof ImageError && e.problem === 'unsupported' && /TGA image: not supported/.test(e.message));
  await assert.rejects(load(Buffer.from('8BPS\x00\x01', 'latin1')), (e: unknown) => e instanceof ImageError && e.problem === 'unsupported' && /PSD \(Photoshop\) image/.test(e.message));
  await assert.rejects(load(Buffer.from('P5\n100000 100000\n255\n', 'latin1')), (e: unknown) => e instanceof ImageError && e.problem === 'too-many-pixels');
  await assert.rejects(load(Buffer.from('P5\n4 4\n255\nab', 'latin1')), (e: unknown) => e instanceof ImageError && e.problem === 'truncated');
});

test('a PNG with an empty ancillary chunk (libpng warns, PIL refuses) is stored as a clean PNG with the same pixels', async () => {
  const plain = greyPng(Buffer.from([0, 1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9]));
  const damaged = Buffer.concat([plain.subarray(0, 33), chunk('gAMA', Buffer.alloc(0)), plain.subarray(33)]);
  assert.equal((await checkTfDecodable(damaged)).decodable, true, 'TensorFlow decodes it');
  const image = await encoded(damaged);
  assert.match(image.transcoded ?? '', /empty ancillary chunks/);
  assert.ok(!image.bytes.includes(Buffer.from('gAMA')));
  assert.deepEqual([...(await sharp(image.bytes).extractChannel(0).raw().toBuffer())], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal((await encoded(plain)).transcoded, null);
});

test('signatures: PAM is Netpbm, "P7 332" is an XV thumbnail; a PAM decodes to its channels', async () => {
  const pam = Buffer.concat([Buffer.from('P7\nWIDTH 2\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n', 'latin1'), Buffer.from([1, 2, 3, 255, 4, 5, 6, 0])]);
  assert.equal(sniffFormat(pam), 'pnm');
  assert.equal(sniffFormat(Buffer.from('P7 332\n#XVVERSION', 'latin1')), null);
  assert.equal(identifyUnsupported(Buffer.from('P7 332\n#XVVERSION', 'latin1')), 'XV thumbnail');
  assert.equal(identifyUnsupported(Buffer.from([0, 0, 1, 0, 1, 0, 16, 16])), 'ICO icon');
  assert.equal(identifyUnsupported(Buffer.from('Apache License', 'latin1')), null);
  const image = await encoded(pam);
  assert.deepEqual([image.format, image.channels], ['png', 4]);
  assert.deepEqual([...(await sharp(image.bytes).raw().toBuffer())], [1, 2, 3, 255, 4, 5, 6, 0]);
});

test('files TensorFlow decodes that PIL refuses pass through unchanged: a cut-short Exif segment, zTXt text bombs', async () => {
  // The independent checker decodes with PIL, which refuses both files for reasons outside the
  // image data: PIL parses the Exif segment for the dpi and fails on its 15 bytes; PIL caps text
  // chunks (ImageFile's MAX_TEXT_CHUNK, 1 MB) against decompression bombs. libjpeg ignores APP1,
  // and libpng (TensorFlow's decode_png) bounds text by its chunk malloc limit and needs no text to
  // decode pixels. So the bytes are what TensorFlow reads: store them as they are.
  for (const name of ['truncated_exif_dpi.jpg', 'png_decompression_dos.png']) {
    const bytes = await fixture(name);
    const verdict = await checkTfDecodable(bytes);
    assert.equal(verdict.decodable, true, `${name}: ${verdict.reason ?? ''}`);
    const stored = await encoded(join(DECODABLE, name));
    assert.equal(stored.transcoded, null, name);
    assert.ok(stored.bytes.equals(bytes), `${name} is stored byte for byte`);
    const { info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [stored.width, stored.height], `${name} decodes fully`);
  }
});
