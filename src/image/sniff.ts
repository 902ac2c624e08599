/** Tells an image's format from its first bytes (magic numbers), never from its name. */

/** Formats TensorFlow's decode_image reads, and so the formats records store. */
export type StoredFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

/** Every format recognised from the bytes. */
export type SourceFormat = StoredFormat | 'webp' | 'tiff' | 'svg' | 'avif' | 'heif' | 'jp2';

/** Formats tf.io.decode_image decodes (and so can be stored as they are). */
export const TF_DECODABLE: ReadonlySet<SourceFormat> = new Set<SourceFormat>(['jpeg', 'png', 'gif', 'bmp']);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  return sig.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/**
 * The format of `bytes` from its magic number, or null when it is not a recognised image.
 *
 * @example
 * sniffFormat(await readFile('photo.dat')); // 'jpeg'
 */
export function sniffFormat(bytes: Uint8Array): SourceFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return 'gif';
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])
    || startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) return 'jp2';
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1'].includes(brand)) return 'heif';
  }
  // SVG is text: skip a BOM and whitespace, then XML declaration, comments or <svg.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^<svg[\s>]/i.test(text) || (/^<(\?xml|!--|!DOCTYPE)/i.test(text) && /<svg[\s>]/i.test(text))) return 'svg';
  return null;
}

/**
 * A short description of what unrecognised bytes look like, for error messages.
 *
 * @example
 * describeUnknownBytes(Buffer.from('Apache License')); // 'a text file'
 */
export function describeUnknownBytes(bytes: Uint8Array): string {
  // Only the kind of content: a file that is not an image may be a secret (a manifest row can
  // point anywhere, e.g. /etc/shadow), so none of its bytes go into a message or dataset.json.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256));
  const text = head.toString('latin1');
  if (/^%PDF/.test(text)) return 'a PDF document';
  if (/^PK\x03\x04/.test(text)) return 'a ZIP archive';
  if (/^\x1f\x8b/.test(text)) return 'gzip data';
  if (/^\x7fELF/.test(text)) return 'an executable (ELF)';
  if (/^\s*</.test(text) && /^[\x09\x0a\x0d\x20-\x7e]+$/.test(text)) return 'a text file (markup such as HTML or XML)';
  if (/^[\x09\x0a\x0d\x20-\x7e]+$/.test(text) || isUtf8Text(head)) return 'a text file';
  return 'binary data of an unknown kind';
}

function isUtf8Text(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return true;
  } catch {
    return false;
  }
}
