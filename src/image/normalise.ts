/** Turns pixels libvips decodes in unusual forms (CIELab, wide or signed integers, extra bands) into 8/16-bit grey or sRGB. */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { loadSharp } from './sharp.js';

/** Raw pixels handed back to sharp: 8-bit samples in a Buffer, 16-bit in a Uint16Array. */
export interface NormalisedPixels {
  readonly data: Buffer | Uint16Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  /** What the conversion did, for the summary, or null when it only dropped nothing. */
  readonly note: string | null;
}

const GREY_SPACES = new Set(['b-w', 'grey16']);
/** Spaces whose samples are stored values, not colorimetry: read them as they are and scale them. */
const STORED_SPACES = new Set(['b-w', 'grey16', 'srgb', 'rgb16', 'multiband']);
const SAMPLE_BITS: Readonly<Record<string, number>> = { char: 8, uchar: 8, short: 16, ushort: 16, int: 32, uint: 32, float: 32, double: 64 };

/**
 * Whether libvips decodes these pixels to what the main pipeline expects (8-bit sRGB or grey,
 * 16-bit rgb16 or grey16, CMYK), with a band count that matches the space. Everything else goes
 * through {@link normalisePixels} first, so channel counts are planned from real pixels.
 *
 * @example
 * isStandardPixels(await sharp('lab.tif').metadata()); // false: CIELab
 */
export function isStandardPixels(meta: Metadata): boolean {
  const bands: number = meta.channels ?? 0;
  switch (meta.space) {
    case 'srgb': return meta.depth === 'uchar' && (bands === 3 || bands === 4);
    case 'b-w': return meta.depth === 'uchar' && (bands === 1 || bands === 2);
    case 'rgb16': return meta.depth === 'ushort' && (bands === 3 || bands === 4);
    case 'grey16': return meta.depth === 'ushort' && (bands === 1 || bands === 2);
    // A profile-less 8-bit CMYK image is converted here the way TensorFlow and PIL do (see naiveCmykToRgb).
    case 'cmyk': return (meta.depth === 'uchar' ? meta.hasProfile === true : meta.depth === 'ushort') && (bands === 4 || bands === 5);
    default: return false;
  }
}

/**
 * Decodes an image libvips reports in an unusual form into grey or sRGB pixels, with alpha only
 * when the decoded pixels hold an alpha band. Stored-value spaces (grey, RGB, multiband) keep
 * their values: signed samples below 0 become 0, and integers wider than 16 bits are scaled by
 * their type's range like 16-bit ones (`v >> 16` to 16 bits, so `v >> 24` to 8 bits), never
 * clipped. Colorimetric spaces (CIELab, LCh, XYZ, Yxy, scRGB, HSV, CMC...) are converted to sRGB
 * by libvips, 16-bit when `sixteen` and the source has more than 8 bits.
 *
 * @example
 * const pixels = await normalisePixels(bytes, meta, { pages: 1 }, { autoOrient: true, sixteen: false });
 */
export async function normalisePixels(
  bytes: Buffer,
  meta: Metadata,
  input: SharpOptions,
  options: { readonly autoOrient: boolean; readonly sixteen: boolean },
): Promise<NormalisedPixels> {
  let image: Sharp = loadSharp()(bytes, input);
  // The pixels leave libvips here, and with them the EXIF orientation: apply it now.
  if (options.autoOrient) image = image.rotate();
  const space = meta.space ?? 'srgb';
  const depth = meta.depth ?? 'uchar';
  if (STORED_SPACES.has(space)) return readStoredValues(image, space, depth, meta.hasAlpha === true);
  if (space === 'cmyk' && depth === 'uchar' && meta.hasProfile !== true) return naiveCmykToRgb(image);
  const wide = (SAMPLE_BITS[depth] ?? 8) > 8;
  const sixteen = options.sixteen && wide;
  const { data, info } = await image.toColourspace(sixteen ? 'rgb16' : 'srgb').raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  // libvips reports 8-bit CIELab (LabQ-coded) as 4 bands with alpha; it decodes to 3: believe the pixels.
  const alpha = info.channels >= 4 && meta.hasAlpha === true;
  const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  const bands = alpha ? [0, 1, 2, 3] : [0, 1, 2];
  const picked = pickSamples(samples, info.channels, bands, sixteen);
  return { data: picked, width: info.width, height: info.height, channels: bands.length as 3 | 4, note: `${space} converted to ${sixteen ? '16-bit ' : ''}sRGB` };
}

