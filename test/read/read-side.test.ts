import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile, cp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIndex, writeIndex } from '../../src/sinks/index-file.js';
import { convert } from '../../src/convert/convert.js';
import { dumpRecords } from '../../src/read/dump.js';
import { expandRecordFiles } from '../../src/sinks/record-files.js';
import { extractImages, sanitizeRelativePath, encodeNpy } from '../../src/read/extract.js';
import { inspectFiles } from '../../src/read/inspect.js';
import { readExamples } from '../../src/read/examples.js';
import { verifyFiles } from '../../src/read/verify.js';
import { bytesFeature, encodeExample, floatFeature, int64Feature } from '../../src/example/index.js';
import * as entry from '../../src/index.js';
import { createRecordFileWriter, frameRecordToBuffer } from '../../src/record/index.js';
import { InputError, NotIndexableError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = join(ROOT, 'fixtures/golden');
const SAMPLE = join(ROOT, 'fixtures/sample');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-read-'));
}

test('every golden file inspects and verifies clean, except the 16 spectrogram records declaring TIF for JPEG bytes', async () => {
  const files = await expandRecordFiles([GOLDEN]);
  assert.equal(files.length, 11, 'the folder expands to its record files, not the raccoon JPEGs');
  const report = await inspectFiles(files);
  assert.equal(report.records, 16464);
  const plain = await verifyFiles(files);
  assert.deepEqual(plain.problems, []);
  assert.ok(plain.notes.some((n) => n.includes('beam_sequence_examples') && n.includes('SequenceExample')));
  const decoded = await verifyFiles(files, { decode: true });
  assert.equal(decoded.problems.length, 16);
  assert.ok(decoded.problems.every((p) => p.file.endsWith('spectrogram_validation-00000-of-00001') && /declares format "TIF" but the bytes are jpeg/.test(p.message)));
  assert.deepEqual(decoded.problems.map((p) => p.recordIndex), Array.from({ length: 16 }, (_, i) => i));
});

test('read commands take files, globs and folders; a folder keeps only record files; no match is an InputError', async () => {
  const globbed = await expandRecordFiles([join(GOLDEN, '*.gz')]);
  assert.deepEqual(globbed.map((f) => f.slice(GOLDEN.length + 1)),
    ['beam_penguin_eval.tfrecord.gz', 'beam_sequence_examples.tfrecord.gz', 'beam_tfrecorder_validation.tfrecord.gz', 'hadoop_zipped_part-m-00000.gz']);
  const mixed = await expandRecordFiles([join(GOLDEN, 'tf_singles.tfrecords'), join(GOLDEN, 'tf_*')]);
  assert.deepEqual(mixed, [join(GOLDEN, 'tf_singles.tfrecords')], 'duplicates are removed');
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out, index: true });
  assert.deepEqual(await expandRecordFiles([out]), [join(out, 'train-00000-of-00001.tfrecord')], 'not dataset.json, labels.txt or the .idx');
  await assert.rejects(expandRecordFiles([join(GOLDEN, 'nothing-*.tfrecord')]), InputError);
  await assert.rejects(expandRecordFiles([join(GOLDEN, 'raccoon_test_images')]), (e: unknown) => e instanceof InputError && /holds no record files/.test(e.message));
});

test('inspect reports types, value counts, label histograms, image formats and the schema', async () => {
  const report = await inspectFiles([join(GOLDEN, 'tfds_cifar10_train_128.tfrecord')]);
  assert.equal(report.schema, 'tfds');
  const image = report.keys.find((k) => k.key === 'image');
  assert.deepEqual(image?.images, { formats: { png: 128 }, minWidth: 32, maxWidth: 32, minHeight: 32, maxHeight: 32 });
  const label = report.keys.find((k) => k.key === 'label');
  assert.equal(label?.type, 'int64');
  assert.equal(Object.values(label?.histogram ?? {}).reduce((a, b) => a + b, 0), 128);
  const build = await inspectFiles([join(GOLDEN, 'build_image_data_validation-00000-of-00001')]);
  assert.equal(build.schema, 'inception');
  const mnist = await inspectFiles([join(GOLDEN, 'tfx_mnist_1000.tfrecord')]);
  assert.deepEqual(mnist.keys.find((k) => k.key === 'image_floats'), { key: 'image_floats', type: 'float', records: 1000, minValues: 784, maxValues: 784 });
});

