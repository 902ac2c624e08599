/** Turns the bytes of an input file into the bytes to store: pass-through, re-encoded, or raw pixels. */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { ImageError, type ImageProblem, InternalError } from '../errors.js';
import { decodeBmp } from './bmp.js';
import { decodeNetpbm, readNetpbmHeader } from './netpbm.js';
import { checkTfDecodable, type TfVerdict } from './decodable.js';
import { keepReason, storeAsIs, type EncodedImage, type SourceGeometry } from './keep.js';
import { colorspaceOf, HeaderProblem, type HeaderFacts } from './headers.js';
import type { ImageSettings, RawDtype, Rgb, Size } from './settings.js';
import { isStandardPixels, normalisePixels } from './normalise.js';
import { checkImageMemory, timedSharp } from './limits.js';
import { loadSharp } from './sharp.js';
import { checkSvgText, serialiseSvg } from './svg-guard.js';
import { describeUnknownBytes, identifyUnsupported, sniffFormat, TF_DECODABLE, type SourceFormat, type StoredFormat } from './sniff.js';

export type { EncodedImage, SourceGeometry } from './keep.js';

/** An image stored as a dense pixel tensor. */
export interface RawImage {
  readonly kind: 'raw';
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly dtype: RawDtype | 'uint16';
  readonly layout: 'hwc' | 'chw';
  readonly channelOrder: 'rgb' | 'bgr';
  /** In layout order: [h, w, c] or [c, h, w]. */
  readonly shape: readonly number[];
  readonly sourceFormat: SourceFormat;
  readonly transcoded: null;
  readonly notes: readonly string[];
  /** The source's geometry and what was done to it. */
  readonly geometry: SourceGeometry;
}

/** Where an image came from, for messages. */
export interface ImageContext {
  readonly path: string;
  /** Seconds libvips may spend on one pipeline (sharp's timeout); 0 or absent: no limit. */
  readonly fileTimeout?: number;
  /**
   * The bytes' {@link checkTfDecodable} verdict under the same `maxPixels`, when a read worker
   * already computed it beside the bytes (so the main thread does not parse and inflate them again).
   */
  readonly verdict?: TfVerdict;
}

const FORMAT_NAMES: Readonly<Record<SourceFormat, string>> = {
  jpeg: 'JPEG', png: 'PNG', gif: 'GIF', bmp: 'BMP', webp: 'WebP', tiff: 'TIFF', svg: 'SVG', avif: 'AVIF', heif: 'HEIF', jp2: 'JPEG 2000', pnm: 'Netpbm',
};

function fail(problem: ImageProblem, detail: string, context: ImageContext, cause?: unknown): never {
  throw new ImageError(problem, detail, { path: context.path }, cause === undefined ? undefined : { cause });
}

function checkPixels(width: number, height: number, settings: ImageSettings, context: ImageContext): void {
  if (width * height > settings.maxPixels) {
    fail('too-many-pixels', `${width}x${height} = ${width * height} pixels exceeds --max-pixels ${settings.maxPixels} (a decompression bomb, or raise the limit)`, context);
  }
}

/**
 * Loads one input image: validates it, and returns the bytes to store with their TensorFlow-visible
 * format, size and channels, or raw pixels. Throws {@link ImageError} (with the file's path and a
 * stable `problem`) for input that cannot be converted; never stores unverified bytes.
 *
 * @example
 * const image = await loadImage(await readFile('cat.jpg'), resolveImageSettings(), { path: 'cat.jpg' });
 * if (image.kind === 'encoded') console.log(image.format, image.width, image.height, image.channels);
 */
