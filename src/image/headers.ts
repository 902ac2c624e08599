/** Reads and checks image headers without decoding pixels: size, channels as TensorFlow sees them, integrity. */
import { crc32 } from 'node:zlib';
import { sniffFormat, type StoredFormat } from './sniff.js';

/** What a stored image is, as `tf.io.decode_image(bytes)` (channels=0) would return it. */
export interface EncodedInfo {
  readonly format: StoredFormat;
  readonly width: number;
  readonly height: number;
  /** What tf.io.decode_image returns: JPEG grey 1, colour/CMYK 3; PNG by colour type; GIF 3; BMP bits/8. */
  readonly channels: number;
  /** 'Grayscale', 'GrayscaleAlpha', 'RGB', 'RGBA' (from channels). */
  readonly colorspace: string;
}

/** Header facts beyond {@link EncodedInfo}, used to decide whether bytes can be stored as they are. */
export interface HeaderFacts extends EncodedInfo {
  /** JPEG: number of components (4 = CMYK or YCCK). */
  readonly components: number;
  /** PNG bit depth; BMP bits per pixel; JPEG sample precision. */
  readonly bitDepth: number;
  /** Frames in an animated GIF or APNG (1 otherwise). */
  readonly frames: number;
  /** PNG: an acTL chunk is present (an APNG, perhaps of one frame). */
  readonly pngAnimated: boolean;
  /** PNG: a known ancillary chunk that must carry data is empty (libpng warns; PIL refuses the file). */
  readonly pngEmptyAncillary: boolean;
  /** JPEG arithmetic coding, lossless or 12-bit: decoders other than libjpeg-turbo may refuse them. */
  readonly unusualJpeg: boolean;
  /** BMP compression field (0 = BI_RGB, 3 = BI_BITFIELDS). */
  readonly bmpCompression: number;
  /**
   * BMP: the file is exactly pixel offset + rows (TensorFlow's decode_bmp refuses any other size,
   * trailing bytes included). True for other formats.
   */
  readonly bmpExactSize: boolean;
  /** APNG: whether the default image (IDAT) is the animation's first frame (an fcTL precedes it). */
  readonly apngDefaultIsFrame: boolean;
  /** GIF: the colour behind the first frame's transparent index, as PIL reports transparent pixels. */
  readonly gifTransparentRgb: readonly [number, number, number] | null;
  /** JPEG: an APP2 `ICC_PROFILE` segment is present (colours are defined by an embedded profile). */
  readonly jpegIccProfile: boolean;
  /** JPEG: the first frame header's marker (0xc0 baseline, 0xc2 progressive, 0xc3 lossless, ...); 0 otherwise. */
  readonly jpegFrameMarker: number;
  /** PNG: IHDR colour type, compression, filter and interlace methods; -1 otherwise. */
  readonly pngColorType: number;
  readonly pngInterlace: number;
  readonly pngMethods: number;
  /** PNG: whether a PLTE chunk precedes the image data. */
  readonly pngHasPalette: boolean;
  /** GIF: the largest frame's pixel count (a frame may be larger than the logical screen); width x height otherwise. */
  readonly largestFramePixels: number;
}

/** Why headers were rejected: the caller turns this into an ImageError with the file's name. */
export class HeaderProblem extends Error {
  readonly problem: 'truncated' | 'corrupt' | 'not-an-image' | 'unsupported';
  constructor(problem: 'truncated' | 'corrupt' | 'not-an-image' | 'unsupported', message: string) {
    super(message);
    this.problem = problem;
  }
}

/**
 * Colorspace name for a channel count, as TensorFlow's converters write it.
 *
 * @example
 * colorspaceOf(3); // 'RGB'
 */
export function colorspaceOf(channels: number): string {
  return ['Unknown', 'Grayscale', 'GrayscaleAlpha', 'RGB', 'RGBA'][channels] ?? 'Unknown';
}

