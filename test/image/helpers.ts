// Shared helpers of the image tests (not a test file itself): load bytes or a file through the image step.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadImage, resolveImageSettings, type EncodedImage, type ImageOptions, type RawImage } from '../../src/image/index.js';

/** fixtures/images/, the real-world quirks the image tests read. */
export const IMAGES = fileURLToPath(new URL('../../fixtures/images/', import.meta.url));

/** Bytes (or the file at a path) through loadImage with the given options. */
export async function load(input: Buffer | string, options: ImageOptions = {}, path = 'mem.img'): Promise<EncodedImage | RawImage> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  return loadImage(bytes, resolveImageSettings(options), { path: typeof input === 'string' ? input : path });
}

/** Like {@link load}, asserting that the result is encoded bytes. */
export async function encoded(input: Buffer | string, options: ImageOptions = {}): Promise<EncodedImage> {
  const image = await load(input, options);
  assert.equal(image.kind, 'encoded');
  return image as EncodedImage;
}

/** Like {@link load} with `encode: 'raw'`, asserting that the result is a raw tensor. */
export async function raw(input: Buffer | string, options: ImageOptions = {}): Promise<RawImage> {
  const image = await load(input, { encode: 'raw', ...options });
  assert.equal(image.kind, 'raw');
  return image as RawImage;
}

/** 8-bit RGBA pixels of an image, row by row. */
export interface Rgba { readonly data: Buffer; readonly width: number; readonly height: number }

/** A 24-bit bottom-up BI_RGB BMP read by hand (sharp's prebuilt libvips has no BMP loader). */
export function decodeBmp24(bytes: Buffer): Rgba {
  assert.equal(bytes.readUInt16LE(28), 24, 'the fixture BMP is 24-bit');
  const [width, height, offset] = [bytes.readInt32LE(18), bytes.readInt32LE(22), bytes.readUInt32LE(10)];
  const row = Math.ceil((width * 3) / 4) * 4;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = offset + (height - 1 - y) * row + x * 3;
      data.set([bytes[at + 2] as number, bytes[at + 1] as number, bytes[at] as number, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

/**
 * A BI_RGB BMP of zeroed pixels by hand: bottom-up, rows padded to 4 bytes, pixels at offset 54,
 * `extra` trailing bytes; `rowBytes` is the padded row size, for filling the pixels.
 */
export function blankBmp(width: number, height: number, bpp: 24 | 32, extra = 0): { bytes: Buffer; rowBytes: number } {
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  const out = Buffer.alloc(54 + rowBytes * height + extra);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  return { bytes: out, rowBytes };
}
