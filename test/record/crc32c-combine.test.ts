import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32cCombine } from '../../src/record/crc32c-combine.js';
import { crc32cPortable, encodeFrameFooter, encodeFrameFooterOfParts, rememberCrc32c } from '../../src/record/index.js';

test('crc32cCombine(crc(a), crc(b), |b|) equals the CRC-32C of a || b, for every split of a buffer', () => {
  const whole = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 24));
  for (const cut of [0, 1, 2, 3, 7, 8, 9, 64, 150, 255, 256, 299, 300]) {
    const a = whole.subarray(0, cut);
    const b = whole.subarray(cut);
    assert.equal(crc32cCombine(crc32cPortable(a), crc32cPortable(b), b.length), crc32cPortable(whole), `cut at ${cut}`);
  }
});

test('crc32cCombine of "12345" and "6789" is the check value 0xE3069283; an empty tail leaves the head', () => {
  const head = crc32cPortable(Buffer.from('12345'));
  assert.equal(crc32cCombine(head, crc32cPortable(Buffer.from('6789')), 4), 0xe3069283);
  assert.equal(crc32cCombine(head, 0, 0), head);
});

test('crc32cCombine handles a large tail length (100 KiB) and three pieces', () => {
  const big = Buffer.alloc(100 * 1024 + 13, 0xa5);
  const head = Buffer.from('head');
  const tail = Buffer.from('tail bytes');
  const joined = crc32cCombine(crc32cCombine(crc32cPortable(head), crc32cPortable(big), big.length), crc32cPortable(tail), tail.length);
  assert.equal(joined, crc32cPortable(Buffer.concat([head, big, tail])));
});

test('encodeFrameFooterOfParts joins a remembered CRC instead of reading that part', () => {
  const image = Buffer.alloc(100_000, 0x5a);
  const parts = [Buffer.from('head'), image, Buffer.from('tail')];
  const honest = encodeFrameFooterOfParts(parts);
  assert.ok(honest.equals(encodeFrameFooter(Buffer.concat(parts))));
  // A CRC remembered for the view is trusted: a deliberately wrong one shows the bytes were not read.
  rememberCrc32c(image, crc32cPortable(Buffer.alloc(100_000, 0x00)));
  const joined = encodeFrameFooterOfParts(parts);
  assert.ok(joined.equals(encodeFrameFooter(Buffer.concat([Buffer.from('head'), Buffer.alloc(100_000, 0x00), Buffer.from('tail')]))));
  rememberCrc32c(image, crc32cPortable(image));
  assert.ok(encodeFrameFooterOfParts(parts).equals(honest));
  assert.ok(encodeFrameFooterOfParts([Buffer.from('head'), Buffer.from(image), Buffer.from('tail')]).equals(honest), 'another view of the same bytes is read');
});
