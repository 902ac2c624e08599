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