/**
 * Parses and checks the headers of a JPEG, PNG, GIF or BMP without decoding pixels: JPEG markers
 * up to an end-of-image marker, PNG chunk CRCs up to IEND, GIF blocks up to the trailer, BMP sizes.
 * Throws {@link HeaderProblem} for truncated or corrupt bytes.
 *
 * @example
 * readHeaderFacts(await readFile('a.png')).channels; // 4 for RGBA
 */
export function readHeaderFacts(bytes: Uint8Array): HeaderFacts {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = sniffFormat(buf);
  switch (format) {
    case 'jpeg':
      return readJpeg(buf);
    case 'png':
      return readPng(buf);
    case 'gif':
      return readGif(buf);
    case 'bmp':
      return readBmp(buf);
    default:
      throw new HeaderProblem('not-an-image', format === null ? 'not a JPEG, PNG, GIF or BMP' : `${format} is not a format TensorFlow decodes`);
  }
}

/**
 * Format, size and channels of stored image bytes, from headers alone, as TensorFlow decodes them.
 *
 * @example
 * describeEncoded(jpegBytes); // { format: 'jpeg', width: 640, height: 480, channels: 3, colorspace: 'RGB' }
 */
export function describeEncoded(bytes: Uint8Array): EncodedInfo {
  const { format, width, height, channels, colorspace } = readHeaderFacts(bytes);
  return { format, width, height, channels, colorspace };
}

function facts(format: StoredFormat, width: number, height: number, channels: number, extra: Partial<HeaderFacts> = {}): HeaderFacts {
  return {
    format, width, height, channels, colorspace: colorspaceOf(channels),
    components: channels, bitDepth: 8, frames: 1, pngAnimated: false, pngEmptyAncillary: false, unusualJpeg: false, bmpCompression: 0, bmpExactSize: true,
    apngDefaultIsFrame: true, gifTransparentRgb: null, jpegIccProfile: false, jpegFrameMarker: 0, pngColorType: -1, pngInterlace: -1, pngMethods: -1,
    pngHasPalette: false, largestFramePixels: width * height, ...extra,
  };
}