export async function loadImage(bytes: Buffer, settings: ImageSettings, context: ImageContext): Promise<EncodedImage | RawImage> {
  if (bytes.length === 0) fail('empty', 'empty file (0 bytes)', context);
  const sourceFormat = sniffFormat(bytes);
  if (sourceFormat === null) {
    const other = identifyUnsupported(bytes, context.path);
    if (other !== null) fail('unsupported', `${other}: not supported (neither TensorFlow nor sharp decodes it)`, context);
    fail('not-an-image', `not an image: ${describeUnknownBytes(bytes)}`, context);
  }
  if (sourceFormat === 'pnm') checkNetpbmPixels(bytes, settings, context);
  if (sourceFormat === 'jp2') {
    fail('unsupported', "JPEG 2000 is not supported: sharp's prebuilt libvips has no OpenJPEG and TensorFlow cannot decode it", context);
  }

  const verdict = TF_DECODABLE.has(sourceFormat) ? await readVerdict(bytes, settings, context) : null;
  const kept = verdict === null ? null : storeAsIs(bytes, settings, verdict);
  if (kept !== null) {
    if (settings.validate === 'decode') await decodeFully(bytes, kept.format, settings, context);
    return kept;
  }
  const header = verdict?.header ?? null;
  const reason = verdict === null ? `${FORMAT_NAMES[sourceFormat]} is not decodable by TensorFlow` : keepReason(verdict);
  const transcoded = settings.encode === 'keep' ? reason : null;
  const run = (): Promise<EncodedImage | RawImage> => transformNamed(bytes, sourceFormat, header, verdict, settings, context, transcoded);
  if (sourceFormat !== 'svg') return run();
  checkSvgText(bytes, context);
  return serialiseSvg(run, context.fileTimeout ?? 0);
}

async function transformNamed(
  bytes: Buffer, sourceFormat: SourceFormat, header: HeaderFacts | null, verdict: TfVerdict | null,
  settings: ImageSettings, context: ImageContext, transcoded: string | null,
): Promise<EncodedImage | RawImage> {
  if (verdict?.decodable !== false) return transform(bytes, sourceFormat, header, settings, context, transcoded);
  try {
    return await transform(bytes, sourceFormat, header, settings, context, transcoded);
  } catch (error) {
    // Bytes TensorFlow refuses that sharp cannot decode either: name what TensorFlow refuses.
    if (error instanceof ImageError) fail('unsupported', `${verdict.reason}; sharp cannot decode it either (${error.message.replace(`${context.path}: `, '')})`, context, error);
    throw error;
  }
}

/**
 * The decodability verdict of JPEG/PNG/GIF/BMP bytes, failing the file for what no transcode can
 * fix: unreadable headers, too many pixels (any GIF frame counts), a broken PNG image stream.
 */
async function readVerdict(bytes: Buffer, settings: ImageSettings, context: ImageContext): Promise<TfVerdict> {
  const verdict = context.verdict ?? await checkTfDecodable(bytes, { maxPixels: settings.maxPixels });
  const { header, problem } = verdict;
  if (header === null) fail(problem ?? 'corrupt', verdict.reason ?? 'unreadable headers', context);
  if (problem === 'too-many-pixels') {
    checkPixels(header.width, header.height, settings, context);
    fail(problem, `${verdict.reason} (a decompression bomb, or raise the limit)`, context);
  }
  if (problem === 'corrupt' || problem === 'truncated') fail(problem, verdict.reason ?? problem, context);
  return verdict;
}

/** Refuses a Netpbm image over the pixel limit from its header, before its samples are decoded. */
function checkNetpbmPixels(bytes: Buffer, settings: ImageSettings, context: ImageContext): void {
  try {
    const { width, height } = readNetpbmHeader(bytes);
    checkPixels(width, height, settings, context);
  } catch (error) {
    if (error instanceof HeaderProblem) fail(error.problem, `Netpbm: ${error.message}`, context);
    throw error;
  }
}

async function decodeFully(bytes: Buffer, format: StoredFormat, settings: ImageSettings, context: ImageContext): Promise<void> {
  if (format === 'bmp') {
    // sharp's prebuilt libvips has no BMP loader; our own decoder checks every palette index.
    try {
      decodeBmp(bytes);
    } catch (error) {
      if (error instanceof HeaderProblem) fail(error.problem, `BMP: ${error.message}`, context);
      throw error;
    }
    return;
  }
  try {
    await timedSharp(context.fileTimeout ?? 0)(bytes, { failOn: 'error', limitInputPixels: settings.maxPixels }).raw().toBuffer();
  } catch (error) {
    fail(classifySharpError(error), `does not decode: ${(error as Error).message}`, context, error);
  }
}

function classifySharpError(error: unknown): ImageProblem {
  const message = (error as Error).message ?? '';
  if (/pixel limit/i.test(message)) return 'too-many-pixels';
  if (/^timeout/i.test(message)) return 'too-slow';
  if (/unsupported image format/i.test(message)) return 'unsupported';
  if (/premature|truncat|end of (file|data)|unexpected end/i.test(message)) return 'truncated';
  return 'corrupt';
}

