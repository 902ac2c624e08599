import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrameFooter, encodeFrameFooterOfParts, encodeFrameHeader, FOOTER_BYTES, FRAME_OVERHEAD_BYTES, frameRecord, frameRecordToBuffer, HEADER_BYTES, LENGTH_BYTES, LENGTH_CRC_BYTES, maskedCrc32c } from '../../src/record/index.js';

const GOLDEN = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));

/** CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: independent of src/record's table and native paths. */
function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TensorFlow's mask: rotate right by 15, add 0xa282ead8 (tensorflow/core/lib/hash/crc32c.h). */
function mask(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** A frame laid out by hand from TensorFlow's description: uint64 LE length, masked CRC of it, data, masked CRC of data. */
function frameByHand(data: Uint8Array): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(data.length));
  const crcs = Buffer.alloc(8);
  crcs.writeUInt32LE(mask(crc32cBitwise(length)), 0);
  crcs.writeUInt32LE(mask(crc32cBitwise(data)), 4);
  return Buffer.concat([length, crcs.subarray(0, 4), data, crcs.subarray(4)]);
}

test('frame sizes are the ones of a file TensorFlow wrote (fixtures/golden/tf_singles.tfrecords)', async () => {
  const golden = await readFile(join(GOLDEN, 'tf_singles.tfrecords'));
  // Walk TensorFlow's frames by their own length fields: the data starts LENGTH_BYTES +
  // LENGTH_CRC_BYTES after the frame, and the next frame FOOTER_BYTES after the data.
  let offset = 0;
  const payloads: Buffer[] = [];
  while (offset < golden.length) {
    const length = Number(golden.readBigUInt64LE(offset));
    assert.equal(golden.readUInt32LE(offset + LENGTH_BYTES), mask(crc32cBitwise(golden.subarray(offset, offset + LENGTH_BYTES))), `length CRC at ${offset}`);
    const data = golden.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    assert.equal(golden.readUInt32LE(offset + HEADER_BYTES + length), mask(crc32cBitwise(data)), `data CRC at ${offset}`);
    payloads.push(data);
    offset += length + FRAME_OVERHEAD_BYTES;
  }
  assert.equal(offset, golden.length, 'the frames tile the file exactly');
  assert.equal(payloads.length, 3);
  assert.equal(LENGTH_BYTES + LENGTH_CRC_BYTES, HEADER_BYTES);
  assert.equal(HEADER_BYTES + FOOTER_BYTES, FRAME_OVERHEAD_BYTES);
  // Our frames of TensorFlow's payloads are TensorFlow's bytes, frame for frame.
  assert.ok(Buffer.concat(payloads.map((p) => frameRecordToBuffer(p))).equals(golden));
  for (const p of payloads) assert.equal(encodeFrameHeader(p.length).length, HEADER_BYTES);
  for (const p of payloads) assert.equal(encodeFrameFooter(p).length, FOOTER_BYTES);
});

test('empty record frame = 0000000000000000 29039807 d8ea82a2, as laid out by hand with a bitwise CRC-32C', () => {
  assert.equal(frameByHand(Buffer.alloc(0)).toString('hex'), '000000000000000029039807d8ea82a2');
  assert.ok(frameRecordToBuffer(Buffer.alloc(0)).equals(frameByHand(Buffer.alloc(0))));
  assert.equal(encodeFrameHeader(0).toString('hex'), '000000000000000029039807');
  assert.equal(encodeFrameFooter(new Uint8Array(0)).toString('hex'), 'd8ea82a2');
});

test('"hello" frame = 0500000000000000 eab2043e 68656c6c6f bb1f1c19, as laid out by hand; any payload matches the hand layout', () => {
  assert.equal(frameByHand(Buffer.from('hello')).toString('hex'), '0500000000000000eab2043e68656c6c6fbb1f1c19');
  assert.equal(frameRecordToBuffer(Buffer.from('hello')).toString('hex'), '0500000000000000eab2043e68656c6c6fbb1f1c19');
  const [header, data, footer] = frameRecord(Buffer.from('hello'));
  assert.equal(header.toString('hex'), '0500000000000000eab2043e');
  assert.equal(Buffer.from(data).toString(), 'hello');
  assert.equal(footer.toString('hex'), 'bb1f1c19');
  assert.equal(encodeFrameFooterOfParts([Buffer.from('he'), Buffer.alloc(0), Buffer.from('llo')]).toString('hex'), 'bb1f1c19');
  // The CRC-32C check value (RFC 3720): the bitwise CRC above is the right polynomial.
  assert.equal(crc32cBitwise(Buffer.from('123456789')), 0xe3069283);
  for (const size of [1, 3, 255, 256, 4099]) {
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 131 + size) & 0xff;
    assert.ok(frameRecordToBuffer(payload).equals(frameByHand(payload)), `${size} bytes`);
    assert.equal(maskedCrc32c(payload), mask(crc32cBitwise(payload)), `${size} bytes`);
  }
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