// JPEG markers that stand alone (no length field).
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function readJpeg(buf: Buffer): HeaderFacts {
  let pos = 2;
  let sof: { width: number; height: number; components: number; precision: number; marker: number } | null = null;
  let sawScan = false;
  let iccProfile = false;
  for (;;) {
    if (pos >= buf.length) throw new HeaderProblem('truncated', `JPEG ends at byte ${buf.length} without an end-of-image marker`);
    if (buf[pos] !== 0xff) {
      throw new HeaderProblem('corrupt', `JPEG segment at byte ${pos} does not start with a marker (0x${(buf[pos] ?? 0).toString(16)})`);
    }
    // Fill bytes (repeated 0xFF) may precede a marker.
    while (pos < buf.length && buf[pos] === 0xff) pos++;
    if (pos >= buf.length) throw new HeaderProblem('truncated', 'JPEG ends inside a marker');
    const marker = buf[pos] as number;
    pos++;
    if (marker === 0xd9) {
      if (!sawScan || sof === null) throw new HeaderProblem('corrupt', 'JPEG ends before any image data');
      break;
    }
    if (marker === 0xd8 || marker === 0x00) throw new HeaderProblem('corrupt', `unexpected JPEG marker 0xff${marker.toString(16).padStart(2, '0')} at byte ${pos - 2}`);
    if (isStandalone(marker)) continue;
    if (pos + 2 > buf.length) throw new HeaderProblem('truncated', `JPEG ends inside the segment at byte ${pos - 2}`);
    const length = buf.readUInt16BE(pos);
    if (length < 2) throw new HeaderProblem('corrupt', `JPEG segment at byte ${pos - 2} has an invalid length ${length}`);
    if (pos + length > buf.length) {
      throw new HeaderProblem('truncated', `JPEG segment 0xff${marker.toString(16)} at byte ${pos - 2} declares ${length} bytes but the file ends ${buf.length - pos} bytes later`);
    }
    if (isSof(marker)) {
      if (length < 8) throw new HeaderProblem('corrupt', 'JPEG frame header too short');
      const precision = buf[pos + 2] as number;
      const height = buf.readUInt16BE(pos + 3);
      const width = buf.readUInt16BE(pos + 5);
      const components = buf[pos + 7] as number;
      if (width === 0 || height === 0) throw new HeaderProblem('corrupt', `JPEG frame header declares a ${width}x${height} image`);
      if (![1, 3, 4].includes(components)) throw new HeaderProblem('corrupt', `JPEG with ${components} components`);
      if (length < 8 + 3 * components) throw new HeaderProblem('corrupt', 'JPEG frame header too short for its components');
      sof ??= { width, height, components, precision, marker };
    }
    if (marker === 0xe2 && length >= 14 && buf.toString('latin1', pos + 2, pos + 14) === 'ICC_PROFILE\0') iccProfile = true;
    pos += length;
    if (marker === 0xda) {
      if (sof === null) throw new HeaderProblem('corrupt', 'JPEG scan before the frame header');
      sawScan = true;
      // Entropy-coded data: skip to the next marker that is not a stuffed 0xFF00 or a restart marker.
      for (;;) {
        const ff = buf.indexOf(0xff, pos);
        if (ff === -1 || ff + 1 >= buf.length) throw new HeaderProblem('truncated', `JPEG ends at byte ${buf.length} inside image data, without an end-of-image marker`);
        const next = buf[ff + 1] as number;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
          pos = next === 0xff ? ff + 1 : ff + 2;
          continue;
        }
        pos = ff;
        break;
      }
    }
  }
  const { width, height, components, precision, marker } = sof as NonNullable<typeof sof>;
  // Arithmetic (0xC9-0xCB, 0xCD-0xCF), lossless (0xC3, 0xC7, 0xCB, 0xCF) or 12-bit JPEGs.
  const unusualJpeg = marker >= 0xc9 || marker === 0xc3 || marker === 0xc7 || precision !== 8;
  return facts('jpeg', width, height, components === 1 ? 1 : 3, { components, bitDepth: precision, unusualJpeg, jpegIccProfile: iccProfile, jpegFrameMarker: marker });
}

const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };
/** Ancillary chunks the PNG spec gives a non-empty body. */
const NON_EMPTY_ANCILLARY = new Set(['bKGD', 'cHRM', 'eXIf', 'gAMA', 'hIST', 'iCCP', 'iTXt', 'pCAL', 'pHYs', 'sCAL', 'sPLT', 'sRGB', 'sTER', 'tEXt', 'tIME', 'zTXt']);