test('the raccoon file\'s image/encoded values equal its source JPEGs byte for byte', async () => {
  let n = 0;
  for await (const e of readExamples(join(GOLDEN, 'raccoon_test.record'))) {
    const filename = e.features['image/filename'];
    const encoded = e.features['image/encoded'];
    assert.ok(filename?.kind === 'bytes' && encoded?.kind === 'bytes');
    const name = Buffer.from(filename.values[0] as Uint8Array).toString();
    const source = await readFile(join(GOLDEN, 'raccoon_test_images', name));
    assert.ok(Buffer.from(encoded.values[0] as Uint8Array).equals(source), name);
    n++;
  }
  assert.equal(n, 40);
});

test('dump of tf_singles shows 42, 3.14 and "@ABCD"; int64 beyond 2^53 prints exactly as a string', async () => {
  const lines = [];
  for await (const r of dumpRecords([join(GOLDEN, 'tf_singles.tfrecords')])) lines.push(JSON.stringify(r));
  const text = lines.join('\n');
  assert.match(text, /"int_feature":\{"type":"int64","values":\[42\]\}/);
  assert.match(text, /"float_feature":\{"type":"float","values":\[3\.14\]\}/);
  assert.match(text, /"byte_feature":\{"type":"bytes","values":\["@ABCD"\]\}/);
  const dir = await tempDir();
  const w = createRecordFileWriter(join(dir, 'big.tfrecord'));
  await w.write(encodeExample({ big: int64Feature(2n ** 60n + 1n), blob: bytesFeature(Buffer.alloc(100, 7)), small: bytesFeature(new Uint8Array([0, 1, 2])) }));
  await w.close();
  const [record] = await (async () => { const out = []; for await (const r of dumpRecords([join(dir, 'big.tfrecord')])) out.push(r); return out; })();
  assert.deepEqual(record?.features.big?.values, [(2n ** 60n + 1n).toString()]);
  assert.deepEqual(record?.features.blob?.values, [{ bytes: 100 }]);
  assert.deepEqual(record?.features.small?.values, [{ base64: 'AAEC' }]);
  const limited = [];
  for await (const r of dumpRecords([join(GOLDEN, 'tfx_mnist_1000.tfrecord')], { limit: 2, keys: ['image_class'], bytes: 'hex' })) limited.push(r);
  assert.equal(limited.length, 2);
  assert.deepEqual(Object.keys(limited[0]?.features ?? {}), ['image_class']);
});

test('verify reports one flipped byte in each frame region at the right offset and record index', async () => {
  const dir = await tempDir();
  const payloads = [Buffer.from(encodeExample({ a: int64Feature(1) })), Buffer.from(encodeExample({ b: bytesFeature('x'.repeat(300)) })), Buffer.from(encodeExample({ c: int64Feature(3) }))];
  const good = Buffer.concat(payloads.map((p) => frameRecordToBuffer(p)));
  const second = 16 + (payloads[0] as Buffer).length;
  const regions: [string, number, string][] = [
    ['length', second + 1, 'corrupt-length'], ['length CRC', second + 10, 'corrupt-length'],
    ['data', second + 12 + 100, 'corrupt-data'], ['data CRC', second + 12 + (payloads[1] as Buffer).length + 1, 'corrupt-data'],
  ];
  for (const [name, at, kind] of regions) {
    const bad = Buffer.from(good);
    bad[at] = (bad[at] as number) ^ 0x10;
    const file = join(dir, `${kind}-${at}.tfrecord`);
    await writeFile(file, bad);
    const report = await verifyFiles([file]);
    assert.equal(report.problems.length, 1, name);
    assert.equal(report.problems[0]?.kind, kind, name);
    assert.equal(report.problems[0]?.offset, second, name);
    assert.equal(report.problems[0]?.recordIndex, 1, name);
    // A bad data CRC does not stop the check: the third record is still read.
    if (kind === 'corrupt-data') assert.equal(report.records, 3, name);
  }
  await writeFile(join(dir, 'cut.tfrecord'), good.subarray(0, good.length - 3));
  const cut = await verifyFiles([join(dir, 'cut.tfrecord')]);
  assert.equal(cut.problems[0]?.kind, 'truncated');
  assert.equal(cut.problems[0]?.offset, second + 16 + (payloads[1] as Buffer).length);
});

