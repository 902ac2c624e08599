/** CRC-32C of a concatenation from the CRCs of its pieces, so a record's big part can be checksummed elsewhere (another thread) and joined. */

/** The reflected Castagnoli polynomial (CRC-32C). */
const POLY = 0x82f63b78;

/** a(x) * b(x) modulo the polynomial, in the reflected bit order (x^0 is the top bit). */
function multiplyModPoly(a: number, b: number): number {
  let m = 0x80000000;
  let product = 0;
  for (;;) {
    if ((a & m) !== 0) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^n) modulo the polynomial, n = 0..31 (zlib's x2n_table). */
const X2N = (() => {
  const table = new Uint32Array(32);
  let p = 0x40000000; // x^1
  table[0] = p;
  for (let n = 1; n < 32; n++) table[n] = p = multiplyModPoly(p, p);
  return table;
})();

/** x^(n * 2^k) modulo the polynomial. */
function powerOfX(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multiplyModPoly(X2N[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/**
 * The CRC-32C of `a || b`, given `crcA` = crc32c(a), `crcB` = crc32c(b) and b's length (zlib 1.2.12's
 * crc32_combine, with the Castagnoli polynomial): crcA times x^(8 lengthB), about one polynomial
 * product per bit of the length, no bytes read (~1 us for a 100 KB image, against ~25 us to CRC it).
 *
 * @example
 * crc32cCombine(crc32c(head), crc32c(image), image.length) === crc32c(Buffer.concat([head, image])); // true
 */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multiplyModPoly(powerOfX(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}
