import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeanAccumulator } from '../../src/caffe/mean.js';
import { decodeBlobProto, encodeBlobProto } from '../../src/datum/index.js';
import { DataError } from '../../src/errors.js';

test('the mean of three 2-channel 1x2 CHW images equals a hand computation', () => {
  const mean = new MeanAccumulator();
  // CHW: channel 0 then channel 1, each 1 row of 2 pixels.
  mean.add(Uint8Array.from([0, 255, 10, 1]), 2, 1, 2, 'a.png');
  mean.add(Uint8Array.from([1, 255, 20, 2]), 2, 1, 2, 'b.png');
  mean.add(Uint8Array.from([3, 254, 31, 4]), 2, 1, 2, 'c.png');
  const blob = mean.result();
  assert.deepEqual([blob.num, blob.channels, blob.height, blob.width], [1, 2, 1, 2]);
  const expected = [4 / 3, 764 / 3, 61 / 3, 7 / 3];
  assert.equal(blob.data.length, expected.length);
  blob.data.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-6 * Math.max(1, expected[i] as number), `${v} vs ${expected[i]}`));
  // What compute_image_mean writes reads back the same.
  const back = decodeBlobProto(encodeBlobProto(blob));
  assert.deepEqual([...back.data], [...blob.data]);
});

test('a float64 sum: many images of 255 average to exactly 255', () => {
  const mean = new MeanAccumulator();
  const white = new Uint8Array(3).fill(255);
  for (let i = 0; i < 100_000; i++) mean.add(white, 3, 1, 1, `${i}.png`);
  assert.deepEqual([...mean.result().data], [255, 255, 255]);
});

test('an image of another size is named, with the size expected and the fix', () => {
  const mean = new MeanAccumulator();
  mean.add(new Uint8Array(3 * 64 * 64), 3, 64, 64, 'first.png');
  assert.throws(
    () => mean.add(new Uint8Array(3 * 80 * 100), 3, 80, 100, 'a.jpg'),
    (e: unknown) => e instanceof DataError && e.code === 'ERR_DATA' && /--mean needs all images the same size/.test(e.message) && /a\.jpg is 100x80/.test(e.message) && /64x64/.test(e.message) && /--resize/.test(e.message),
  );
});

test('no image: result() says there is no mean', () => {
  assert.throws(() => new MeanAccumulator().result(), (e: unknown) => e instanceof DataError && /no image was converted/.test(e.message));
});