/**
 * A CMYK image without a profile has no defined colours; TensorFlow's decode_jpeg (jpeg_mem.cc)
 * and PIL both use r = (255 - k) * (255 - c) / 255 on ink values (libvips has already undone
 * Adobe's inversion), TensorFlow truncating. Doing the same keeps a decoded record equal to what
 * TensorFlow shows for the source; libvips' stand-in profile moved colours by up to 150 levels.
 */
async function naiveCmykToRgb(image: Sharp): Promise<NormalisedPixels> {
  // Kept in CMYK from load to output: a plain toColourspace('cmyk') round-trips through a profile.
  const { data, info } = await image.pipelineColourspace('cmyk').toColourspace('cmyk').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const out = Buffer.alloc(n * 3);
  for (let p = 0; p < n; p++) {
    const at = p * info.channels;
    const white = 255 - (data[at + 3] as number);
    for (let k = 0; k < 3; k++) out[p * 3 + k] = Math.floor((white * (255 - (data[at + k] as number))) / 255);
  }
  return { data: out, width: info.width, height: info.height, channels: 3, note: 'CMYK without a profile converted as TensorFlow does' };
}

/** Stored-value pixels read in their own format, scaled to 8 or 16 bits, with the bands that make grey or RGB (+ alpha). */
async function readStoredValues(image: Sharp, space: string, depth: string, hasAlpha: boolean): Promise<NormalisedPixels> {
  // toColourspace of the image's own space keeps its sample format and bands (no cast to uchar).
  const native = image.toColourspace(space as 'srgb');
  const { data, info } = await native.raw({ depth: depth as 'uchar' }).toBuffer({ resolveWithObject: true });
  const bits = SAMPLE_BITS[depth] ?? 8;
  const values = typedSamples(data, depth);
  const colour = GREY_SPACES.has(space) || info.channels < 3 ? 1 : 3;
  const alpha = hasAlpha && info.channels > colour;
  const bands = alpha ? [...Array(colour).keys(), colour] : [...Array(colour).keys()];
  const sixteen = bits > 8;
  const float = depth === 'float' || depth === 'double';
  // 16-bit spaces hold float samples as 0..65535, 8-bit ones as 0..255 (libvips' convention).
  const floatMax = space === 'grey16' || space === 'rgb16' ? 65535 : 255;
  const divisor = float || bits <= 16 ? 1 : 2 ** (bits - 16);
  const n = info.width * info.height;
  const out = sixteen ? new Uint16Array(n * bands.length) : Buffer.alloc(n * bands.length);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < bands.length; k++) {
      const v = values[p * info.channels + (bands[k] as number)] as number;
      if (float) {
        const scaled = sixteen && floatMax === 255 ? v * 257 : v;
        out[p * bands.length + k] = Math.min(sixteen ? 65535 : 255, Math.max(0, Math.round(scaled)));
      } else out[p * bands.length + k] = v <= 0 ? 0 : Math.floor(v / divisor);
    }
  }
  const kinds = [depth !== 'uchar' && depth !== 'ushort' ? `${depth} samples scaled to ${sixteen ? 16 : 8} bits` : null, info.channels > bands.length ? `${info.channels - bands.length} extra bands dropped` : null];
  const note = kinds.filter((k) => k !== null).join(', ');
  return { data: out, width: info.width, height: info.height, channels: bands.length as 1 | 2 | 3 | 4, note: note === '' ? null : `${space}: ${note}` };
}

/** The samples of sharp's raw output (host byte order) as numbers. */
function typedSamples(data: Buffer, depth: string): ArrayLike<number> {
  const copy = Uint8Array.from(data).buffer;
  switch (depth) {
    case 'char': return new Int8Array(copy);
    case 'short': return new Int16Array(copy);
    case 'ushort': return new Uint16Array(copy);
    case 'int': return new Int32Array(copy);
    case 'uint': return new Uint32Array(copy);
    case 'float': return new Float32Array(copy);
    case 'double': return new Float64Array(copy);
    default: return data;
  }
}

function pickSamples(samples: Buffer | Uint16Array, channels: number, bands: readonly number[], sixteen: boolean): Buffer | Uint16Array {
  const n = samples.length / channels;
  const out = sixteen ? new Uint16Array(n * bands.length) : Buffer.alloc(n * bands.length);
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < bands.length; k++) out[p * bands.length + k] = samples[p * channels + (bands[k] as number)] as number;
  }
  return out;
}