/** Decoded pixels held between sharp steps: interleaved, 8 or 16 bits per sample. */
interface Pixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly sixteen: boolean;
}

/** The stored encoding of a decoded image. */
function storedFormatFor(sourceFormat: SourceFormat, settings: ImageSettings, transcoded: string | null): 'jpeg' | 'png' | 'raw' {
  if (settings.encode === 'raw' || settings.encode === 'jpeg' || settings.encode === 'png') return settings.encode;
  // keep + a transform: a JPEG (lossy already) stays JPEG unless alpha is asked for; CMYK JPEG
  // becomes sRGB JPEG; everything else becomes lossless PNG.
  if (transcoded?.startsWith('CMYK') === true) return 'jpeg';
  return sourceFormat === 'jpeg' && transcoded === null && settings.channels !== 4 ? 'jpeg' : 'png';
}

/** The input as sharp opens it: the file's bytes, or raw pixels decoded here (BMP) or normalised. */
interface Source {
  readonly data: Buffer | Uint16Array;
  readonly raw: { readonly width: number; readonly height: number; readonly channels: 1 | 2 | 3 | 4 } | null;
}

/** What the output will hold, planned from the (normalised) source's metadata. */
interface OutputPlan {
  readonly stored: 'jpeg' | 'png' | 'raw';
  readonly sixteen: boolean;
  readonly alphaOut: boolean;
  readonly greyOut: boolean;
  readonly outChannels: number;
  readonly flatten: boolean;
  readonly flattenFirst: boolean;
  readonly pickGrey: boolean;
  readonly lumaGrey: boolean;
}

async function transform(
  bytes: Buffer,
  sourceFormat: SourceFormat,
  header: HeaderFacts | null,
  settings: ImageSettings,
  context: ImageContext,
  transcoded: string | null,
): Promise<EncodedImage | RawImage> {
  const name = FORMAT_NAMES[sourceFormat];
  // pages 1: only the first frame/page, never sharp's pages=-1 strip of every frame stacked.
  const input: SharpOptions = { failOn: 'error', limitInputPixels: settings.maxPixels, density: settings.density, pages: 1, page: 0 };
  const notes: string[] = [];
  let source = prepareSource(bytes, sourceFormat, header, name, context, notes);
  let meta = await readMetadata(source, input, settings, name, context);
  checkPixels(meta.width ?? 0, meta.height ?? 0, settings, context);
  // Read before normalisePixels, whose raw output has no EXIF (it applies the orientation itself).
  const stored = { width: meta.width ?? 0, height: meta.height ?? 0, orientation: meta.orientation ?? 1 };
  checkImageMemory(meta, sourceFormat, bytes, settings, context);
  const pages = meta.pages ?? 1;
  if (pages > 1 && (sourceFormat === 'gif' || sourceFormat === 'webp')) {
    notes.push(`animated ${name}: kept frame 1 of ${pages} (${pages - 1} dropped)`);
  } else if (pages > 1 && sourceFormat !== 'png') {
    notes.push(`multi-page ${name}: kept page 1 of ${pages}`);
  }
  if (source.raw === null && !isStandardPixels(meta)) {
    // CIELab, wide or signed integers, extra bands: decoded here to grey or sRGB, so that the
    // channel count below is planned from the pixels libvips really gives, never from its header guess.
    try {
      const pixels = await normalisePixels(source.data as Buffer, meta, input, { autoOrient: settings.autoOrient, sixteen: settings.depth === 16 });
      if (pixels.note !== null) notes.push(pixels.note);
      source = { data: pixels.data, raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } };
    } catch (error) {
      fail(classifySharpError(error), `${name}: cannot decode: ${(error as Error).message}`, context, error);
    }
    meta = await readMetadata(source, input, settings, name, context);
  }
  const plan = planOutput(meta, settings, storedFormatFor(sourceFormat, settings, transcoded));
  try {
    // gifFirstFrame re-opens raw pixels, but only for GIFs: a JPEG opened by sharp is the file itself.
    const geometry: SourceGeometry = { ...stored, decoded: true, jpegShrinkOnLoad: sourceFormat === 'jpeg' && source.raw === null };
    return await renderImage(source, meta, plan, header, input, settings, context, { sourceFormat, transcoded, notes, geometry });
  } catch (error) {
    if (error instanceof ImageError || error instanceof InternalError) throw error;
    fail(classifySharpError(error), `${name}: cannot decode: ${(error as Error).message}`, context, error);
  }
}

