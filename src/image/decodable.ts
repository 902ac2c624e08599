/** Answers, from the bytes alone, whether TensorFlow's tf.io.decode_image will accept an encoded image. */
import { promisify } from 'node:util';
import { createInflate, inflate } from 'node:zlib';
import { HeaderProblem, readHeaderFacts, type HeaderFacts } from './headers.js';
import { sniffFormat, TF_DECODABLE, type StoredFormat } from './sniff.js';

/** Why bytes fail the decodability rules: the ImageProblem a converter reports when nothing can fix them. */
export type TfVerdictProblem = 'not-an-image' | 'unsupported' | 'truncated' | 'corrupt' | 'too-many-pixels';

/** The answer of {@link checkTfDecodable}. */
export interface TfVerdict {
  /** True when tf.io.decode_image (TensorFlow's libjpeg-turbo 8-bit API, libpng, giflib, decode_bmp) accepts the bytes. */
  readonly decodable: boolean;
  /** The stored format the bytes are, or null when they are not JPEG, PNG, GIF or BMP. */
  readonly format: StoredFormat | null;
  /** Why not, naming what is wrong ("lossless JPEG (SOF3)", "PNG bit depth 3 is illegal for colour type 2"); null when decodable. */
  readonly reason: string | null;
  readonly problem: TfVerdictProblem | null;
  /** The parsed headers, or null when they could not be read. */
  readonly header: HeaderFacts | null;
}

/** Options of {@link checkTfDecodable}. */
export interface TfDecodableOptions {
  /** Refuse (problem 'too-many-pixels') before inflating anything larger; default no limit. */
  readonly maxPixels?: number;
}

const JPEG_FRAME_NAMES: Readonly<Record<number, string>> = {
  0xc0: 'baseline (SOF0)', 0xc1: 'extended sequential (SOF1)', 0xc2: 'progressive (SOF2)', 0xc3: 'lossless (SOF3)',
  0xc5: 'hierarchical sequential (SOF5)', 0xc6: 'hierarchical progressive (SOF6)', 0xc7: 'hierarchical lossless (SOF7)',
  0xc9: 'arithmetic sequential (SOF9)', 0xca: 'arithmetic progressive (SOF10)', 0xcb: 'arithmetic lossless (SOF11)',
  0xcd: 'hierarchical arithmetic sequential (SOF13)', 0xce: 'hierarchical arithmetic progressive (SOF14)',
  0xcf: 'hierarchical arithmetic lossless (SOF15)',
};
/** Frame types libjpeg-turbo's 8-bit API decodes (arithmetic coding included). */
const TF_JPEG_FRAMES = new Set([0xc0, 0xc1, 0xc2, 0xc9, 0xca]);

/** PNG spec table 11.1: legal bit depths per colour type. */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

function verdict(header: HeaderFacts | null, problem: TfVerdictProblem | null, reason: string | null): TfVerdict {
  return { decodable: problem === null, format: header?.format ?? null, reason, problem, header };
}

/**
 * Whether `tf.io.decode_image(bytes)` will accept these bytes, decided from the bytes: headers and
 * markers (as {@link readHeaderFacts}), the JPEG frame type and precision (8-bit baseline,
 * extended, progressive and arithmetic-coded only), the PNG IHDR against the spec's table of bit
 * depths, and the PNG image stream inflated (streaming, nothing kept) to check its Adler-32 and
 * that it yields exactly the bytes IHDR implies. Never throws for bad bytes.
 *
 * @example
 * const v = await checkTfDecodable(await readFile('testimgl.jpg'));
 * v.decodable; // false
 * v.reason;    // 'lossless (SOF3) JPEG: TensorFlow decodes only 8-bit baseline, progressive and arithmetic JPEGs'
 */
export async function checkTfDecodable(bytes: Uint8Array, options: TfDecodableOptions = {}): Promise<TfVerdict> {
  const sniffed = sniffFormat(bytes);
  if (sniffed === null || !TF_DECODABLE.has(sniffed)) {
    return verdict(null, sniffed === null ? 'not-an-image' : 'unsupported', sniffed === null ? 'not an image' : `${sniffed} is not a format TensorFlow decodes`);
  }
  let header: HeaderFacts;
  try {
    header = readHeaderFacts(bytes);
  } catch (error) {
    if (error instanceof HeaderProblem) return verdict(null, error.problem === 'not-an-image' ? 'not-an-image' : error.problem, error.message);
    throw error;
  }
  const maxPixels = options.maxPixels ?? Infinity;
  const pixels = Math.max(header.width * header.height, header.largestFramePixels);
  if (pixels > maxPixels) {
    const size = pixels === header.width * header.height ? `${header.width}x${header.height} = ${pixels} pixels` : `a frame of ${pixels} pixels`;
    return verdict(header, 'too-many-pixels', `${size} exceeds --max-pixels ${maxPixels}`);
  }
  const structural = header.format === 'jpeg' ? checkJpegFrame(header) : header.format === 'png' ? checkPngHeader(header) : null;
  if (structural !== null) return verdict(header, 'unsupported', structural);
  if (header.format === 'png') {
    const stream = await checkPngStream(bytes, header);
    if (stream !== null) return verdict(header, stream.problem, stream.reason);
  }
  return verdict(header, null, null);
}

