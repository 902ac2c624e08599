/** Decodes uncompressed BMP pixels, which sharp's prebuilt libvips cannot read. */
import { HeaderProblem } from './headers.js';

/** Decoded pixels, top row first, interleaved RGB or RGBA. */
export interface DecodedPixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Where a BMP's parts are, every field checked against the file's length. */
interface BmpLayout {
  readonly pixelOffset: number;
  readonly width: number;
  readonly height: number;
  readonly bottomUp: boolean;
  readonly bpp: number;
  readonly rowBytes: number;
  readonly masks: readonly [number, number, number, number];
  readonly hasAlpha: boolean;
  readonly paletteAt: number;
  readonly colours: number;
}

/** Reads and bounds-checks the header, masks and palette: a short or inconsistent file throws HeaderProblem, never RangeError. */
function readLayout(buf: Buffer): BmpLayout {
  if (buf.length < 54) throw new HeaderProblem('truncated', `BMP ends at byte ${buf.length}, inside its 54-byte header`);
  const pixelOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  if (dibSize < 40) throw new HeaderProblem('unsupported', `BMP with a ${dibSize}-byte info header (OS/2 bitmaps are not supported)`);
  if (14 + dibSize > buf.length) throw new HeaderProblem('truncated', `BMP ends at byte ${buf.length}, inside its ${dibSize}-byte info header`);
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const height = Math.abs(rawHeight);
  const bpp = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  if (width <= 0 || height === 0) throw new HeaderProblem('corrupt', `BMP declares a ${width}x${rawHeight} image`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new HeaderProblem('corrupt', `BMP with ${bpp} bits per pixel`);
  // 3 BI_BITFIELDS, 6 BI_ALPHABITFIELDS: channel masks, valid only for 16 and 32 bits per pixel.
  const bitfields = compression === 3 || compression === 6;
  if (compression !== 0 && !bitfields) throw new HeaderProblem('unsupported', `RLE/JPEG/PNG-compressed BMP (compression ${compression}) is not supported`);
  if (bitfields && bpp !== 16 && bpp !== 32) throw new HeaderProblem('corrupt', `BMP with bit-field compression at ${bpp} bits per pixel (only 16 and 32 have masks)`);
  const rowBytes = Math.ceil((width * bpp) / 32) * 4;
  if (pixelOffset + rowBytes * height > buf.length) {
    throw new HeaderProblem('truncated', `BMP pixel data needs ${pixelOffset + rowBytes * height} bytes but the file has ${buf.length}`);
  }
  let masks: [number, number, number, number] = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0x00ff00, 0x0000ff, 0];
  // Masks follow a 40-byte header (3, or 4 with alpha), or sit inside a V2+ (52-byte and longer) header.
  const maskCount = dibSize >= 56 || compression === 6 ? 4 : 3;
  const masksAfterHeader = bitfields && dibSize < 52 ? maskCount * 4 : 0;
  if (bitfields) {
    if (54 + maskCount * 4 > buf.length) throw new HeaderProblem('truncated', `BMP ends at byte ${buf.length}, inside its ${maskCount} colour masks`);
    masks = [buf.readUInt32LE(54), buf.readUInt32LE(58), buf.readUInt32LE(62), maskCount === 4 ? buf.readUInt32LE(66) : 0];
  }
  // A BI_RGB 32-bit file with a V3+ header may still name an alpha mask (rgba32h56-style writers).
  const rgbAlpha = bpp === 32 && compression === 0 && dibSize >= 56 && buf.readUInt32LE(14 + 52) !== 0;
  const hasAlpha = (bitfields && masks[3] !== 0) || rgbAlpha;
  const paletteAt = 14 + dibSize + masksAfterHeader;
  let colours = 0;
  if (bpp <= 8) {
    const declared = buf.readUInt32LE(46) || 2 ** bpp;
    // Only the entries inside the file exist; a pixel naming another one is reported when decoded.
    colours = Math.min(declared, Math.floor((buf.length - paletteAt) / 4));
    if (colours <= 0) throw new HeaderProblem('truncated', `BMP ends at byte ${buf.length}, before its palette`);
  }
  return { pixelOffset, width, height, bottomUp: rawHeight > 0, bpp, rowBytes, masks, hasAlpha, paletteAt, colours };
}

/**
 * Decodes a BMP with 1, 4, 8 (palette), 16, 24 or 32 bits per pixel, uncompressed (BI_RGB) or with
 * bit fields (BI_BITFIELDS, BI_ALPHABITFIELDS; an alpha mask gives RGBA at 16 and 32 bits),
 * bottom-up or top-down. RLE-compressed and truncated BMPs throw HeaderProblem.
 *
 * @example
 * const { data, width, height, channels } = decodeBmp(bytes);
 */
export function decodeBmp(bytes: Uint8Array): DecodedPixels {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { pixelOffset, width, height, bottomUp, bpp, rowBytes, masks, hasAlpha, paletteAt, colours } = readLayout(buf);
  const channels: 3 | 4 = hasAlpha ? 4 : 3;
  const out = Buffer.alloc(width * height * channels);
  const fields = masks.map(maskShift);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (bottomUp ? height - 1 - y : y) * rowBytes;
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      let a = 255;
      if (bpp <= 8) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)] as number;
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (index >= colours) throw new HeaderProblem('corrupt', `BMP pixel refers to colour ${index} of a ${colours}-colour palette`);
        const p = paletteAt + index * 4;
        [b, g, r] = [buf[p] as number, buf[p + 1] as number, buf[p + 2] as number];
      } else if (bpp === 24) {
        const p = row + x * 3;
        [b, g, r] = [buf[p] as number, buf[p + 1] as number, buf[p + 2] as number];
      } else {
        const v = bpp === 16 ? buf.readUInt16LE(row + x * 2) : buf.readUInt32LE(row + x * 4);
        const [fr, fg, fb, fa] = fields as [ReturnType<typeof maskShift>, ReturnType<typeof maskShift>, ReturnType<typeof maskShift>, ReturnType<typeof maskShift>];
        // Each field scaled to 0..255 rounded to nearest: bmpsuite's reference PNGs exactly (PIL is
        // one level off on about 40% of 5- and 6-bit values; see test/image/pixels.test.ts).
        const scale = (f: { shift: number; max: number }, mask: number): number => (f.max === 0 ? 0 : Math.round((((v & mask) >>> f.shift) * 255) / f.max));
        r = scale(fr, masks[0]);
        g = scale(fg, masks[1]);
        b = scale(fb, masks[2]);
        if (hasAlpha) a = masks[3] !== 0 ? scale(fa, masks[3]) : (v >>> 24) & 0xff;
      }
      const o = (y * width + x) * channels;
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return { data: out, width, height, channels };
}