/** The bytes sharp opens: the file, or BMP / Netpbm pixels decoded here. */
function prepareSource(bytes: Buffer, sourceFormat: SourceFormat, header: HeaderFacts | null, name: string, context: ImageContext, notes: string[]): Source {
  try {
    if (sourceFormat === 'bmp' || sourceFormat === 'pnm') {
      // sharp's prebuilt libvips has no BMP or Netpbm loader: decode here and hand sharp raw pixels.
      const pixels = sourceFormat === 'bmp' ? decodeBmp(bytes) : decodeNetpbm(bytes);
      return { data: pixels.data, raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } };
    } else if (header?.format === 'png' && header.pngAnimated) {
      // libvips, like libpng, TensorFlow's decode_png and PIL, decodes the default image (IDAT),
      // which is frame 1 unless no fcTL precedes it (then it is not part of the animation).
      if (!header.apngDefaultIsFrame) notes.push(`animated PNG: kept the default image, which is not part of the animation (${header.frames} frames dropped)`);
      else if (header.frames > 1) notes.push(`animated PNG: kept frame 1 of ${header.frames} (${header.frames - 1} dropped)`);
    }
  } catch (error) {
    if (error instanceof HeaderProblem) fail(error.problem, `${name}: ${error.message}`, context);
    throw error;
  }
  return { data: bytes, raw: null };
}

function openSource(source: Source, input: SharpOptions, settings: ImageSettings, fileTimeout = 0): Sharp {
  const sharp = timedSharp(fileTimeout);
  return source.raw === null ? sharp(source.data, input) : sharp(source.data, { raw: source.raw, limitInputPixels: settings.maxPixels });
}

async function readMetadata(source: Source, input: SharpOptions, settings: ImageSettings, name: string, context: ImageContext): Promise<Metadata> {
  try {
    // Headers only, without sharp's pixel limit, so that a bomb is refused below with its size.
    return await (source.raw === null ? timedSharp(context.fileTimeout ?? 0)(source.data, { ...input, limitInputPixels: false }) : openSource(source, input, settings, context.fileTimeout ?? 0)).metadata();
  } catch (error) {
    fail(classifySharpError(error), `${name}: cannot read: ${(error as Error).message}`, context, error);
  }
}

function planOutput(meta: Metadata, settings: ImageSettings, stored: 'jpeg' | 'png' | 'raw'): OutputPlan {
  const srcGrey = meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels ?? 3) <= 2;
  const srcAlpha = meta.hasAlpha === true;
  // --depth 16 keeps 16-bit samples where the source has them; an 8-bit image stays 8-bit, except
  // in a raw tensor, whose dtype must be the same for every record of the dataset.
  const sixteen = settings.depth === 16 && (stored === 'raw' || meta.depth === 'ushort');
  const alphaOut = settings.channels === 4 || (settings.channels === 0 && srcAlpha && stored !== 'jpeg');
  const greyOut = settings.channels === 1 || (settings.channels === 0 && srcGrey);
  // libvips drops alpha when converting to 8-bit b-w, and its grey16 -> b-w cast rounds where
  // TensorFlow, libpng and PIL take v >> 8 (its rgb16 -> sRGB cast is exactly v >> 8). So grey
  // with alpha, or 16-bit grey reduced to 8 bits, is rendered as sRGB and its bands picked here.
  // Alpha is flattened here, not by libvips (which truncates, one level dark for about half of
  // partly transparent pixels): round((c * a + background * (max - a)) / max), PIL's
  // alpha_composite exactly. Before a resize, so that edges never ring or bleed; else at the end.
  const flatten = srcAlpha && !alphaOut;
  return {
    stored, sixteen, alphaOut, greyOut, flatten,
    outChannels: (greyOut ? 1 : 3) + (alphaOut ? 1 : 0),
    flattenFirst: flatten && (settings.resize !== null || settings.resizeShorter !== null),
    pickGrey: greyOut && srcGrey && (flatten || (!sixteen && (alphaOut || meta.depth === 'ushort'))),
    // libvips' b-w is luminance in linear light (Rec. 709), up to 45 levels away from the Rec. 601
    // luma of gamma-encoded values that libjpeg (TensorFlow's decode_jpeg channels=1), PIL and
    // OpenCV compute. So colour to grey is rendered as RGB and computed here, as PIL does.
    lumaGrey: greyOut && !srcGrey,
  };
}

