/** Decodes Netpbm images (PBM, PGM, PPM plain and raw, PAM, PFM), which sharp's prebuilt libvips cannot read. */
import { HeaderProblem } from './headers.js';

/** A Netpbm header: what the file declares before its samples. */
export interface NetpbmHeader {
  /** 'P1'..'P7', 'PF' (colour PFM) or 'Pf' (grey PFM). */
  readonly magic: string;
  readonly width: number;
  readonly height: number;
  /** Samples per pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** Largest sample value (1 for PBM); for PFM the absolute scale. */
  readonly maxval: number;
  /** Byte offset of the first sample. */
  readonly dataOffset: number;
  /** PFM only: samples are little-endian (negative scale). */
  readonly littleEndian: boolean;
}

/** Netpbm pixels, top row first, interleaved, 8 bits per sample. */
export interface NetpbmPixels {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/** Reads whitespace-separated header tokens, skipping `#` comments, from `pos`. */
function readTokens(buf: Buffer, pos: number, count: number): { tokens: string[]; pos: number } {
  const tokens: string[] = [];
  while (tokens.length < count) {
    while (pos < buf.length && (SPACE.has(buf[pos] as number) || buf[pos] === 0x23)) {
      if (buf[pos] === 0x23) while (pos < buf.length && buf[pos] !== 0x0a && buf[pos] !== 0x0d) pos++;
      else pos++;
    }
    const start = pos;
    while (pos < buf.length && !SPACE.has(buf[pos] as number) && buf[pos] !== 0x23) pos++;
    if (start === pos) throw new HeaderProblem('truncated', 'Netpbm header ends early');
    tokens.push(buf.toString('latin1', start, pos));
  }
  return { tokens, pos };
}

function positive(text: string, what: string, max = 0xffffffff): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) throw new HeaderProblem('corrupt', `Netpbm ${what} "${text.slice(0, 20)}" is invalid`);
  return value;
}

function readPamHeader(buf: Buffer): NetpbmHeader {
  const end = buf.indexOf('ENDHDR', 2, 'latin1');
  if (end === -1) throw new HeaderProblem('truncated', 'PAM header has no ENDHDR');
  const fields = new Map<string, string>();
  for (const line of buf.toString('latin1', 3, end).split(/\r?\n/)) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key !== undefined && key !== '' && !key.startsWith('#')) fields.set(key, rest.join(' '));
  }
  const depth = positive(fields.get('DEPTH') ?? '', 'DEPTH', 4) as 1 | 2 | 3 | 4;
  const newline = buf.indexOf(0x0a, end);
  return {
    magic: 'P7', width: positive(fields.get('WIDTH') ?? '', 'WIDTH'), height: positive(fields.get('HEIGHT') ?? '', 'HEIGHT'),
    channels: depth, maxval: positive(fields.get('MAXVAL') ?? '', 'MAXVAL', 65535), dataOffset: newline === -1 ? buf.length : newline + 1, littleEndian: false,
  };
}

/**
 * Parses a Netpbm header (no samples are read), so that a pixel limit can be applied first.
 *
 * @example
 * readNetpbmHeader(Buffer.from('P5\n2 1\n255\n\x00\xff', 'latin1')); // { magic: 'P5', width: 2, height: 1, ... }
 */
export function readNetpbmHeader(bytes: Uint8Array): NetpbmHeader {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = buf.toString('latin1', 0, 2);
  if (magic === 'P7') return readPamHeader(buf);
  const pfm = magic === 'PF' || magic === 'Pf';
  const bitmap = magic === 'P1' || magic === 'P4';
  const { tokens, pos } = readTokens(buf, 2, bitmap ? 2 : 3);
  const width = positive(tokens[0] as string, 'width');
  const height = positive(tokens[1] as string, 'height');
  let maxval = 1;
  let littleEndian = false;
  if (pfm) {
    const scale = Number(tokens[2]);
    if (!Number.isFinite(scale) || scale === 0) throw new HeaderProblem('corrupt', `PFM scale "${tokens[2] ?? ''}" is invalid`);
    littleEndian = scale < 0;
  } else if (!bitmap) maxval = positive(tokens[2] as string, 'maxval', 65535);
  const channels = magic === 'P3' || magic === 'P6' || magic === 'PF' ? 3 : 1;
  // Exactly one whitespace byte separates the header from raw samples.
  return { magic, width, height, channels, maxval, dataOffset: pos + 1, littleEndian };
}