function checkJpegFrame(h: HeaderFacts): string | null {
  const name = JPEG_FRAME_NAMES[h.jpegFrameMarker] ?? `SOF 0x${h.jpegFrameMarker.toString(16)}`;
  if (!TF_JPEG_FRAMES.has(h.jpegFrameMarker)) return `${name} JPEG: TensorFlow decodes only 8-bit baseline, progressive and arithmetic JPEGs`;
  if (h.bitDepth !== 8) return `${h.bitDepth}-bit ${name} JPEG: TensorFlow's libjpeg-turbo decodes only 8-bit samples`;
  return null;
}

function checkPngHeader(h: HeaderFacts): string | null {
  if (!(PNG_DEPTHS[h.pngColorType] ?? []).includes(h.bitDepth)) {
    return `PNG bit depth ${h.bitDepth} is illegal for colour type ${h.pngColorType} (allowed: ${(PNG_DEPTHS[h.pngColorType] ?? []).join(', ')})`;
  }
  if (h.pngMethods !== 0) return 'PNG IHDR names an unknown compression or filter method';
  if (h.pngInterlace !== 0 && h.pngInterlace !== 1) return `PNG interlace method ${h.pngInterlace} is unknown`;
  if (h.pngColorType === 3 && !h.pngHasPalette) return 'palette PNG without a PLTE chunk before its image data';
  return null;
}

/** Bytes the PNG image stream must inflate to: one filter byte per row, per pass when interlaced. */
function expectedPngBytes(h: HeaderFacts): number {
  const bits = (PNG_SAMPLES[h.pngColorType] as number) * h.bitDepth;
  const rows = (w: number, n: number): number => (w === 0 || n === 0 ? 0 : n * (1 + Math.ceil((w * bits) / 8)));
  if (h.pngInterlace === 0) return rows(h.width, h.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(h.width > x0 ? Math.ceil((h.width - x0) / dx) : 0, h.height > y0 ? Math.ceil((h.height - y0) / dy) : 0);
  }
  return total;
}

/** The IDAT chunks' data, in order (the chunk structure was checked by readHeaderFacts). */
function collectIdat(buf: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let pos = 8; pos + 12 <= buf.length;) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (type === 'IDAT') parts.push(buf.subarray(pos + 8, pos + 8 + length));
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  return parts;
}

const inflateOnce = promisify(inflate);

/** Images whose inflated stream is at most this large are inflated in one call (fast); larger ones stream. */
const SYNC_INFLATE_LIMIT = 32 * 1024 * 1024;

type StreamProblem = { problem: TfVerdictProblem; reason: string } | null;

/** The verdict for a zlib error, by its code and message. */
function describeZlibError(error: NodeJS.ErrnoException, produced: number | null, expected: number): StreamProblem {
  if (error.code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
    return { problem: 'corrupt', reason: `PNG image data inflates to more than the ${expected} bytes its IHDR implies` };
  }
  if (/incorrect data check/i.test(error.message)) return { problem: 'corrupt', reason: 'PNG image data fails its zlib Adler-32 check (libpng refuses it)' };
  if (error.code === 'Z_BUF_ERROR' || /unexpected end/i.test(error.message)) {
    return { problem: 'truncated', reason: `PNG image data ends ${produced === null ? 'early' : `after ${produced}`} of ${expected} bytes (zlib stream cut short)` };
  }
  return { problem: 'corrupt', reason: `PNG image data is not a valid zlib stream: ${error.message.replace(/^.*: /, '')}` };
}

/**
 * Inflates the image stream and counts its bytes. Up to {@link SYNC_INFLATE_LIMIT} in one call
 * (output bounded by maxOutputLength, dropped at once); larger streams are inflated in chunks
 * that are counted and dropped, so memory stays bounded whatever IHDR declares.
 */
async function checkPngStream(bytes: Uint8Array, h: HeaderFacts): Promise<StreamProblem> {
  const expected = expectedPngBytes(h);
  const parts = collectIdat(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const input = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  const wrongSize = (produced: number): StreamProblem => (produced === expected ? null
    : { problem: 'corrupt', reason: `PNG image data inflates to ${produced} bytes where its IHDR implies ${expected}` });
  if (expected <= SYNC_INFLATE_LIMIT) {
    try {
      // One output chunk: a single trip to libuv's thread pool, off the main thread.
      return wrongSize((await inflateOnce(input, { chunkSize: Math.max(64 * 1024, expected + 1), maxOutputLength: Math.max(1, expected) })).length);
    } catch (error) {
      return describeZlibError(error as NodeJS.ErrnoException, null, expected);
    }
  }
  const inflate = createInflate({ chunkSize: 1024 * 1024 });
  let produced = 0;
  const outcome = new Promise<StreamProblem>((resolve) => {
    inflate.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      if (produced > expected) {
        resolve({ problem: 'corrupt', reason: `PNG image data inflates to more than the ${expected} bytes its IHDR implies` });
        inflate.destroy();
      }
    });
    inflate.on('error', (error: NodeJS.ErrnoException) => resolve(describeZlibError(error, produced, expected)));
    inflate.on('end', () => resolve(wrongSize(produced)));
  });
  inflate.end(input);
  return outcome;
}