/** Orientation, alpha flattening before a resize, and the resize itself. */
async function orientAndResize(image: Sharp, meta: Metadata, plan: OutputPlan, settings: ImageSettings): Promise<Sharp> {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // Keep pixel values as TensorFlow, PIL and OpenCV decode them (they ignore ICC profiles), and
  // carry the profile along so viewers still show true colours. CMYK must be converted.
  if (settings.icc === 'keep' && meta.hasProfile === true && meta.space !== 'cmyk') image = image.keepIccProfile();
  const orientation = settings.autoOrient ? (meta.orientation ?? 1) : 1;
  // rotate() with no angle applies EXIF orientation; sharp then writes no orientation tag.
  if (settings.autoOrient) image = image.rotate();
  const [ow, oh] = orientation >= 5 ? [height, width] : [width, height];
  const { sixteen } = plan;
  if (plan.flattenFirst) {
    const { data, info } = await image.toColourspace(sixteen ? 'rgb16' : 'srgb').raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    const flat = flattenOnto({ data, width: info.width, height: info.height, channels: info.channels, sixteen }, settings.background);
    const view = sixteen ? new Uint16Array(flat.data.buffer, flat.data.byteOffset, flat.data.length / 2) : flat.data;
    image = loadSharp()(view, { raw: { width: flat.width, height: flat.height, channels: 3 }, limitInputPixels: settings.maxPixels });
  }

  if (settings.resize !== null) {
    image = image.resize({
      width: settings.resize.width, height: settings.resize.height, fit: settings.fit,
      kernel: settings.kernel, withoutEnlargement: !settings.enlarge, background: { ...settings.background, alpha: 1 },
    });
  } else if (settings.resizeShorter !== null && (settings.enlarge || Math.min(ow, oh) > settings.resizeShorter)) {
    // Both sides computed here (the longer one rounded) so the size never depends on sharp's
    // shrink-on-load rounding: a 600x450 photo becomes exactly 120x90.
    const n = settings.resizeShorter;
    const [w, h] = ow <= oh ? [n, Math.max(1, Math.round((oh * n) / ow))] : [Math.max(1, Math.round((ow * n) / oh)), n];
    image = image.resize({ width: w, height: h, fit: 'fill', kernel: settings.kernel });
  }
  return image;
}