function readPng(buf: Buffer): HeaderFacts {
  let pos = 8;
  let ihdr: { width: number; height: number; bitDepth: number; colorType: number; methods: number; interlace: number } | null = null;
  let hasTrns = false;
  let hasPalette = false;
  let frames = 1;
  let sawData = false;
  let sawFrameControl = false;
  let defaultIsFrame = true;
  let animated = false;
  let emptyAncillary = false;
  for (;;) {
    if (pos + 8 > buf.length) throw new HeaderProblem('truncated', `PNG ends at byte ${buf.length} without an IEND chunk`);
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (length > 0x7fffffff) throw new HeaderProblem('corrupt', `PNG chunk "${type}" at byte ${pos} has an invalid length`);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new HeaderProblem('corrupt', `PNG chunk at byte ${pos} has an invalid type`);
    const end = pos + 8 + length + 4;
    if (end > buf.length) throw new HeaderProblem('truncated', `PNG ends inside the "${type}" chunk at byte ${pos} (file is ${buf.length} bytes)`);
    const stored = buf.readUInt32BE(pos + 8 + length);
    if ((crc32(buf.subarray(pos + 4, pos + 8 + length)) >>> 0) !== stored) {
      throw new HeaderProblem('corrupt', `PNG chunk "${type}" at byte ${pos} fails its CRC check`);
    }
    const data = buf.subarray(pos + 8, pos + 8 + length);
    if (length === 0 && NON_EMPTY_ANCILLARY.has(type)) emptyAncillary = true;
    if (ihdr === null && type !== 'IHDR') throw new HeaderProblem('corrupt', 'PNG does not start with an IHDR chunk');
    if (type === 'IHDR') {
      if (length !== 13) throw new HeaderProblem('corrupt', 'PNG IHDR chunk has the wrong length');
      ihdr = {
        width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8] as number, colorType: data[9] as number,
        // Compression and filter methods must both be 0: one number that is 0 when they are.
        methods: ((data[10] as number) << 8) | (data[11] as number), interlace: data[12] as number,
      };
      if (ihdr.width === 0 || ihdr.height === 0) throw new HeaderProblem('corrupt', `PNG declares a ${ihdr.width}x${ihdr.height} image`);
      if (PNG_CHANNELS[ihdr.colorType] === undefined) throw new HeaderProblem('corrupt', `PNG colour type ${ihdr.colorType} is invalid`);
    } else if (type === 'tRNS') hasTrns = true;
    else if (type === 'PLTE' && !sawData) hasPalette = true;
    else if (type === 'acTL' && length >= 4) {
      frames = Math.max(1, data.readUInt32BE(0));
      animated = true;
    }
    else if (type === 'fcTL') sawFrameControl = true;
    else if (type === 'IDAT') {
      if (!sawData) defaultIsFrame = sawFrameControl;
      sawData = true;
    }
    else if (type === 'IEND') break;
    pos = end;
  }
  if (ihdr === null || !sawData) throw new HeaderProblem('corrupt', 'PNG has no image data');
  // TensorFlow's decode_png: palette gives 3 channels, or 4 with a tRNS chunk; others png_get_channels.
  const channels = ihdr.colorType === 3 ? (hasTrns ? 4 : 3) : (PNG_CHANNELS[ihdr.colorType] as number);
  return facts('png', ihdr.width, ihdr.height, channels, {
    bitDepth: ihdr.bitDepth, frames, pngAnimated: animated, pngEmptyAncillary: emptyAncillary, apngDefaultIsFrame: defaultIsFrame, pngColorType: ihdr.colorType,
    pngInterlace: ihdr.interlace, pngMethods: ihdr.methods, pngHasPalette: hasPalette,
  });
}

