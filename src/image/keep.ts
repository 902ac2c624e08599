/** Which bytes pass through as they are (TensorFlow reads them right, nothing asked to change them), and the image they become. */
import type { TfVerdict } from './decodable.js';
import type { HeaderFacts } from './headers.js';
import { needsDecode, type ImageSettings } from './settings.js';
import { sniffFormat, TF_DECODABLE, type SourceFormat, type StoredFormat } from './sniff.js';

/**
 * What the image stage did to the source's pixel geometry: what annotation boxes need to follow
 * the pixels (src/annotations/apply.ts).
 */
export interface SourceGeometry {
  /** The source's pixel size as stored in the file, before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /**
   * The source's EXIF orientation 1..8 as libvips read it (1 when absent), or null when the pixels
   * passed through undecoded (nothing read it; the stored bytes still carry it).
   */
  readonly orientation: number | null;
  /** Whether the pixels were decoded and re-encoded (false: the bytes pass through, nothing moves). */
  readonly decoded: boolean;
  /** sharp opened the JPEG bytes themselves (not pixels decoded here), so libjpeg shrink-on-load applies to a resize. */
  readonly jpegShrinkOnLoad: boolean;
}

/** An image stored as encoded bytes (JPEG, PNG, GIF or BMP). */
export interface EncodedImage {
  readonly kind: 'encoded';
  readonly bytes: Buffer;
  readonly format: StoredFormat;
  readonly width: number;
  readonly height: number;
  /** What tf.io.decode_image returns for `bytes`. */
  readonly channels: number;
  readonly colorspace: string;
  readonly sourceFormat: SourceFormat;
  /** Why the bytes were re-encoded in `keep` mode, or null when stored as they are (or re-encoded on request). */
  readonly transcoded: string | null;
  /** Notes for the summary (dropped animation frames, pages). */
  readonly notes: readonly string[];
  /** The source's geometry and what was done to it. */
  readonly geometry: SourceGeometry;
}

/** Why bytes are re-encoded in keep mode (TensorFlow refuses them, or decodes them wrongly), or null to store them as they are. */
export function keepReason(verdict: TfVerdict): string | null {
  const h = verdict.header as HeaderFacts;
  if (!verdict.decodable) return `${verdict.reason ?? 'not decodable by TensorFlow'}: stored as PNG`;
  // A CMYK JPEG with a profile is converted through it (TensorFlow would ignore it and show wrong
  // colours). Without one there is nothing better than TensorFlow's own CMYK->RGB (PIL's is the
  // same), so the bytes pass through: libvips' stand-in profile would move colours by up to 150 levels.
  if (h.format === 'jpeg' && h.components === 4 && h.jpegIccProfile) return 'CMYK/YCCK JPEG converted to sRGB JPEG through its ICC profile';
  if (h.format === 'gif' && h.frames > 1) return 'animated GIF: first frame stored as PNG';
  if (h.format === 'png' && h.pngEmptyAncillary) return 'PNG with empty ancillary chunks (libpng warns, PIL refuses the file): stored as a clean PNG';
  // Even a one-frame APNG: its animation chunks trip stricter readers (PIL) that TensorFlow ignores.
  if (h.format === 'png' && h.pngAnimated) {
    return `animated PNG: ${h.apngDefaultIsFrame ? 'first frame' : 'default image (not part of the animation)'} stored as a plain PNG`;
  }
  // TensorFlow's decode_bmp ignores the compression field and palette (an 8-bit BMP decodes to its
  // palette indices), reads a 32-bit BMP's fourth byte as alpha (often 0 = invisible), and refuses
  // a file whose size is not exactly pixel offset + rows. Only exact 24-bit BI_RGB BMPs are safe.
  if (h.format === 'bmp' && (h.bitDepth !== 24 || h.bmpCompression !== 0 || !h.bmpExactSize)) {
    return `${h.bitDepth}-bit${h.bmpCompression === 0 ? '' : ' compressed'} BMP stored as PNG (TensorFlow's decode_bmp reads only plain 24-bit BMPs correctly)`;
  }
  return null;
}

/**
 * The image of bytes stored as they are.
 *
 * @example
 * const image = keptImage(bytes, verdict.header, 'jpeg'); // image.bytes === bytes
 */
function keptImage(bytes: Buffer, header: HeaderFacts, sourceFormat: SourceFormat): EncodedImage {
  return {
    kind: 'encoded', bytes, format: header.format, width: header.width, height: header.height,
    channels: header.channels, colorspace: header.colorspace, sourceFormat, transcoded: null, notes: [],
    geometry: { width: header.width, height: header.height, orientation: null, decoded: false, jpegShrinkOnLoad: false },
  };
}

/**
 * The image to store when the bytes pass through as they are (nothing to decode, and TensorFlow
 * reads them right), given their {@link checkTfDecodable} verdict under `settings.maxPixels`; null
 * when they must be transformed or refused. loadImage decides with it (and, under --validate
 * decode, decodes them fully first); a read worker calls it to build the record beside the bytes.
 * Synchronous.
 *
 * @example
 * const image = storeAsIs(bytes, settings, await checkTfDecodable(bytes, { maxPixels: settings.maxPixels }));
 */
export function storeAsIs(bytes: Buffer, settings: ImageSettings, verdict: TfVerdict): EncodedImage | null {
  if (bytes.length === 0 || needsDecode(settings)) return null;
  const sourceFormat = sniffFormat(bytes);
  if (sourceFormat === null || !TF_DECODABLE.has(sourceFormat)) return null;
  // As readVerdict and keepReason decide: readable headers, no problem, nothing to convert.
  if (verdict.header === null || verdict.problem !== null || keepReason(verdict) !== null) return null;
  return keptImage(bytes, verdict.header, sourceFormat);
}

