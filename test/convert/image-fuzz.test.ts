import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../../src/convert/convert.js';
import { type ConvertOptions } from '../../src/convert/options/options.js';
import { readRecordFile } from '../../src/record/index.js';
import { decodeExample } from '../../src/example/index.js';

// Seeded image fuzz: mutated fixture images through every mode; every run must complete and
// account for every input. IMAGE_FUZZ_COUNT=2000 (and IMAGE_FUZZ_SEED) for a long run.
const COUNT = Number(process.env.IMAGE_FUZZ_COUNT ?? 40);
const SEED = Number(process.env.IMAGE_FUZZ_SEED ?? 13);

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const BASES = [
  'sample/graphics/ibasn0g04.png', 'sample/graphics/d.png', 'sample/graphics/swiss.png', 'images/graphics/ibasn2c08.png',
  'images/graphics/ibasn3p08.png', 'sample/animals/HappyFish.jpg', 'images/objects/testimgari.jpg',
  'images/documents/8bit_depth.tiff', 'images/graphics/check.svg',
];

/** mulberry32: a tiny seeded PRNG, so every failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const DIMENSIONS = [0, 1, 2, 3, 255, 4096, 40000, 65535, 65536, 2 ** 31 - 1, 2 ** 32 - 1];

/** A small BMP: 16-bit BI_BITFIELDS (RGB565 or ARGB4444 masks) or 24-bit BI_RGB, 5x3 pixels. */
function makeBmp(rng: Rng): Buffer {
  const bits = pick(rng, [16, 24]);
  const width = 5;
  const height = 3;
  const row = Math.ceil((width * bits) / 32) * 4;
  const masks = bits === 16 ? 16 : 0;
  const offset = 14 + 40 + masks;
  const bmp = Buffer.alloc(offset + row * height);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(bmp.length, 2);
  bmp.writeUInt32LE(offset, 10);
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(width, 18);
  bmp.writeInt32LE(height, 22);
  bmp.writeUInt16LE(1, 26);
  bmp.writeUInt16LE(bits, 28);
  bmp.writeUInt32LE(bits === 16 ? 3 : 0, 30);
  bmp.writeUInt32LE(row * height, 34);
  if (bits === 16) {
    const [r, g, b, a] = rng() < 0.5 ? [0xf800, 0x07e0, 0x001f, 0] : [0x0f00, 0x00f0, 0x000f, 0xf000];
    [r, g, b, a].forEach((m, i) => bmp.writeUInt32LE(m as number, 54 + i * 4));
  }
  for (let i = offset; i < bmp.length; i++) bmp[i] = Math.floor(rng() * 256);
  return bmp;
}

function pngChunkAt(bytes: Buffer, type: string): number {
  for (let pos = 8; pos + 12 <= bytes.length;) {
    const length = bytes.readUInt32BE(pos);
    if (bytes.toString('latin1', pos + 4, pos + 8) === type) return pos;
    pos += 12 + length;
  }
  return -1;
}

/** PNG IHDR fields (size, bit depth, colour type, interlace), with its CRC fixed so the damage reaches the decoder. */
function mutatePng(bytes: Buffer, rng: Rng): void {
  const at = pngChunkAt(bytes, 'IHDR');
  if (at < 0) return;
  const field = pick(rng, ['width', 'height', 'depth', 'colour', 'interlace']);
  if (field === 'width' || field === 'height') bytes.writeUInt32BE(pick(rng, DIMENSIONS), at + 8 + (field === 'width' ? 0 : 4));
  else if (field === 'depth') bytes[at + 16] = pick(rng, [0, 1, 2, 3, 4, 8, 16, 99]);
  else if (field === 'colour') bytes[at + 17] = pick(rng, [0, 1, 2, 3, 4, 5, 6, 7]);
  else bytes[at + 20] = pick(rng, [0, 1, 2]);
  if (rng() < 0.8) bytes.writeUInt32BE(crc32(bytes.subarray(at + 4, at + 21)) >>> 0, at + 21);
}

/** JPEG SOF fields: precision, height, width, component count. */
function mutateJpeg(bytes: Buffer, rng: Rng): void {
  for (let pos = 2; pos + 4 <= bytes.length;) {
    if (bytes[pos] !== 0xff) return;
    const marker = bytes[pos + 1] as number;
    const length = bytes.readUInt16BE(pos + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const field = pick(rng, ['precision', 'height', 'width', 'components', 'marker']);
      if (field === 'precision') bytes[pos + 4] = pick(rng, [0, 1, 8, 12, 16, 255]);
      else if (field === 'height') bytes.writeUInt16BE(pick(rng, [0, 1, 3507, 65535]), pos + 5);
      else if (field === 'width') bytes.writeUInt16BE(pick(rng, [0, 1, 40000, 65535]), pos + 7);
      else if (field === 'components') bytes[pos + 9] = pick(rng, [0, 1, 2, 4, 255]);
      else bytes[pos + 1] = pick(rng, [0xc1, 0xc2, 0xc3, 0xc5, 0xc9, 0xcb, 0xcd, 0xcf]);
      return;
    }
    pos += 2 + length;
  }
}