function readGif(buf: Buffer): HeaderFacts {
  if (buf.length < 13) throw new HeaderProblem('truncated', 'GIF ends inside its header');
  const width = buf.readUInt16LE(6);
  const height = buf.readUInt16LE(8);
  if (width === 0 || height === 0) throw new HeaderProblem('corrupt', `GIF declares a ${width}x${height} image`);
  const flags = buf[10] as number;
  const globalTable = (flags & 0x80) !== 0 ? 13 : -1;
  let pos = 13 + ((flags & 0x80) !== 0 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  let frames = 0;
  let largestFramePixels = width * height;
  let transparentIndex = -1;
  let gifTransparentRgb: readonly [number, number, number] | null = null;
  const skipSubBlocks = (): void => {
    for (;;) {
      if (pos >= buf.length) throw new HeaderProblem('truncated', `GIF ends at byte ${buf.length} inside a data block`);
      const size = buf[pos] as number;
      pos += 1 + size;
      if (size === 0) return;
    }
  };
  for (;;) {
    if (pos >= buf.length) throw new HeaderProblem('truncated', `GIF ends at byte ${buf.length} without its trailer`);
    const block = buf[pos] as number;
    if (block === 0x3b) break;
    if (block === 0x21) {
      // A graphic control extension before the first frame names its transparent colour index.
      if (frames === 0 && buf[pos + 1] === 0xf9 && pos + 7 < buf.length && ((buf[pos + 3] as number) & 1) === 1) {
        transparentIndex = buf[pos + 6] as number;
      }
      pos += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      if (pos + 10 > buf.length) throw new HeaderProblem('truncated', 'GIF ends inside an image descriptor');
      const local = buf[pos + 9] as number;
      // Each frame is decoded at its own size: a 1x1 screen may hold a 65535x65535 frame.
      largestFramePixels = Math.max(largestFramePixels, buf.readUInt16LE(pos + 5) * buf.readUInt16LE(pos + 7));
      const table = (local & 0x80) !== 0 ? pos + 10 : globalTable;
      if (frames === 0 && transparentIndex >= 0 && table >= 0 && table + 3 * transparentIndex + 3 <= buf.length) {
        const at = table + 3 * transparentIndex;
        gifTransparentRgb = [buf[at] as number, buf[at + 1] as number, buf[at + 2] as number];
      }
      pos += 10 + ((local & 0x80) !== 0 ? 3 * 2 ** ((local & 7) + 1) : 0);
      pos += 1; // LZW minimum code size
      skipSubBlocks();
      frames++;
    } else {
      throw new HeaderProblem('corrupt', `GIF has an unknown block 0x${block.toString(16)} at byte ${pos}`);
    }
  }
  if (frames === 0) throw new HeaderProblem('corrupt', 'GIF has no image');
  return facts('gif', width, height, 3, { frames, gifTransparentRgb, largestFramePixels });
}

function readBmp(buf: Buffer): HeaderFacts {
  if (buf.length < 30) throw new HeaderProblem('truncated', 'BMP ends inside its header');
  const pixelOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  if (dibSize < 40) throw new HeaderProblem('unsupported', `BMP with a ${dibSize}-byte info header (OS/2 bitmaps are not supported)`);
  if (buf.length < 14 + dibSize) throw new HeaderProblem('truncated', 'BMP ends inside its info header');
  const width = buf.readInt32LE(18);
  const rawHeight = buf.readInt32LE(22);
  const height = Math.abs(rawHeight);
  const bitsPerPixel = buf.readUInt16LE(28);
  const compression = buf.readUInt32LE(30);
  if (width <= 0 || height === 0) throw new HeaderProblem('corrupt', `BMP declares a ${width}x${rawHeight} image`);
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw new HeaderProblem('corrupt', `BMP with ${bitsPerPixel} bits per pixel`);
  const rowBytes = Math.ceil((width * bitsPerPixel) / 32) * 4;
  if (compression === 0 || compression === 3 || compression === 6) {
    if (pixelOffset + rowBytes * height > buf.length) {
      throw new HeaderProblem('truncated', `BMP pixel data needs ${pixelOffset + rowBytes * height} bytes but the file has ${buf.length}`);
    }
  }
  // BI_BITFIELDS / BI_ALPHABITFIELDS masks after a 40-byte header, and the palette, must be in the file.
  const maskBytes = (compression === 3 || compression === 6) && dibSize < 52 ? (compression === 6 ? 16 : 12) : 0;
  if (14 + dibSize + maskBytes > buf.length) throw new HeaderProblem('truncated', `BMP ends at byte ${buf.length}, inside its colour masks`);
  if (bitsPerPixel <= 8 && 14 + dibSize + maskBytes + 4 > buf.length) throw new HeaderProblem('truncated', `BMP ends at byte ${buf.length}, before its palette`);
  // TensorFlow's decode_bmp returns bits_per_pixel / 8 channels (an 8-bit BMP gives its palette
  // indices as grey, which is why load.ts transcodes everything but exact 24-bit BI_RGB files).
  return facts('bmp', width, height, Math.max(1, Math.floor(bitsPerPixel / 8)), {
    bitDepth: bitsPerPixel, bmpCompression: compression, bmpExactSize: buf.length === pixelOffset + rowBytes * height,
  });
}