test('index lines match offsets computed independently; compressed files cannot be indexed', async () => {
  const dir = await tempDir();
  const sizes = [0, 10, 1000, 3];
  const w = createRecordFileWriter(join(dir, 'a.tfrecord'));
  for (const s of sizes) await w.write(Buffer.alloc(s, 1));
  await w.close();
  let offset = 0;
  const expected = sizes.map((s) => { const line = `${offset} ${16 + s}\n`; offset += 16 + s; return line; }).join('');
  assert.equal(await buildIndex(join(dir, 'a.tfrecord')), expected);
  assert.equal(await readFile(await writeIndex(join(dir, 'a.tfrecord')), 'utf8'), expected);
  const gz = createRecordFileWriter(join(dir, 'b.tfrecord.gz'), { compression: 'gzip' });
  await gz.write(Buffer.alloc(5));
  await gz.close();
  await assert.rejects(buildIndex(join(dir, 'b.tfrecord.gz')), (e: unknown) => e instanceof NotIndexableError && /GZIP-compressed/.test(e.message));
});

test('pass-through convert then extract rebuilds the input tree byte for byte', async () => {
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out });
  const restored = await tempDir();
  const report = await extractImages(await expandRecordFiles([out]), restored);
  assert.equal(report.written, 7);
  for (const cls of await readdir(SAMPLE)) {
    for (const name of await readdir(join(SAMPLE, cls))) {
      assert.ok((await readFile(join(restored, cls, name))).equals(await readFile(join(SAMPLE, cls, name))), `${cls}/${name}`);
    }
  }
  // Again into the same folder: nothing overwritten, names get a numeric suffix.
  const again = await extractImages(await expandRecordFiles([out]), restored);
  assert.equal(again.written, 7);
  assert.ok((await readdir(join(restored, 'animals'))).includes('HappyFish-1.jpg'));
});

test('extract gives a transcoded image the extension of its stored format, and keeps names that fit', async () => {
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out, encode: 'jpeg' });
  const restored = await tempDir();
  await extractImages(await expandRecordFiles([out]), restored);
  assert.deepEqual((await readdir(join(restored, 'animals'))).sort(), ['HappyFish.jpg', 'shira_bird8.jpg'], 'the .bmp stored as JPEG comes back as .jpg');
  assert.deepEqual((await readdir(join(restored, 'graphics'))).sort(), ['d.jpg', 'ibasn0g04.jpg', 'swiss.jpg']);
  const bird = await readFile(join(restored, 'animals', 'shira_bird8.jpg'));
  assert.equal(bird.subarray(0, 3).toString('hex'), 'ffd8ff');
});

test('extract keeps hostile names inside the output folder and warns', async () => {
  assert.deepEqual(sanitizeRelativePath('../../escape.jpg'), { path: 'escape.jpg', changed: true });
  assert.deepEqual(sanitizeRelativePath('/etc/passwd'), { path: 'etc/passwd', changed: true });
  assert.deepEqual(sanitizeRelativePath('C:\\Windows\\x.jpg'), { path: 'Windows/x.jpg', changed: true });
  assert.deepEqual(sanitizeRelativePath('a//./b.jpg'), { path: 'a/b.jpg', changed: true });
  const dir = await tempDir();
  const jpeg = await readFile(join(SAMPLE, 'animals/HappyFish.jpg'));
  const w = createRecordFileWriter(join(dir, 'evil.tfrecord'));
  await w.write(encodeExample({ 'image/encoded': bytesFeature(jpeg), 'image/filename': bytesFeature('../../escape.jpg') }));
  await w.write(encodeExample({ 'image/encoded': bytesFeature(jpeg), 'image/class/label': int64Feature(3) }));
  await w.close();
  const out = join(await tempDir(), 'out');
  const warnings: string[] = [];
  const report = await extractImages([join(dir, 'evil.tfrecord')], out, { onWarning: (m) => warnings.push(m) });
  assert.equal(report.written, 2);
  assert.deepEqual((await readdir(out)).sort(), ['3', 'escape.jpg']);
  assert.deepEqual(await readdir(join(out, '3')), ['1.jpg']);
  assert.ok(warnings.some((m) => m.includes('record 0') && m.includes('../../escape.jpg')));
  assert.deepEqual(await readdir(resolve(out, '..')), ['out'], 'nothing written beside the output folder');
});

