import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openRecordStream, readRecordFile, readRecords } from '../../src/record/index.js';
import { chunked, drain, writeToBuffer } from './helpers.js';

// Only fixtures/ (copies of the shared reference set, which a fresh clone lacks). Counts from fixtures/golden/README.md.
const GOLDEN = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));

const EXPECTED: Record<string, [number, 'none' | 'gzip']> = {
  'raccoon_test.record': [40, 'none'],
  'tfds_cifar10_train_128.tfrecord': [128, 'none'],
  'build_image_data_validation-00000-of-00001': [165, 'none'],
  'spectrogram_validation-00000-of-00001': [16, 'none'],
  'tfx_mnist_1000.tfrecord': [1000, 'none'],
  'tf_singles.tfrecords': [3, 'none'],
  'hadoop_part-m-00000': [5, 'none'],
  'hadoop_zipped_part-m-00000.gz': [5, 'gzip'],
  'beam_penguin_eval.tfrecord.gz': [100, 'gzip'],
  'beam_tfrecorder_validation.tfrecord.gz': [2, 'gzip'],
  'beam_sequence_examples.tfrecord.gz': [15000, 'gzip'],
};

for (const [name, [count, compression]] of Object.entries(EXPECTED)) {
  test(`golden ${name}: ${compression}, ${count} records, zero CRC errors, and our writer reproduces it byte for byte`, async () => {
    const path = join(GOLDEN, name);
    assert.equal((await openRecordStream(path)).compression, compression);
    const records = await drain(readRecordFile(path, { onBadDataCrc: 'yield' }));
    assert.equal(records.length, count);
    assert.equal(records.filter((r) => !r.dataCrcOk).length, 0);
    const original = await readFile(path);
    const plain = compression === 'gzip' ? gunzipSync(original) : original;
    const last = records[records.length - 1];
    assert.equal(last === undefined ? 0 : last.offset + 16 + last.length, plain.length, 'ends exactly at a frame boundary');
    const rewritten = await writeToBuffer(records.map((r) => r.data));
    assert.ok(rewritten.equals(plain), 're-framed payloads equal the (uncompressed) golden bytes');
  });
}

test('golden: the Hadoop plain and GZIP files hold identical payloads', async () => {
  const plain = await drain(readRecordFile(join(GOLDEN, 'hadoop_part-m-00000')));
  const zipped = await drain(readRecordFile(join(GOLDEN, 'hadoop_zipped_part-m-00000.gz')));
  assert.equal(plain.length, 5);
  assert.deepEqual(zipped.map((r) => r.data.toString('hex')), plain.map((r) => r.data.toString('hex')));
});

test('golden: reading in 1-byte chunks gives the same records', async () => {
  for (const name of ['tf_singles.tfrecords', 'hadoop_part-m-00000', 'tfds_cifar10_train_128.tfrecord']) {
    const bytes = await readFile(join(GOLDEN, name));
    const whole = await drain(readRecordFile(join(GOLDEN, name)));
    const bytewise = await drain(readRecords(chunked(bytes, 1)));
    assert.deepEqual(bytewise.map((r) => [r.offset, r.data.toString('hex')]), whole.map((r) => [r.offset, r.data.toString('hex')]), name);
  }
});