/** 8-bit value of a sample, as PIL scales Netpbm samples (to 255, or to 65535 and then v >> 8). */
function scaleSample(v: number, maxval: number): number {
  const clamped = Math.min(v, maxval);
  return maxval <= 255 ? Math.round((clamped * 255) / maxval) : Math.round((clamped * 65535) / maxval) >> 8;
}

function decodeRaw(buf: Buffer, h: NetpbmHeader, out: Buffer): void {
  const n = h.width * h.height * h.channels;
  if (h.magic === 'P4') {
    const rowBytes = Math.ceil(h.width / 8);
    if (h.dataOffset + rowBytes * h.height > buf.length) throw new HeaderProblem('truncated', 'PBM pixel data is cut short');
    for (let y = 0; y < h.height; y++) {
      for (let x = 0; x < h.width; x++) {
        const bit = ((buf[h.dataOffset + y * rowBytes + (x >> 3)] as number) >> (7 - (x & 7))) & 1;
        out[y * h.width + x] = bit === 1 ? 0 : 255;
      }
    }
    return;
  }
  if (h.magic === 'PF' || h.magic === 'Pf') {
    if (h.dataOffset + n * 4 > buf.length) throw new HeaderProblem('truncated', 'PFM pixel data is cut short');
    const rowSamples = h.width * h.channels;
    for (let i = 0; i < n; i++) {
      // PFM rows run bottom to top; samples are floats, 0..1 mapped to 0..255 (clamped).
      const row = h.height - 1 - Math.floor(i / rowSamples);
      const at = h.dataOffset + (row * rowSamples + (i % rowSamples)) * 4;
      const v = h.littleEndian ? buf.readFloatLE(at) : buf.readFloatBE(at);
      out[i] = Number.isNaN(v) ? 0 : Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    return;
  }
  const wide = h.maxval > 255;
  if (h.dataOffset + n * (wide ? 2 : 1) > buf.length) throw new HeaderProblem('truncated', 'Netpbm pixel data is cut short');
  for (let i = 0; i < n; i++) {
    const v = wide ? buf.readUInt16BE(h.dataOffset + i * 2) : (buf[h.dataOffset + i] as number);
    out[i] = h.maxval === 255 ? v : scaleSample(v, h.maxval);
  }
}

function decodePlain(buf: Buffer, h: NetpbmHeader, out: Buffer): void {
  let pos = h.dataOffset - 1;
  const n = h.width * h.height * h.channels;
  for (let i = 0; i < n; i++) {
    while (pos < buf.length && (SPACE.has(buf[pos] as number) || buf[pos] === 0x23)) {
      if (buf[pos] === 0x23) while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      else pos++;
    }
    if (pos >= buf.length) throw new HeaderProblem('truncated', `plain Netpbm data ends after ${i} of ${n} samples`);
    if (h.magic === 'P1') {
      // PBM samples need no separator: each is one digit, 1 = black.
      out[i] = buf[pos] === 0x31 ? 0 : 255;
      pos++;
      continue;
    }
    const start = pos;
    while (pos < buf.length && (buf[pos] as number) >= 0x30 && (buf[pos] as number) <= 0x39) pos++;
    if (start === pos) throw new HeaderProblem('corrupt', `plain Netpbm sample ${i} is not a number`);
    out[i] = scaleSample(Number(buf.toString('latin1', start, pos)), h.maxval);
  }
}

/**
 * Decodes a Netpbm image to 8-bit interleaved samples: PBM black 0 / white 255, PGM and PPM
 * samples scaled from their maxval as PIL does, PFM floats clamped to 0..1 and scaled to 0..255.
 * Throws HeaderProblem for a malformed or short file.
 *
 * @example
 * const { data, width, height, channels } = decodeNetpbm(await readFile('hopper.ppm'));
 */
export function decodeNetpbm(bytes: Uint8Array, header: NetpbmHeader = readNetpbmHeader(bytes)): NetpbmPixels {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = Buffer.alloc(header.width * header.height * header.channels);
  if (['P1', 'P2', 'P3'].includes(header.magic)) decodePlain(buf, header, out);
  else decodeRaw(buf, header, out);
  return { data: out, width: header.width, height: header.height, channels: header.channels };
}