test('raw tensors extract as PNG or .npy with a correct header', async () => {
  const npy = encodeNpy(Buffer.from([1, 2, 3, 4, 5, 6]), 'uint8', [1, 2, 3]);
  assert.equal(npy.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  const headerLength = npy.readUInt16LE(8);
  assert.equal((10 + headerLength) % 64, 0);
  assert.match(npy.subarray(10, 10 + headerLength).toString('latin1'), /\{'descr': '\|u1', 'fortran_order': False, 'shape': \(1, 2, 3\), \}/);
  assert.deepEqual([...npy.subarray(10 + headerLength)], [1, 2, 3, 4, 5, 6]);

  const input = await tempDir();
  await mkdir(join(input, 'c'));
  await cp(join(SAMPLE, 'graphics/swiss.png'), join(input, 'c/swiss.png'));
  const out = await tempDir();
  await convert({ input, output: out, encode: 'raw', layout: 'chw', channelOrder: 'bgr' });
  const asPng = await tempDir();
  await extractImages(await expandRecordFiles([out]), asPng);
  const sharp = (await import('sharp')).default;
  const back = await sharp(join(asPng, 'c/swiss.png')).raw().toBuffer();
  const direct = await sharp(join(SAMPLE, 'graphics/swiss.png')).raw().toBuffer();
  assert.ok(back.equals(direct), 'CHW BGR raw tensor extracted back to the same RGB pixels');
  const asNpy = await tempDir();
  await extractImages(await expandRecordFiles([out]), asNpy, { rawAs: 'npy' });
  assert.deepEqual(await readdir(join(asNpy, 'c')), ['swiss.npy']);
});

test('the package entry exports the read side: readExamples yields { offset, example } entries', async () => {
  for (const name of ['readExamples', 'inspectFiles', 'verifyFiles', 'dumpRecords', 'extractImages', 'buildIndex', 'writeIndex', 'readRecordFile', 'decodeExample'] as const) {
    assert.equal(typeof entry[name], 'function', name);
  }
  const seen: { offset: number; value: unknown }[] = [];
  for await (const { offset, example } of entry.readExamples(join(GOLDEN, 'tf_singles.tfrecords'))) {
    const [feature] = Object.values(example.features);
    seen.push({ offset, value: feature?.values[0] });
  }
  assert.deepEqual(seen.map((s) => s.offset), [0, 40, 85]);
  assert.equal(seen[0]?.value, 42n);
  assert.equal(Buffer.from(seen[2]?.value as Uint8Array).toString(), '@ABCD');
});

test('convert --index writes <shard>.idx matching frame offsets computed independently from the bytes', async () => {
  const out = await tempDir();
  const summary = await convert({ input: SAMPLE, output: out, recordsPerShard: 3, index: true });
  assert.equal(summary.shards.length, 3);
  for (const shard of summary.shards) {
    const bytes = await readFile(join(out, shard.file));
    // Walk the frames by hand: 8-byte little-endian length, 4-byte CRC, data, 4-byte CRC.
    let offset = 0;
    let expected = '';
    while (offset < bytes.length) {
      const size = 16 + Number(bytes.readBigUInt64LE(offset));
      expected += `${offset} ${size}\n`;
      offset += size;
    }
    assert.equal(offset, bytes.length);
    assert.equal(expected.split('\n').length - 1, shard.records);
    assert.equal(await readFile(join(out, `${shard.file}.idx`), 'utf8'), expected, shard.file);
  }
});

test('dump --bytes base64|hex|length, --keys of several keys, --limit 0', async () => {
  const file = join(GOLDEN, 'tf_singles.tfrecords');
  const show = async (bytes: 'base64' | 'hex' | 'length'): Promise<unknown> => {
    for await (const r of dumpRecords([file], { bytes, keys: ['byte_feature'] })) if (r.index === 2) return r.features.byte_feature?.values[0];
    return undefined;
  };
  assert.deepEqual(await show('base64'), { base64: Buffer.from('@ABCD').toString('base64') });
  assert.deepEqual(await show('hex'), { hex: '4041424344' });
  assert.deepEqual(await show('length'), { bytes: 5 });
  const keyed = [];
  for await (const r of dumpRecords([file], { keys: ['int_feature', 'float_feature'] })) keyed.push(Object.keys(r.features));
  assert.deepEqual(keyed, [['int_feature'], ['float_feature'], []]);
  const none = [];
  for await (const r of dumpRecords([file], { limit: 0 })) none.push(r);
  assert.deepEqual(none, []);
});

test('a SequenceExample file is reported as such by inspect, verify and dump, not crashed on', async () => {
  const file = join(GOLDEN, 'beam_sequence_examples.tfrecord.gz');
  const inspected = await inspectFiles([file]);
  assert.equal(inspected.files[0]?.records, 15000);
  assert.equal(inspected.files[0]?.sequenceExamples, 15000);
  assert.equal(inspected.files[0]?.compression, 'gzip');
  const verified = await verifyFiles([file]);
  assert.deepEqual(verified.problems, []);
  assert.equal(verified.files[0]?.sequenceExamples, 15000);
  assert.match(verified.notes[0] ?? '', /15000 of 15000 records are tf\.train\.SequenceExample/);
  const dumped = [];
  for await (const r of dumpRecords([file], { limit: 2 })) dumped.push(r);
  assert.deepEqual(dumped.map((r) => r.kind), ['sequence-example', 'sequence-example']);
  const [plain] = await (async () => { const out = []; for await (const r of dumpRecords([join(GOLDEN, 'tf_singles.tfrecords')], { limit: 1 })) out.push(r); return out; })();
  assert.equal(plain !== undefined && 'kind' in plain, false, 'an ordinary Example carries no kind');
});

test('verify reports every problem in a file and keeps going: two bad data CRCs, a payload that is no Example, a raw tensor of the wrong size', async () => {
  const dir = await tempDir();
  const good = Buffer.from(encodeExample({ a: int64Feature(1) }));
  const rawBad = Buffer.from(encodeExample({ 'image/raw': bytesFeature(Buffer.alloc(5)), 'image/shape': int64Feature(2, 2, 1), 'image/dtype': bytesFeature('uint8') }));
  const frames = [good, good, Buffer.from([0xff, 0xff, 0xff]), good, rawBad, good].map((p) => frameRecordToBuffer(p));
  const offsets = frames.map((_, i) => frames.slice(0, i).reduce((n, f) => n + f.length, 0));
  // Flip one data byte of records 1 and 3.
  for (const i of [1, 3]) {
    const frame = frames[i] as Buffer;
    frame[12] = (frame[12] as number) ^ 0x01;
  }
  const file = join(dir, 'many.tfrecord');
  await writeFile(file, Buffer.concat(frames));
  const report = await verifyFiles([file], { decode: true });
  assert.equal(report.records, 6);
  assert.deepEqual(report.problems.map((p) => [p.recordIndex, p.kind, p.offset]), [
    [1, 'corrupt-data', offsets[1]], [2, 'not-an-example', offsets[2]], [3, 'corrupt-data', offsets[3]], [4, 'image', offsets[4]],
  ]);
  assert.match(report.problems[3]?.message ?? '', /raw tensor is 5 bytes, but shape \[2, 2, 1\] of uint8 needs 4/);
  assert.ok(report.problems.every((p) => p.message.includes(file)), 'every problem names the file');
});

test('extract: names colliding within a run get a numeric suffix; --overwrite replaces instead of suffixing', async () => {
  const dir = await tempDir();
  const jpeg = await readFile(join(SAMPLE, 'animals/HappyFish.jpg'));
  const other = await readFile(join(SAMPLE, 'people/concert.jpg'));
  const w = createRecordFileWriter(join(dir, 'dup.tfrecord'));
  await w.write(encodeExample({ 'image/encoded': bytesFeature(jpeg), 'image/filename': bytesFeature('a/x.jpg') }));
  await w.write(encodeExample({ 'image/encoded': bytesFeature(other), 'image/filename': bytesFeature('a/x.jpg'), f: floatFeature(1) }));
  await w.close();
  const out = await tempDir();
  const warnings: string[] = [];
  await extractImages([join(dir, 'dup.tfrecord')], out, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual((await readdir(join(out, 'a'))).sort(), ['x-1.jpg', 'x.jpg']);
  assert.ok((await readFile(join(out, 'a/x.jpg'))).equals(jpeg));
  assert.ok((await readFile(join(out, 'a/x-1.jpg'))).equals(other));
  assert.ok(warnings.some((m) => m.includes('record 1') && m.includes('a/x-1.jpg')));
  await writeFile(join(out, 'a/x.jpg'), 'stale');
  const again = await extractImages([join(dir, 'dup.tfrecord')], out, { overwrite: true });
  assert.equal(again.written, 2);
  assert.deepEqual((await readdir(join(out, 'a'))).sort(), ['x-1.jpg', 'x.jpg'], 'no x-2.jpg: existing files are replaced');
  assert.ok((await readFile(join(out, 'a/x.jpg'))).equals(jpeg));
});
