/** CRC-32C (Castagnoli) and TensorFlow's CRC masking: the checksums of every TFRecord frame. */
import { createRequire } from 'node:module';
import type CRC32CModule from 'crc-32/crc32c.js';

/** CRC-32C of `data` continued from `seed` (the CRC of everything before it; 0 to start). */
type Crc32c = (data: Uint8Array, seed: number) => number;

/**
 * @node-rs/crc32's SIMD crc32c when its native binary loads (measured ~10x faster than crc-32 here:
 * CRC was over 10% of pass-through time), else crc-32/crc32c.js, which gives the same values.
 */
function pickImplementation(): { name: string; fn: Crc32c } {
  try {
    const native = require('@node-rs/crc32') as { crc32c: (data: Uint8Array, seed?: number) => number };
    if (native.crc32c(Buffer.from('123456789')) >>> 0 === 0xe3069283) return { name: '@node-rs/crc32', fn: (d, seed) => native.crc32c(d, seed) >>> 0 };
  } catch {
    // No prebuilt binary for this platform: the pure-JS table implementation is correct, only slower.
  }
  const CRC32C = portable();
  return { name: 'crc-32/crc32c.js', fn: (d, seed) => CRC32C.buf(d, seed | 0) >>> 0 };
}

const require = createRequire(import.meta.url);
let portableModule: typeof CRC32CModule | null = null;

// Required on first use: with the native binding in use it is only the tests' reference.
// The package's main entry is zlib's CRC-32 (a different polynomial); only this entry is CRC-32C.
function portable(): typeof CRC32CModule {
  portableModule ??= require('crc-32/crc32c.js') as typeof CRC32CModule;
  return portableModule;
}

const implementation = pickImplementation();

/** Which CRC-32C implementation is in use ('@node-rs/crc32' or 'crc-32/crc32c.js'). */
export const CRC32C_IMPLEMENTATION: string = implementation.name;

/** Added after rotating, as TensorFlow's crc32c::Mask does. */
const MASK_DELTA = 0xa282ead8;

/**
 * CRC-32C of `data` as an unsigned 32-bit integer. The one place that picks the implementation.
 *
 * @example
 * crc32c(Buffer.from('123456789')).toString(16); // 'e3069283'
 */
export function crc32c(data: Uint8Array): number {
  return implementation.fn(data, 0);
}

/**
 * CRC-32C of `data` following bytes whose CRC-32C was `previous`: crc32c(a + b) equals
 * crc32cUpdate(crc32c(a), b), so a payload in parts is checksummed without joining it.
 *
 * @example
 * crc32cUpdate(crc32c(Buffer.from('12345')), Buffer.from('6789')).toString(16); // 'e3069283'
 */
export function crc32cUpdate(previous: number, data: Uint8Array): number {
  return implementation.fn(data, previous);
}

/**
 * The pure-JS CRC-32C, always available; tests check it against the native one.
 *
 * @example
 * crc32cPortable(Buffer.from('123456789')) === crc32c(Buffer.from('123456789')); // true
 */
export function crc32cPortable(data: Uint8Array, previous = 0): number {
  return portable().buf(data, previous | 0) >>> 0;
}

/**
 * TensorFlow's masked CRC: rotate right by 15 bits and add a constant, so that a CRC stored inside
 * the data it covers does not checksum to a fixed value.
 *
 * @example
 * maskCrc(crc32c(Buffer.alloc(0))); // 0xa282ead8
 */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * Inverse of {@link maskCrc}.
 *
 * @example
 * unmaskCrc(maskCrc(0x12345678)) === 0x12345678; // true
 */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/**
 * Masked CRC-32C of `data`, as stored in TFRecord frames.
 *
 * @example
 * maskedCrc32c(Buffer.from('hello')).toString(16); // '191c1fbb'
 */
export function maskedCrc32c(data: Uint8Array): number {
  return maskCrc(crc32c(data));
}
