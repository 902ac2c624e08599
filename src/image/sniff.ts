/** Tells an image's format from its first bytes (magic numbers), never from its name. */

/** Formats TensorFlow's decode_image reads, and so the formats records store. */
export type StoredFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

/** Every format recognised from the bytes. */
export type SourceFormat = StoredFormat | 'webp' | 'tiff' | 'svg' | 'avif' | 'heif' | 'jp2' | 'pnm';

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
  // Netpbm: P1-P6 (PBM/PGM/PPM, plain and raw), PF/Pf (PFM), then whitespace; P7 and a newline
  // is PAM ("P7 332" is an XV thumbnail, named by identifyUnsupported).
  if (bytes[0] === 0x50 && /^((P[1-6]|PF|Pf)\s|P7\r?\n)/.test(ascii(bytes, 0, 4))) return 'pnm';
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

/** Image formats recognised by signature that neither TensorFlow nor sharp's prebuilt libvips decodes. */
const UNSUPPORTED_SIGNATURES: readonly { readonly name: string; readonly test: (b: Uint8Array) => boolean }[] = [
  { name: 'XV thumbnail', test: (b) => ascii(b, 0, 6) === 'P7 332' },
  { name: 'ICO icon', test: (b) => startsWith(b, [0, 0, 1, 0]) && b.length >= 6 && (b[4] as number) + (b[5] as number) > 0 },
  { name: 'CUR cursor', test: (b) => startsWith(b, [0, 0, 2, 0]) && b.length >= 6 && (b[4] as number) + (b[5] as number) > 0 },
  { name: 'PSD (Photoshop) image', test: (b) => ascii(b, 0, 4) === '8BPS' },
  { name: 'DDS texture', test: (b) => ascii(b, 0, 4) === 'DDS ' },
  { name: 'SGI image', test: (b) => startsWith(b, [0x01, 0xda]) },
  { name: 'PCX image', test: (b) => b[0] === 0x0a && (b[1] ?? 9) <= 5 && b[2] === 1 && [1, 2, 4, 8].includes(b[3] ?? 0) },
  { name: 'DCX image', test: (b) => startsWith(b, [0xb1, 0x68, 0xde, 0x3a]) },
  { name: 'FLI/FLC animation', test: (b) => b[5] === 0xaf && (b[4] === 0x11 || b[4] === 0x12) },
  { name: 'Sun raster image', test: (b) => startsWith(b, [0x59, 0xa6, 0x6a, 0x95]) },
  { name: 'QOI image', test: (b) => ascii(b, 0, 4) === 'qoif' },
  { name: 'ICNS icon', test: (b) => ascii(b, 0, 4) === 'icns' },
  { name: 'BLP texture', test: (b) => ascii(b, 0, 4) === 'BLP1' || ascii(b, 0, 4) === 'BLP2' },
  { name: 'FTEX texture', test: (b) => ascii(b, 0, 4) === 'FTEX' },
  { name: 'FITS image', test: (b) => ascii(b, 0, 9) === 'SIMPLE  =' },
  { name: 'Radiance HDR image', test: (b) => ascii(b, 0, 10) === '#?RADIANCE' || ascii(b, 0, 6) === '#?RGBE' },
  { name: 'JPEG XL image', test: (b) => startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]) },
  { name: 'MSP image', test: (b) => ascii(b, 0, 4) === 'DanM' || ascii(b, 0, 4) === 'LinS' },
  { name: 'WMF metafile', test: (b) => startsWith(b, [0xd7, 0xcd, 0xc6, 0x9a]) },
  { name: 'EMF metafile', test: (b) => startsWith(b, [1, 0, 0, 0]) && ascii(b, 40, 44) === ' EMF' },
  { name: 'EPS document', test: (b) => ascii(b, 0, 4) === '%!PS' || startsWith(b, [0xc5, 0xd0, 0xd3, 0xc6]) },
  { name: 'XPM image', test: (b) => ascii(b, 0, 9) === '/* XPM */' },
  { name: 'XBM image', test: (b) => /^#define \S+_width \d/.test(ascii(b, 0, 64)) },
  { name: 'GIMP brush', test: (b) => ascii(b, 20, 24) === 'GIMP' },
  { name: 'IFUNC image', test: (b) => ascii(b, 0, 11) === 'Image type:' },
];

/**
 * A TGA header that is plausible (TGA has no signature at its start): colour map type 0 or 1,
 * image type 1-3 or 9-11, a known pixel depth; or the TGA 2.0 footer.
 */
function looksLikeTga(b: Uint8Array): boolean {
  if (b.length >= 26 && ascii(b, b.length - 18, b.length - 2) === 'TRUEVISION-XFILE') return true;
  if (b.length < 18) return false;
  const mapType = b[1] as number;
  const type = b[2] as number;
  const depth = b[16] as number;
  const width = (b[12] as number) | ((b[13] as number) << 8);
  const height = (b[14] as number) | ((b[15] as number) << 8);
  return mapType <= 1 && [1, 2, 3, 9, 10, 11].includes(type) && [8, 15, 16, 24, 32].includes(depth) && width > 0 && height > 0;
}

/**
 * The name of an image format that is recognised but not supported (neither TensorFlow nor sharp
 * decodes it), from its signature, or for TGA (which has none) from a `.tga` name and a plausible
 * header; null when the bytes are no image format known here.
 *
 * @example
 * identifyUnsupported(await readFile('icon.ico'), 'icon.ico'); // 'ICO icon'
 */
export function identifyUnsupported(bytes: Uint8Array, name = ''): string | null {
  const hit = UNSUPPORTED_SIGNATURES.find((s) => s.test(bytes));
  if (hit !== undefined) return hit.name;
  if (/\.(tga|icb|vda|vst)$/i.test(name) && looksLikeTga(bytes)) return 'TGA image';
  return null;
}
