import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, crc32cPortable, crc32cUpdate, CRC32C_IMPLEMENTATION, maskCrc, maskedCrc32c, unmaskCrc } from '../../src/record/index.js';

test('crc32c known answer: "123456789" = 0xE3069283 (Castagnoli, not zlib CRC-32)', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.notEqual(crc32c(Buffer.from('123456789')), 0xcbf43926, 'zlib CRC-32 would give cbf43926');
  assert.equal(crc32cPortable(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  // RFC 3720 B.4: 32 bytes of zeros, of 0xff.
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
});

test('crc32c is unsigned and covers only the view it is given', () => {
  const whole = Buffer.from('xx123456789yy');
  const view = new Uint8Array(whole.buffer, whole.byteOffset + 2, 9);
  assert.equal(crc32c(view), 0xe3069283);
  for (let i = 0; i < 64; i++) {
    const c = crc32c(Buffer.from([i, i * 7, 255 - i]));
    assert.ok(Number.isInteger(c) && c >= 0 && c <= 0xffffffff);
  }
});

test("mask is TensorFlow's ((c >>> 15) | (c << 17)) + 0xa282ead8 mod 2^32, and unmask inverts it", () => {
  const reference = (c: bigint): number => Number((((c >> 15n) | (c << 17n)) % 2n ** 32n + 0xa282ead8n) % 2n ** 32n);
  const values = [0, 1, 0x7fff, 0x8000, 0xffffffff, 0xe3069283, 0x80000000, 0x12345678];
  for (let i = 0; i < 1000; i++) values.push((i * 2654435761) >>> 0);
  for (const c of values) {
    assert.equal(maskCrc(c), reference(BigInt(c)), `mask ${c.toString(16)}`);
    assert.equal(unmaskCrc(maskCrc(c)), c);
  }
  assert.equal(maskCrc(0), 0xa282ead8);
  assert.equal(maskedCrc32c(Buffer.from('hello')), 0x191c1fbb);
  assert.equal(maskedCrc32c(Buffer.alloc(0)), 0xa282ead8);
});

test('the implementation in use agrees with the pure-JS one, also continued over parts', () => {
  assert.ok(['@node-rs/crc32', 'crc-32/crc32c.js'].includes(CRC32C_IMPLEMENTATION));
  const data = Buffer.alloc(100003);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  assert.equal(crc32c(data), crc32cPortable(data));
  for (const cut of [0, 1, 7, 4096, 100003]) {
    assert.equal(crc32cUpdate(crc32c(data.subarray(0, cut)), data.subarray(cut)), crc32c(data), `cut at ${cut}`);
    assert.equal(crc32cPortable(data.subarray(cut), crc32cPortable(data.subarray(0, cut))), crc32c(data));
  }
});
