import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrameFooter, encodeFrameFooterOfParts, encodeFrameHeader, FOOTER_BYTES, FRAME_OVERHEAD_BYTES, frameRecord, frameRecordToBuffer, HEADER_BYTES, LENGTH_BYTES, LENGTH_CRC_BYTES, maskedCrc32c } from '../../src/record/index.js';

test('frame sizes', () => {
  assert.deepEqual([LENGTH_BYTES, LENGTH_CRC_BYTES, HEADER_BYTES, FOOTER_BYTES, FRAME_OVERHEAD_BYTES], [8, 4, 12, 4, 16]);
});

test('empty record frame = 0000000000000000 29039807 d8ea82a2', () => {
  assert.equal(frameRecordToBuffer(Buffer.alloc(0)).toString('hex'), '000000000000000029039807d8ea82a2');
  assert.equal(encodeFrameHeader(0).toString('hex'), '000000000000000029039807');
  assert.equal(encodeFrameFooter(new Uint8Array(0)).toString('hex'), 'd8ea82a2');
});

test('"hello" frame = 0500000000000000 eab2043e 68656c6c6f bb1f1c19', () => {
  assert.equal(frameRecordToBuffer(Buffer.from('hello')).toString('hex'), '0500000000000000eab2043e68656c6c6fbb1f1c19');
  const [header, data, footer] = frameRecord(Buffer.from('hello'));
  assert.equal(header.toString('hex'), '0500000000000000eab2043e');
  assert.equal(Buffer.from(data).toString(), 'hello');
  assert.equal(footer.toString('hex'), 'bb1f1c19');
  assert.equal(encodeFrameFooterOfParts([Buffer.from('he'), Buffer.alloc(0), Buffer.from('llo')]).toString('hex'), 'bb1f1c19');
});

test('frameRecord returns the payload itself, not a copy', () => {
  const payload = new Uint8Array([1, 2, 3]);
  assert.equal(frameRecord(payload)[1], payload);
});

test('the header is a little-endian uint64 with its masked CRC, also above 2^32', () => {
  const header = encodeFrameHeader(2 ** 40 + 3);
  assert.equal(header.length, HEADER_BYTES);
  assert.equal(header.readBigUInt64LE(0), 2n ** 40n + 3n);
  assert.equal(header.readUInt32LE(8), maskedCrc32c(header.subarray(0, 8)));
});

test('encodeFrameHeader rejects negative, fractional or unsafe lengths', () => {
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) assert.throws(() => encodeFrameHeader(bad), RangeError, String(bad));
});
