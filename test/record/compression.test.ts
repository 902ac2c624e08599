import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { detectCompression, frameRecordToBuffer } from '../../src/record/index.js';

test('a plain file whose first record is 376 bytes starts 78 01 (a valid zlib header) yet is "none"', () => {
  const first = frameRecordToBuffer(Buffer.alloc(376, 1));
  assert.equal(first[0], 0x78);
  assert.equal(first[1], 0x01);
  assert.equal((0x7801 % 31), 0, 'it also passes the zlib header test');
  assert.equal(detectCompression(first), 'none');
  assert.equal(detectCompression(first.subarray(0, 12)), 'none');
});

test('gzip and zlib streams are recognised from their first bytes', () => {
  const framed = Buffer.concat([frameRecordToBuffer(Buffer.from('a')), frameRecordToBuffer(Buffer.alloc(376))]);
  assert.equal(detectCompression(gzipSync(framed)), 'gzip');
  assert.equal(detectCompression(deflateSync(framed)), 'zlib');
  for (const level of [0, 1, 6, 9]) assert.equal(detectCompression(deflateSync(framed, { level })), 'zlib', `level ${level}`);
  // Fewer than 12 bytes still say which.
  assert.equal(detectCompression(Buffer.from([0x1f, 0x8b])), 'gzip');
  assert.equal(detectCompression(Buffer.from([0x78, 0x9c])), 'zlib');
});

test('an empty stream is plain (zero records); a short non-compressed one is plain (the reader reports truncation)', () => {
  assert.equal(detectCompression(new Uint8Array(0)), 'none');
  assert.equal(detectCompression(Buffer.from([5, 0, 0])), 'none');
  assert.equal(detectCompression(frameRecordToBuffer(Buffer.from('hello')).subarray(0, 11)), 'none');
});

test('12 or more bytes that are neither a frame header nor compressed are "unknown"', () => {
  assert.equal(detectCompression(Buffer.from('this is not a tfrecord file')), 'unknown');
  const header = frameRecordToBuffer(Buffer.from('hello'));
  header[9] = (header[9] as number) ^ 1; // a bad length CRC
  assert.equal(detectCompression(header), 'unknown');
});

test('a head given as a view into a larger buffer is read at its own offset', () => {
  const backing = Buffer.concat([Buffer.from('garbage!'), frameRecordToBuffer(Buffer.alloc(376))]);
  assert.equal(detectCompression(new Uint8Array(backing.buffer, backing.byteOffset + 8, 12)), 'none');
});