/** TIFF IFD entries: ImageWidth, ImageLength, BitsPerSample, Photometric, SamplesPerPixel, ExtraSamples. */
function mutateTiff(bytes: Buffer, rng: Rng): void {
  const le = bytes[0] === 0x49;
  const u16 = (at: number): number => (le ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const ifd = le ? bytes.readUInt32LE(4) : bytes.readUInt32BE(4);
  if (ifd + 2 > bytes.length) return;
  const tags: Record<number, readonly number[]> = {
    256: DIMENSIONS, 257: DIMENSIONS, 258: [0, 1, 2, 4, 8, 12, 16, 32, 64], 262: [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 32844],
    277: [0, 1, 2, 3, 4, 5, 255], 338: [0, 1, 2, 3], 339: [1, 2, 3, 4],
  };
  const wanted = Number(pick(rng, Object.keys(tags)));
  for (let i = 0, n = u16(ifd); i < n; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > bytes.length) return;
    if (u16(entry) !== wanted) continue;
    const value = pick(rng, tags[wanted] as readonly number[]);
    // Short values sit in the first two bytes of the value field; long ones take all four.
    if (u16(entry + 2) === 3) {
      if (le) bytes.writeUInt16LE(value & 0xffff, entry + 8); else bytes.writeUInt16BE(value & 0xffff, entry + 8);
    } else if (le) bytes.writeUInt32LE(value >>> 0, entry + 8); else bytes.writeUInt32BE(value >>> 0, entry + 8);
    return;
  }
}

/** BMP header fields: size, bit count, compression, masks, offsets; or the file cut inside its masks. */
function mutateBmp(bytes: Buffer, rng: Rng): Buffer {
  if (rng() < 0.15) {
    // Issue 13's 58-byte BI_BITFIELDS BMP: the masks are cut off.
    bytes.writeUInt32LE(3, 30);
    return bytes.subarray(0, 58);
  }
  const field = pick(rng, ['width', 'height', 'bits', 'compression', 'mask', 'offset']);
  if (field === 'width' || field === 'height') bytes.writeInt32LE(pick(rng, [0, 1, -1, -3, 65535, 2 ** 31 - 1, -(2 ** 31)]), field === 'width' ? 18 : 22);
  else if (field === 'bits') bytes.writeUInt16LE(pick(rng, [0, 1, 4, 8, 15, 16, 24, 32, 64]), 28);
  else if (field === 'compression') bytes.writeUInt32LE(pick(rng, [0, 1, 2, 3, 4, 5, 6]), 30);
  else if (field === 'mask') bytes.writeUInt32LE(pick(rng, [0, 1, 0xffffffff, 0x80000001, 0x00ff00ff]), 54 + 4 * Math.floor(rng() * 4));
  else if (field === 'offset') bytes.writeUInt32LE(pick(rng, [0, 14, 54, 1 << 20, 0xffffffff]), 10);
  return bytes;
}

/** GIF logical screen and first image descriptor sizes. */
function mutateGif(bytes: Buffer, rng: Rng): void {
  const frame = bytes.indexOf(0x2c, 13);
  const at = rng() < 0.5 || frame < 0 ? 6 + (rng() < 0.5 ? 0 : 2) : frame + 5 + (rng() < 0.5 ? 0 : 2);
  if (at + 2 <= bytes.length) bytes.writeUInt16LE(pick(rng, [0, 1, 16000, 65535]), at);
}

function mutateSvg(bytes: Buffer, rng: Rng): Buffer {
  const text = bytes.toString('latin1');
  const kind = pick(rng, ['size', 'nul', 'unclosed', 'filter']);
  if (kind === 'size') return Buffer.from(text.replace('<svg ', `<svg width="${pick(rng, [0, 1, 20000, 1e9])}" height="${pick(rng, [1, 3000, 1e9])}" `), 'latin1');
  if (kind === 'nul') {
    const at = Math.floor(rng() * bytes.length);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from([0]), bytes.subarray(at)]);
  }
  if (kind === 'unclosed') return Buffer.from(text.replace('</svg>', ''), 'latin1');
  return Buffer.from(text.replace('<path', '<filter id="f"><feGaussianBlur stdDeviation="3"/></filter><path filter="url(#f)"'), 'latin1');
}