async function renderImage(
  source: Source,
  meta: Metadata,
  plan: OutputPlan,
  header: HeaderFacts | null,
  input: SharpOptions,
  settings: ImageSettings,
  context: ImageContext,
  about: { readonly sourceFormat: SourceFormat; readonly transcoded: string | null; readonly notes: string[]; readonly geometry: SourceGeometry },
): Promise<EncodedImage | RawImage> {
  const { stored, sixteen, greyOut, pickGrey, lumaGrey, flatten, outChannels } = plan;
  const { sourceFormat, transcoded, notes, geometry } = about;
  const sharp = loadSharp();
  let image = header?.gifTransparentRgb != null && source.raw === null
    ? await gifFirstFrame(source.data as Buffer, header.gifTransparentRgb, input)
    : openSource(source, input, settings, context.fileTimeout ?? 0);
  image = await orientAndResize(image, meta, plan, settings);
  if (settings.channels === 4) image = image.ensureAlpha(1);
  // sharp works in sRGB unless told otherwise, so grey and 16-bit output must be asked for.
  if (sixteen) image = image.toColourspace(greyOut && !pickGrey && !lumaGrey ? 'grey16' : 'rgb16');
  else if (pickGrey || lumaGrey || flatten) image = image.toColourspace('srgb');
  else if (greyOut) image = image.toColourspace('b-w');

  if (stored === 'raw' || pickGrey || lumaGrey || flatten || settings.centerCrop !== null) {
    const { data, info } = await image.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    let pixels: Pixels = { data, width: info.width, height: info.height, channels: info.channels, sixteen };
    if (flatten && !plan.flattenFirst) pixels = flattenOnto(pixels, settings.background);
    if (pickGrey) pixels = pickBands(pixels, plan.alphaOut ? [0, pixels.channels - 1] : [0]);
    if (lumaGrey) pixels = lumaOf(pixels);
    if (settings.centerCrop !== null) pixels = cropCentre(pixels, settings.centerCrop, context);
    if (pixels.channels !== outChannels) throw new InternalError(`${pixels.channels} channels decoded where ${outChannels} were planned`);
    if (stored === 'raw') return { ...toRaw(pixels, sourceFormat, settings, notes), geometry };
    const view = sixteen ? new Uint16Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length / 2) : pixels.data;
    image = sharp(view, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels as 1 | 2 | 3 | 4 } });
    if (sixteen) image = image.toColourspace(greyOut ? 'grey16' : 'rgb16');
    else if (greyOut) image = image.toColourspace('b-w');
  }
  // Baseline (not progressive) JPEG from libjpeg-turbo: mozjpeg off, so no trellis quantisation,
  // overshoot deringing or scan optimisation; Huffman tables optimised (sharp's default).
  const out = stored === 'jpeg'
    ? await image.jpeg({ quality: settings.quality, progressive: false, chromaSubsampling: settings.chromaSubsampling, mozjpeg: false }).toBuffer()
    : await image.png({ compressionLevel: settings.pngCompression, palette: false }).toBuffer();
  // The stored bytes are the single source of truth for what TensorFlow will see, and must pass
  // the same decodability rules as bytes passed through.
  const checked = await checkTfDecodable(out);
  if (checked.header === null || !checked.decodable) throw new InternalError(`stored ${stored} fails the decodability rules: ${checked.reason ?? ''}`);
  const info = checked.header;
  const expected = stored === 'jpeg' ? (greyOut ? 1 : 3) : outChannels;
  if (info.channels !== expected) throw new InternalError(`stored ${info.format} decodes to ${info.channels} channels where ${expected} were planned`);
  return {
    kind: 'encoded', bytes: out, format: info.format, width: info.width, height: info.height, channels: info.channels,
    colorspace: colorspaceOf(info.channels), sourceFormat, transcoded, notes, geometry,
  };
}

/**
 * The first GIF frame with fully transparent pixels set to the transparent palette colour, as PIL
 * and GIF decoders report them (libvips gives 0,0,0,0), so lossless output equals an independent decode.
 */
async function gifFirstFrame(bytes: Buffer, rgb: readonly [number, number, number], input: SharpOptions): Promise<Sharp> {
  const sharp = loadSharp();
  const { data, info } = await sharp(bytes, input).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) {
      data[i] = rgb[0];
      data[i + 1] = rgb[1];
      data[i + 2] = rgb[2];
    }
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } });
}

/** Keeps the given bands of interleaved pixels (e.g. [0, 3]: grey and alpha of a grey RGBA rendering). */
function pickBands(pixels: Pixels, bands: readonly number[]): Pixels {
  const size = pixels.sixteen ? 2 : 1;
  const n = pixels.width * pixels.height;
  const out = Buffer.alloc(n * bands.length * size);
  const stride = pixels.channels * size;
  for (let p = 0; p < n; p++) {
    for (let k = 0; k < bands.length; k++) {
      const from = p * stride + (bands[k] as number) * size;
      const to = (p * bands.length + k) * size;
      out[to] = pixels.data[from] as number;
      if (size === 2) out[to + 1] = pixels.data[from + 1] as number;
    }
  }
  return { ...pixels, data: out, channels: bands.length };
}

/** RGBA pixels composited onto an opaque background colour, rounded to nearest: RGB out. */
function flattenOnto(pixels: Pixels, background: Rgb): Pixels {
  if (pixels.channels !== 4) throw new InternalError(`flattening ${pixels.channels} channels where RGBA was planned`);
  const n = pixels.width * pixels.height;
  const max = pixels.sixteen ? 65535 : 255;
  const back = [background.r, background.g, background.b].map((v) => v * (max / 255));
  // sharp's 16-bit samples are in host byte order: read and write them as such.
  const src = pixels.sixteen ? new Uint16Array(Uint8Array.from(pixels.data).buffer) : pixels.data;
  const out = pixels.sixteen ? new Uint16Array(n * 3) : Buffer.alloc(n * 3);
  for (let p = 0; p < n; p++) {
    const a = src[p * 4 + 3] as number;
    for (let k = 0; k < 3; k++) {
      // Integer rounding of (c * a + b * (max - a)) / max: the quotient is never exactly a half.
      out[p * 3 + k] = Math.floor((2 * ((src[p * 4 + k] as number) * a + (back[k] as number) * (max - a)) + max) / (2 * max));
    }
  }
  return { ...pixels, data: out instanceof Buffer ? out : Buffer.from(out.buffer), channels: 3 };
}

