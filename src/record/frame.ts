/** The TFRecord frame: sizes, header and footer encoding. */
import { crc32cCombine } from './crc32c-combine.js';
import { crc32cUpdate, maskCrc, maskedCrc32c } from './crc32c.js';

// Byte layout of one record, as in TensorFlow's core/lib/io/record_writer.h:
//
//   uint64  length        little-endian length of data           LENGTH_BYTES     = 8
//   uint32  length_crc    masked CRC-32C of the 8 length bytes    LENGTH_CRC_BYTES = 4
//   byte    data[length]
//   uint32  data_crc      masked CRC-32C of data                  FOOTER_BYTES     = 4
//
// The CRCs are little-endian too. A stream is frames back to back, with nothing between them.

/** Bytes of the little-endian uint64 length field. */
export const LENGTH_BYTES = 8;
/** Bytes of the masked CRC-32C of the length field. */
export const LENGTH_CRC_BYTES = 4;
/** Length field plus its CRC: everything before the data. */
export const HEADER_BYTES = LENGTH_BYTES + LENGTH_CRC_BYTES;
/** Bytes of the masked CRC-32C of the data, after the data. */
export const FOOTER_BYTES = 4;
/** Bytes a frame adds to its data. */
export const FRAME_OVERHEAD_BYTES = HEADER_BYTES + FOOTER_BYTES;

/**
 * The 12-byte header of a record of `length` bytes.
 *
 * @example
 * encodeFrameHeader(0).toString('hex'); // '000000000000000029039807'
 */
export function encodeFrameHeader(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`record length must be a non-negative safe integer, got ${length}`);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeBigUInt64LE(BigInt(length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, LENGTH_BYTES)), LENGTH_BYTES);
  return header;
}

/**
 * The 4-byte footer (masked CRC-32C) of `data`.
 *
 * @example
 * encodeFrameFooter(Buffer.from('hello')).toString('hex'); // 'bb1f1c19'
 */
export function encodeFrameFooter(data: Uint8Array): Buffer {
  const footer = Buffer.allocUnsafe(FOOTER_BYTES);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return footer;
}

/** CRC-32Cs computed elsewhere (a worker thread that read the bytes), by the very view they cover. */
const knownCrcs = new WeakMap<Uint8Array, number>();

/**
 * Records that `crc` is the (unmasked) CRC-32C of `bytes`, computed elsewhere: a frame whose payload
 * has that very view as a part joins it with {@link crc32cCombine} instead of reading the bytes
 * again. Forgotten with the view. The caller vouches for it: a wrong CRC makes a corrupt record.
 *
 * @example
 * rememberCrc32c(imageBytes, crcFromWorker);
 * encodeFrameFooterOfParts([head, imageBytes, tail]); // image bytes not read again
 */
export function rememberCrc32c(bytes: Uint8Array, crc: number): void {
  knownCrcs.set(bytes, crc >>> 0);
}

/**
 * The footer of a payload given in parts (the masked CRC-32C of their concatenation).
 *
 * @example
 * encodeFrameFooterOfParts([Buffer.from('he'), Buffer.from('llo')]).toString('hex'); // 'bb1f1c19'
 */
export function encodeFrameFooterOfParts(parts: readonly Uint8Array[]): Buffer {
  let crc = 0;
  for (const part of parts) {
    const known = knownCrcs.get(part);
    // crc(a || b) = crc(a) x^(8 |b|) + crc(b): nothing to join when crc(a) is 0 (a payload of one part).
    crc = known === undefined ? crc32cUpdate(crc, part) : crc === 0 ? known : crc32cCombine(crc, known, part.length);
  }
  const footer = Buffer.allocUnsafe(FOOTER_BYTES);
  footer.writeUInt32LE(maskCrc(crc), 0);
  return footer;
}

/**
 * The three parts of a frame, without copying `data`: the writer sends them as one writev.
 *
 * @example
 * const [header, data, footer] = frameRecord(payload);
 */
export function frameRecord(data: Uint8Array): readonly [Buffer, Uint8Array, Buffer] {
  return [encodeFrameHeader(data.length), data, encodeFrameFooter(data)];
}

/**
 * A whole frame in one buffer (copies `data`; for tests and small records).
 *
 * @example
 * frameRecordToBuffer(Buffer.from('hello')).toString('hex');
 * // '0500000000000000eab2043e68656c6c6fbb1f1c19'
 */
export function frameRecordToBuffer(data: Uint8Array): Buffer {
  return Buffer.concat(frameRecord(data));
}
