/** Reads the EXIF orientation of JPEG / PNG bytes that passed through undecoded (libvips never saw them). */

/** The orientation in a TIFF-structured EXIF block (after "Exif\0\0"), or 1. */
function readTiffOrientation(b: Uint8Array, start: number, end: number): number {
  if (end - start < 8) return 1;
  const little = b[start] === 0x49 && b[start + 1] === 0x49;
  if (!little && !(b[start] === 0x4d && b[start + 1] === 0x4d)) return 1;
  const u16 = (at: number): number => (little ? (b[at] as number) | ((b[at + 1] as number) << 8) : ((b[at] as number) << 8) | (b[at + 1] as number));
  const u32 = (at: number): number => (little ? u16(at) + u16(at + 2) * 65536 : u16(at) * 65536 + u16(at + 2));
  const ifd = start + u32(start + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    // Tag 0x0112 Orientation, type SHORT (3), count 1: the value sits in the entry itself.
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 2) === 3 ? u16(entry + 8) : 1;
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

function readJpegOrientation(b: Uint8Array): number {
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return 1;
    const marker = b[at + 1] as number;
    // Fill bytes, then markers without a length.
    if (marker === 0xff) { at++; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    // Start of scan or end of image: EXIF comes before the image data.
    if (marker === 0xda || marker === 0xd9) return 1;
    const length = ((b[at + 2] as number) << 8) | (b[at + 3] as number);
    const body = at + 4;
    const end = Math.min(b.length, at + 2 + length);
    if (marker === 0xe1 && end - body >= 6 && Buffer.from(b.subarray(body, body + 6)).toString('latin1') === 'Exif\0\0') {
      return readTiffOrientation(b, body + 6, end);
    }
    at += 2 + length;
  }
  return 1;
}

function readPngOrientation(b: Uint8Array): number {
  let at = 8;
  while (at + 12 <= b.length) {
    const length = (((b[at] as number) << 24) >>> 0) + ((b[at + 1] as number) << 16) + ((b[at + 2] as number) << 8) + (b[at + 3] as number);
    const type = Buffer.from(b.subarray(at + 4, at + 8)).toString('latin1');
    const end = Math.min(b.length, at + 8 + length);
    if (type === 'eXIf') return readTiffOrientation(b, at + 8, end);
    if (type === 'IDAT' || type === 'IEND') return 1;
    at += 12 + length;
  }
  return 1;
}

/**
 * The EXIF orientation (1..8) of JPEG (APP1 Exif) or PNG (eXIf before IDAT) bytes, as libvips
 * would read it; 1 when absent, unreadable, or another format. Only the first IFD is read.
 *
 * @example
 * readExifOrientation(await readFile('Landscape_6.jpg')); // 6
 */
export function readExifOrientation(bytes: Uint8Array): number {
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return readJpegOrientation(bytes);
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return readPngOrientation(bytes);
  return 1;
}