/** Generic damage on top: byte flips, a truncation or an insertion. */
function damage(bytes: Buffer, rng: Rng): Buffer {
  const kind = pick(rng, ['none', 'flip', 'truncate', 'insert']);
  if (kind === 'flip') {
    const out = Buffer.from(bytes);
    for (let i = 0, n = 1 + Math.floor(rng() * 8); i < n; i++) {
      const at = Math.floor(rng() * out.length);
      out[at] = (out[at] as number) ^ (1 << Math.floor(rng() * 8));
    }
    return out;
  }
  if (kind === 'truncate') return bytes.subarray(0, Math.floor(rng() * bytes.length));
  if (kind === 'insert') {
    const at = Math.floor(rng() * bytes.length);
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(rng() * 16) }, () => Math.floor(rng() * 256))), bytes.subarray(at)]);
  }
  return bytes;
}

async function buildCorpus(dir: string): Promise<string[]> {
  const rng = prng(SEED);
  const bases = await Promise.all(BASES.map(async (p) => ({ ext: p.slice(p.lastIndexOf('.') + 1), bytes: await readFile(join(FIXTURES, p)) })));
  const gif = Buffer.from('R0lGODlhAwACAPAAAP8AAAAA/yH5BAAAAAAALAAAAAADAAIAAAICBAoAOw==', 'base64');
  const files: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const choice = Math.floor(rng() * (bases.length + 2));
    const base = choice < bases.length ? bases[choice] as { ext: string; bytes: Buffer }
      : choice === bases.length ? { ext: 'bmp', bytes: makeBmp(rng) } : { ext: 'gif', bytes: gif };
    let bytes: Buffer = Buffer.from(base.bytes);
    if (base.ext === 'png') mutatePng(bytes, rng);
    else if (base.ext === 'jpg') mutateJpeg(bytes, rng);
    else if (base.ext === 'tiff') mutateTiff(bytes, rng);
    else if (base.ext === 'bmp') bytes = mutateBmp(bytes, rng);
    else if (base.ext === 'gif') mutateGif(bytes, rng);
    else bytes = mutateSvg(bytes, rng);
    bytes = damage(bytes, rng);
    const rel = `${base.ext}/m${String(i).padStart(5, '0')}.${base.ext}`;
    await mkdir(join(dir, base.ext), { recursive: true });
    await writeFile(join(dir, rel), bytes);
    files.push(rel);
  }
  return files.sort();
}

const MODES: readonly { name: string; options: Partial<ConvertOptions> }[] = [
  { name: 'keep', options: {} },
  { name: 'png', options: { encode: 'png' } },
  { name: 'jpeg', options: { encode: 'jpeg' } },
  { name: 'raw', options: { encode: 'raw' } },
  { name: 'caffe-lmdb', options: { target: 'caffe-lmdb' } },
];

test(`image fuzz: ${COUNT} seeded mutations (seed ${SEED}) in every mode; every run completes and accounts for every input`, async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-imagefuzz-'));
  const input = join(root, 'in');
  const files = await buildCorpus(input);
  for (const mode of MODES) {
    const output = join(root, mode.name);
    // A low pixel limit keeps the suite fast: the run, not the size, is under test here.
    const summary = await convert({ input, output, maxPixels: 2 ** 20, jobs: 2, ...mode.options });
    const where = `mode ${mode.name}, seed ${SEED}`;
    assert.equal(summary.found, files.length, where);
    assert.equal(summary.records + summary.skipped + summary.ignored, summary.found, where);
    const reported = [...summary.errors.map((e) => e.path), ...summary.ignoredFiles.map((f) => f.path)];
    assert.equal(new Set(reported).size, reported.length, `${where}: a file reported twice`);
    for (const path of reported) assert.ok(files.includes(path), `${where}: ${path} is not an input`);
    for (const error of summary.errors) assert.match(error.reason, new RegExp(`^${error.path.replace(/[.]/g, '\\.')}: `), `${where}: message names the file`);
    if (mode.name === 'caffe-lmdb') continue;
    const stored: string[] = [];
    for (const name of (await readdir(output)).filter((n) => n.endsWith('.tfrecord'))) {
      for await (const record of readRecordFile(join(output, name))) {
        const filename = decodeExample(record.data).features['image/filename'];
        assert.ok(filename?.kind === 'bytes');
        stored.push(Buffer.from(filename.values[0] as Uint8Array).toString('utf8'));
      }
    }
    // Every input is in exactly one place: a record, or the report.
    assert.deepEqual([...stored, ...reported].sort(), files, where);
  }
});