/**
 * Rec. 601 luma of interleaved RGB(A) pixels, exactly as PIL's convert('L'):
 * (299 R + 587 G + 114 B) / 1000 in 16-bit fixed point, rounded. Alpha, when present, is dropped
 * (the caller flattened it already).
 */
function lumaOf(pixels: Pixels): Pixels {
  const n = pixels.width * pixels.height;
  const c = pixels.channels;
  // sharp's 16-bit samples are in host byte order: read and write them as such.
  const src = pixels.sixteen ? new Uint16Array(Uint8Array.from(pixels.data).buffer) : pixels.data;
  const grey = pixels.sixteen ? new Uint16Array(n) : Buffer.alloc(n);
  for (let p = 0; p < n; p++) {
    const at = p * c;
    grey[p] = Math.floor(((src[at] as number) * 19595 + (src[at + 1] as number) * 38470 + (src[at + 2] as number) * 7471 + 0x8000) / 65536);
  }
  const data = grey instanceof Buffer ? grey : Buffer.from(grey.buffer);
  return { ...pixels, data, channels: 1 };
}

/** The centred crop of decoded pixels (after resizing); the image must be at least as large. */
function cropCentre(pixels: Pixels, crop: Size, context: ImageContext): Pixels {
  if (pixels.width < crop.width || pixels.height < crop.height) {
    fail('invalid', `image is ${pixels.width}x${pixels.height} after resizing, smaller than --center-crop ${crop.width}x${crop.height}`, context);
  }
  const left = Math.floor((pixels.width - crop.width) / 2);
  const top = Math.floor((pixels.height - crop.height) / 2);
  const pixelBytes = pixels.channels * (pixels.sixteen ? 2 : 1);
  const rowBytes = crop.width * pixelBytes;
  const out = Buffer.alloc(rowBytes * crop.height);
  for (let y = 0; y < crop.height; y++) {
    const from = ((top + y) * pixels.width + left) * pixelBytes;
    pixels.data.copy(out, y * rowBytes, from, from + rowBytes);
  }
  return { ...pixels, data: out, width: crop.width, height: crop.height };
}

function toRaw(pixels: Pixels, sourceFormat: SourceFormat, settings: ImageSettings, notes: string[]): Omit<RawImage, 'geometry'> {
  const { width: w, height: h, channels: c, data } = pixels;
  const dtype: RawImage['dtype'] = pixels.sixteen ? 'uint16' : settings.dtype;
  const elementBytes = dtype === 'uint8' ? 1 : dtype === 'uint16' ? 2 : 4;
  const n = w * h * c;
  const out = Buffer.alloc(n * elementBytes);
  const bgr = settings.channelOrder === 'bgr' && c >= 3;
  const chw = settings.layout === 'chw';
  const scale = dtype === 'float32' && settings.scale === 1 ? 1 / 255 : 1;
  // sharp's 16-bit samples are in host byte order; the tensor is little-endian whatever the host.
  const samples16 = pixels.sixteen ? new Uint16Array(Uint8Array.from(data).buffer) : null;
  for (let p = 0; p < w * h; p++) {
    for (let k = 0; k < c; k++) {
      const from = p * c + (bgr && k < 3 ? 2 - k : k);
      const to = chw ? k * w * h + p : p * c + k;
      if (samples16 !== null) out.writeUInt16LE(samples16[from] as number, to * 2);
      else if (dtype === 'float32') out.writeFloatLE((data[from] as number) * scale, to * 4);
      else out[to] = data[from] as number;
    }
  }
  const shape = chw ? [c, h, w] : [h, w, c];
  if (out.length !== shape.reduce((a, b) => a * b, 1) * elementBytes) throw new InternalError('raw tensor size does not match its shape');
  return {
    kind: 'raw', bytes: out, width: w, height: h, channels: c, dtype, layout: settings.layout,
    channelOrder: settings.channelOrder, shape, sourceFormat, transcoded: null, notes,
  };
}
