import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { bytesFeature, classifyPayload, decodeExample, encodeExample, floatFeature, int64Feature } from '../../src/example/index.js';
import { ExampleParseError, InvalidOptionError } from '../../src/errors.js';
import { readRecordFile } from '../../src/record/index.js';

const GOLDEN = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));
const PROTO = fileURLToPath(new URL('../../proto/example.proto', import.meta.url));

test('int64 values round-trip exactly, beyond 2^53 and at the int64 bounds', () => {
  const values = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)];
  const { features } = decodeExample(encodeExample({ v: int64Feature(...values) }));
  assert.deepEqual(features.v, { kind: 'int64', values });
});

test('a negative int64 is a 10-byte varint (packed)', () => {
  const bytes = Buffer.from(encodeExample({ n: int64Feature(-1) }));
  // ... 1a 0c 0a 0a ff ff ff ff ff ff ff ff ff 01 : Int64List{value: packed, 10 bytes}
  assert.ok(bytes.toString('hex').endsWith('1a0c0a0affffffffffffffffff01'), bytes.toString('hex'));
});

test('int64Feature rejects unsafe numbers and out-of-range bigints with sharp-style messages', () => {
  assert.throws(() => int64Feature(2 ** 53), (e: unknown) => e instanceof InvalidOptionError && /Expected safe integer/.test(e.message));
  assert.throws(() => int64Feature(2n ** 63n), InvalidOptionError);
  assert.throws(() => int64Feature(1.5), InvalidOptionError);
});

test('floats are float32; bytes and strings are UTF-8; decoded bytes are views, not copies', () => {
  const payload = encodeExample({ f: floatFeature(3.14, -0.5), s: bytesFeature('héllo', new Uint8Array([0, 255])) });
  const { features } = decodeExample(payload);
  assert.deepEqual(features.f, { kind: 'float', values: [Math.fround(3.14), -0.5] });
  const s = features.s;
  assert.ok(s?.kind === 'bytes');
  assert.equal(Buffer.from(s.values[0] as Uint8Array).toString('utf8'), 'héllo');
  assert.deepEqual([...(s.values[1] as Uint8Array)], [0, 255]);
  assert.equal((s.values[0] as Uint8Array).buffer, (payload as Uint8Array).buffer);
});

test('encoding is deterministic: keys in sorted order whatever the insertion order', () => {
  const a = encodeExample({ b: int64Feature(1), a: bytesFeature('x'), c: floatFeature(1) });
  const b = encodeExample({ c: floatFeature(1), a: bytesFeature('x'), b: int64Feature(1) });
  assert.deepEqual(Buffer.from(a), Buffer.from(b));
});

test('decodes what TensorFlow wrote (tf_singles: 42, 3.14, "@ABCD") and re-encodes it byte for byte', async () => {
  const seen: Record<string, unknown> = {};
  for await (const r of readRecordFile(join(GOLDEN, 'tf_singles.tfrecords'))) {
    const { features } = decodeExample(r.data);
    for (const [k, f] of Object.entries(features)) seen[k] = f.kind === 'bytes' ? Buffer.from(f.values[0] as Uint8Array).toString() : f.values[0];
    // Single-key maps are unambiguous, so our bytes must equal TensorFlow's.
    assert.deepEqual(Buffer.from(encodeExample(features)), r.data);
  }
  assert.deepEqual(seen, { int_feature: 42n, float_feature: Math.fround(3.14), byte_feature: '@ABCD' });
});

test('decodes TFDS cifar10 records (image, label, id)', async () => {
  let n = 0;
  for await (const r of readRecordFile(join(GOLDEN, 'tfds_cifar10_train_128.tfrecord'))) {
    const { features } = decodeExample(r.data);
    assert.deepEqual(Object.keys(features).sort(), ['id', 'image', 'label']);
    const label = features.label;
    assert.ok(label?.kind === 'int64' && (label.values[0] as bigint) >= 0n && (label.values[0] as bigint) <= 9n);
    n++;
  }
  assert.equal(n, 128);
});

test('accepts non-packed repeated int64 and float (proto2-era writers)', () => {
  // Example{features{feature{key:"k" value{int64_list{value:7 value:8}}}}} with unpacked tags (0x08).
  const int64List = Buffer.from([0x08, 0x07, 0x08, 0x08]);
  const feature = Buffer.concat([Buffer.from([0x1a, int64List.length]), int64List]);
  const entry = Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b, 0x12, feature.length]), feature]);
  const features = Buffer.concat([Buffer.from([0x0a, entry.length]), entry]);
  const example = Buffer.concat([Buffer.from([0x0a, features.length]), features]);
  assert.deepEqual(decodeExample(example).features.k, { kind: 'int64', values: [7n, 8n] });
});

test('SequenceExample payloads are classified as such; garbage is invalid and decode throws ExampleParseError', async () => {
  const root = protobuf.loadSync(PROTO);
  const Seq = root.lookupType('tensorflow.SequenceExample');
  const seq = Seq.encode({
    context: { feature: { f: { int64List: { value: [1] } } } },
    featureLists: { featureList: { fl: { feature: [{ floatList: { value: [1, 2] } }] } } },
  }).finish();
  assert.equal(classifyPayload(seq), 'sequence-example');
  const decoded = decodeExample(seq);
  assert.deepEqual(decoded.unknownFields, [2]);
  assert.deepEqual(decoded.features.f, { kind: 'int64', values: [1n] });
  assert.equal(classifyPayload(encodeExample({ a: int64Feature(1) })), 'example');
  const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.equal(classifyPayload(garbage), 'invalid');
  assert.throws(() => decodeExample(garbage, { path: 'x.tfrecord', recordIndex: 4 }),
    (e: unknown) => e instanceof ExampleParseError && /x\.tfrecord: record 4 is not a tf.train.Example/.test(e.message));
  let sequences = 0;
  for await (const r of readRecordFile(join(GOLDEN, 'beam_sequence_examples.tfrecord.gz'))) {
    if (classifyPayload(r.data) === 'sequence-example') sequences++;
  }
  assert.equal(sequences, 15000);
});

test('encodeExampleParts gives encodeExample\'s bytes exactly, keeping large values by reference', async () => {
  const { encodeExampleParts } = await import('../../src/example/index.js');
  const image = Buffer.alloc(50000, 9);
  const cases = [
    { 'image/encoded': bytesFeature(image), 'image/class/label': int64Feature(-1, 0, 2n ** 63n - 1n), 'image/format': bytesFeature('jpeg') },
    { '10': floatFeature(1.5, -2), '2': int64Feature(), a: bytesFeature(), b: floatFeature(), c: bytesFeature('', 'x') },
    { big: bytesFeature(Buffer.alloc(300000, 1), Buffer.alloc(5000, 2)), n: int64Feature(...Array.from({ length: 300 }, (_, i) => BigInt(i) * 1000003n)) },
    {},
  ];
  for (const features of cases) {
    const parts = encodeExampleParts(features);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(encodeExample(features)));
  }
  assert.ok(encodeExampleParts(cases[0] as Parameters<typeof encodeExampleParts>[0]).includes(image), 'the image buffer itself is a part (no copy)');
});
