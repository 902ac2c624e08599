// Empty features, non-UTF-8 keys and a "__proto__" key through inspect, dump, verify and extract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeExample, encodeExample, bytesFeature, int64Feature, formatKey } from '../../src/example/index.js';
import { frameRecordToBuffer } from '../../src/record/index.js';
import { dumpRecords } from '../../src/read/dump.js';
import { extractImages } from '../../src/read/extract.js';
import { inspectFiles } from '../../src/read/inspect.js';
import { verifyFiles } from '../../src/read/verify.js';

const HORSE = fileURLToPath(new URL('../../fixtures/images/animals/horse.png', import.meta.url));

function ld(field: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
}

/** An Example of hand-built map entries (key bytes, optional Feature bytes). */
function example(entries: [Buffer, Buffer | null][]): Buffer {
  return ld(1, Buffer.concat(entries.map(([key, value]) => ld(1, Buffer.concat([ld(1, key), value === null ? Buffer.alloc(0) : ld(2, value)])))));
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const int64 = (v: number): Buffer => ld(3, ld(1, Buffer.from([v])));

async function withFile(records: Buffer[], fn: (path: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'keys-'));
  try {
    const path = join(dir, 'a.tfrecord');
    await writeFile(path, Buffer.concat(records.map((r) => frameRecordToBuffer(r))));
    await fn(path, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a map entry with a key and no value is an empty feature: no TypeError anywhere, no problem in verify', async () => {
  const horse = await readFile(HORSE);
  const payload = Buffer.concat([
    example([[Buffer.from('empty'), null], [Buffer.from('image/filename'), ld(1, ld(1, Buffer.from('horse.png')))]]),
    // A second Features message merges into the first (protobuf), so the image sits beside them.
    Buffer.from(encodeExample({ 'image/encoded': bytesFeature(horse) })),
  ]);
  const decoded = decodeExample(payload);
  assert.deepEqual(decoded.emptyKeys, ['empty']);
  assert.deepEqual(decoded.features.empty, { kind: 'bytes', values: [] });
  await withFile([payload], async (path, dir) => {
    const [record] = await collect(dumpRecords([path]));
    assert.deepEqual(record?.features.empty, { type: null, values: [] });
    const report = await inspectFiles([path]);
    assert.deepEqual(report.keys.find((k) => k.key === 'empty'), { key: 'empty', type: 'none', records: 1, minValues: 0, maxValues: 0 });
    const verified = await verifyFiles([path]);
    assert.deepEqual(verified.problems, []);
    const extracted = await extractImages([path], join(dir, 'out'));
    assert.equal(extracted.written, 1);
    assert.deepEqual(await readdir(join(dir, 'out')), ['horse.png']);
  });
});

test('non-UTF-8 keys stay distinct (never merged into U+FFFD) and are shown escaped; __proto__ is an ordinary key', async () => {
  const payload = example([
    [Buffer.from([0x61, 0xff]), int64(1)],
    [Buffer.from([0x61, 0xfe]), int64(2)],
    [Buffer.from('a\\xff'), int64(3)], // the text a\xff, which must not show like the byte 0xff
    [Buffer.from('__proto__'), int64(4)],
    [Buffer.from('constructor'), int64(5)],
  ]);
  const decoded = decodeExample(payload);
  assert.equal(decoded.featureMap.size, 5);
  assert.deepEqual(decoded.features.__proto__, { kind: 'int64', values: [4n] });
  assert.equal(Object.keys(decoded.features).length, 5);
  const shown = [...decoded.featureMap.keys()].map(formatKey);
  assert.deepEqual(shown, ['a\\xff', 'a\\xfe', 'a\\\\xff', '__proto__', 'constructor']);
  await withFile([payload, Buffer.from(encodeExample({ ok: int64Feature(1) }))], async (path) => {
    const [record] = await collect(dumpRecords([path]));
    const json = JSON.parse(JSON.stringify(record)) as { features: Record<string, { values: unknown[] }> };
    assert.deepEqual(Object.keys(json.features).sort(), ['__proto__', 'a\\\\xff', 'a\\xfe', 'a\\xff', 'constructor'].sort());
    assert.deepEqual(json.features.__proto__?.values, [4]);
    assert.deepEqual(json.features['a\\xfe']?.values, [2]);
    const report = await inspectFiles([path]);
    assert.deepEqual(report.keys.map((k) => k.key).sort(), ['__proto__', 'a\\\\xff', 'a\\xfe', 'a\\xff', 'constructor', 'ok'].sort());
    const verified = await verifyFiles([path]);
    assert.deepEqual(verified.problems, []);
    assert.ok(verified.notes.some((n) => /1 record has feature keys that are not UTF-8 \(first: record 0\)/.test(n)), verified.notes.join('\n'));
    // dump --keys takes the key as shown.
    const [only] = await collect(dumpRecords([path], { keys: ['a\\xfe'] }));
    assert.deepEqual(Object.keys(only?.features ?? {}), ['a\\xfe']);
  });
});

test('verify on a JPEG says "not a TFRecord file (starts like a JPEG)"; a bad payload names file, offset and record', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'keys-'));
  try {
    const jpeg = join(dir, 'photo.jpg');
    await writeFile(jpeg, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0]));
    const report = await verifyFiles([jpeg]);
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0]?.kind, 'not-a-tfrecord');
    assert.equal(report.problems[0]?.message, `${jpeg}: not a TFRecord file (starts like a JPEG)`);
    await assert.rejects(collect(dumpRecords([jpeg])), /not a TFRecord file \(starts like a JPEG\)/);
    const bad = join(dir, 'bad.tfrecord');
    const first = frameRecordToBuffer(Buffer.from(encodeExample({ a: int64Feature(1) })));
    await writeFile(bad, Buffer.concat([first, frameRecordToBuffer(Buffer.from([0x0a, 0x05, 0x01]))]));
    const problems = (await verifyFiles([bad])).problems;
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.kind, 'not-an-example');
    assert.match(problems[0]?.message ?? '', new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: record 1 at offset ${first.length} is not a tf.train.Example: length 5 runs past the end`));
    await assert.rejects(collect(dumpRecords([bad])), new RegExp(`record 1 at offset ${first.length} is not a tf.train.Example`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
