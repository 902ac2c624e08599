/** CRC-32C of a concatenation from the CRCs of its pieces, so a record's big part can be checksummed elsewhere (another thread) and joined. */

/** The reflected Castagnoli polynomial (CRC-32C). */
const POLY = 0x82f63b78;

function multiplyMatrix(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if ((vector & 1) !== 0) sum ^= matrix[i] as number;
  return sum >>> 0;
}

function squareMatrix(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = multiplyMatrix(matrix, matrix[n] as number);
}

/**
 * The CRC-32C of `a || b`, given `crcA` = crc32c(a), `crcB` = crc32c(b) and b's length (zlib's
 * crc32_combine, with the Castagnoli polynomial): O(log lengthB) 32x32 bit-matrix steps, no bytes.
 *
 * @example
 * crc32cCombine(crc32c(head), crc32c(image), image.length) === crc32c(Buffer.concat([head, image])); // true
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // The operator for one zero bit, then for two, then four.
  odd[0] = POLY;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  squareMatrix(even, odd);
  squareMatrix(odd, even);
  let crc = crcA >>> 0;
  let remaining = lengthB;
  // Apply len(b) zero bytes to crcA, one squaring per bit of the length.
  for (;;) {
    squareMatrix(even, odd);
    if ((remaining & 1) !== 0) crc = multiplyMatrix(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    squareMatrix(odd, even);
    if ((remaining & 1) !== 0) crc = multiplyMatrix(odd, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
