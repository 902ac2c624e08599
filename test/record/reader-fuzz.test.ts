// Seeded fuzz of the read side against test/record/reference-reader.ts. FUZZ_COUNT=100000 for a long run.
//
// Decisions, per mutation class (what TensorFlow does, and so what we must do):
// - byte flips, insertions, junk payloads in valid frames: TFRecordDataset checks both CRCs and
//   raises DataLoss at the first bad one, reading nothing after it. We stop there too (verify goes
//   on past a bad *data* CRC, as the framing is intact, but reports the same first problem).
//   A frame whose CRCs hold is a record whatever it holds; whether it is an Example is
//   tf.train.Example's (protobuf's) rule: unknown fields and wrong wire types are skipped, a map
//   entry with a key and no value is an empty feature, packed floats must be a multiple of 4 bytes,
//   an end-group or tag 0 outside a group fails. Keys are compared as bytes (tf.io.parse_example
//   does not check UTF-8), so non-UTF-8 keys are kept, never merged.
// - truncations: EOF at a frame boundary is a clean end; EOF inside a header or frame is DataLoss
//   "truncated record" at the frame's offset.
// - length fields 0 / 2^32 / 2^40 / 2^63: with the length CRC left stale, DataLoss (corrupt length).
//   With the CRC fixed, TensorFlow reads on and hits EOF (truncated), or for length 0 an empty
//   record whose data CRC (the next 4 bytes) fails. In a plain file we know its size, so we say
//   truncated too; in a compressed stream we cannot know, and say too-large (over our 256 MiB
//   limit) at the same offset and record: the one accepted difference of name.
// - trailing bytes: fewer than 12 is a truncated header; in a GZIP file, bytes after a member must
//   be another member (TensorFlow's inflate rejects anything else, 0x00 padding included), and a bad
//   CRC-32/ISIZE is an error after every intact record, at the offset where the records end.
// - damage inside the deflate data itself: where the error falls depends on how much each inflate
//   call produced before it (TensorFlow loses an output buffer's worth; we may lose up to one input
//   chunk's output), not only on the file. Fuzzed for: no error but the named ones, our records a
//   prefix of the reference's (every byte that inflates before the damage), and an error reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bytesFeature, decodeExample, encodeExample, floatFeature, int64Feature } from '../../src/example/index.js';
import { CorruptRecordError, ExampleParseError, RecordTooLargeError, TruncatedRecordError } from '../../src/errors.js';
import { frameRecordToBuffer, maskedCrc32c, readRecordFile, readRecords, type RecordEntry } from '../../src/record/index.js';
import { verifyFiles } from '../../src/read/verify.js';
import { referenceExample, referenceRead, type RefExample, type RefResult } from './reference-reader.js';

const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);

/** Park-Miller: the same seed, the same mutations, on every machine. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 48271) % 2147483647;
    return s % n;
  };
}

function baseRecords(): Buffer[] {
  return [
    Buffer.from(encodeExample({ 'image/encoded': bytesFeature(Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3])), 'image/class/label': int64Feature(3) })),
    Buffer.from(encodeExample({ f: floatFeature(1.5, -2, 0.25), n: int64Feature(-1, 2 ** 40), t: bytesFeature('héllo', '') })),
    Buffer.alloc(0), // an empty Example
    // A key-only entry (empty feature) next to a normal one.
    Buffer.from([0x0a, 0x0c, 0x0a, 0x03, 0x0a, 0x01, 0x6b, 0x0a, 0x05, 0x0a, 0x01, 0x6c, 0x12, 0x00]),
    Buffer.from(encodeExample({ __proto__x: int64Feature(1), s: bytesFeature('abc'.repeat(20)) })),
  ];
}

function frame(data: Buffer): Buffer {
  return frameRecordToBuffer(data);
}

function setLength(buf: Buffer, at: number, length: bigint, fixCrc: boolean): void {
  buf.writeBigUInt64LE(length, at);
  if (fixCrc) buf.writeUInt32LE(maskedCrc32c(buf.subarray(at, at + 8)), at + 8);
}

/** One seeded mutation of the framed stream of `records`. */
function mutate(records: Buffer[], r: (n: number) => number): { bytes: Buffer; cls: string } {
  const frames = records.map(frame);
  const offsets: number[] = [];
  let o = 0;
  for (const f of frames) {
    offsets.push(o);
    o += f.length;
  }
  const whole = Buffer.concat(frames);
  const at = offsets[r(offsets.length)] as number;
  switch (r(8)) {
    case 0: {
      const b = Buffer.from(whole);
      for (let k = 1 + r(3); k > 0; k--) {
        const p = r(b.length);
        b[p] = (b[p] as number) ^ (1 << r(8));
      }
      return { bytes: b, cls: 'flip' };
    }
    case 1:
      return { bytes: whole.subarray(0, r(whole.length + 1)), cls: 'truncate' };
    case 2: {
      const p = r(whole.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + r(4) }, () => r(256)));
      return { bytes: Buffer.concat([whole.subarray(0, p), junk, whole.subarray(p)]), cls: 'insert' };
    }
    case 3: {
      const b = Buffer.from(whole);
      setLength(b, at, [0n, 2n ** 32n, 2n ** 40n, 2n ** 63n][r(4)] as bigint, r(2) === 0);
      return { bytes: b, cls: 'length' };
    }
    case 4: {
      // A junk payload in a valid frame: random bytes, or a real payload with bytes changed.
      const i = r(records.length);
      const base = records[i] as Buffer;
      const data = r(2) === 0 ? Buffer.from(Array.from({ length: r(24) }, () => r(256))) : Buffer.from(base);
      if (data === base || data.length > 0) for (let k = 1 + r(2); k > 0 && data.length > 0; k--) data[r(data.length)] = r(256);
      const out = records.slice();
      out[i] = data;
      return { bytes: Buffer.concat(out.map(frame)), cls: 'payload' };
    }
    case 5: {
      const tail = r(2) === 0 ? Buffer.alloc(1 + r(20)) : Buffer.from(Array.from({ length: 1 + r(20) }, () => r(256)));
      return { bytes: Buffer.concat([whole, tail]), cls: 'trailing' };
    }
    case 6: {
      // Payload bytes changed inside an Example while keeping the frame valid: key bytes made non-UTF-8.
      const out = records.map((d) => Buffer.from(d));
      const d = out[r(out.length)] as Buffer;
      const k = d.indexOf(0x6b);
      if (k >= 0) d[k] = 0x80 + r(128);
      return { bytes: Buffer.concat(out.map(frame)), cls: 'key' };
    }
    default:
      return { bytes: whole, cls: 'intact' };
  }
}

interface Outcome {
  records: RecordEntry[];
  error: { kind: string; offset: number | undefined; recordIndex: number | undefined } | null;
}

async function readOurs(source: AsyncIterable<Uint8Array>, streamBytes?: number): Promise<Outcome> {
  const records: RecordEntry[] = [];
  try {
    for await (const rec of readRecords(source, streamBytes === undefined ? {} : { streamBytes })) records.push(rec);
    return { records, error: null };
  } catch (error) {
    return { records, error: classify(error) };
  }
}

function classify(error: unknown): Outcome['error'] {
  const kind = error instanceof TruncatedRecordError ? 'truncated'
    : error instanceof CorruptRecordError ? `corrupt-${error.region}`
      : error instanceof RecordTooLargeError ? 'too-large' : null;
  // Anything but our named errors is a failure of the reader: let it fail the test.
  if (kind === null) throw error;
  const { offset, recordIndex } = (error as TruncatedRecordError).context;
  return { kind, offset, recordIndex };
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function digest(decoded: ReturnType<typeof decodeExample>): RefExample {
  const map: RefExample = new Map();
  const empty = new Set(decoded.emptyKeys);
  for (const [key, f] of decoded.featureMap) {
    // Back to the key's bytes: UTF-8, except that each lone surrogate U+DCxx stands for byte xx.
    const hex = rawKeyBytes(key).toString('hex');
    const values = f.kind === 'bytes' ? f.values.map((v) => Buffer.from(v).toString('hex')) : f.values.map(String);
    map.set(hex, { kind: empty.has(key) ? null : f.kind, values });
  }
  return map;
}

function rawKeyBytes(key: string): Buffer {
  const parts: Buffer[] = [];
  for (const ch of key) {
    const c = ch.codePointAt(0) as number;
    parts.push(c >= 0xdc80 && c <= 0xdcff ? Buffer.from([c - 0xdc00]) : Buffer.from(ch, 'utf8'));
  }
  return Buffer.concat(parts);
}

function assertAgree(ours: Outcome, ref: RefResult, label: string, compressed: boolean): void {
  assert.deepEqual(ours.records.map((x) => [x.index, x.offset, x.data.toString('hex')]), ref.records.map((x) => [x.index, x.offset, x.data.toString('hex')]), `${label}: records`);
  if (ref.error === null) {
    assert.equal(ours.error, null, `${label}: we report ${JSON.stringify(ours.error)} on a file the reference reads clean`);
    return;
  }
  assert.ok(ours.error !== null, `${label}: reference says ${ref.error.kind}, we read clean`);
  const accepted = ours.error.kind === ref.error.kind || (compressed && ref.error.kind === 'truncated' && ours.error.kind === 'too-large');
  assert.ok(accepted, `${label}: we say ${ours.error.kind}, reference ${ref.error.kind}`);
  assert.equal(ours.error.offset, ref.error.offset, `${label}: offset`);
  assert.equal(ours.error.recordIndex, ref.error.recordIndex, `${label}: record index`);
}

function assertPayloadsAgree(records: readonly { data: Buffer }[], label: string): void {
  for (const [i, { data }] of records.entries()) {
    const ref = referenceExample(data);
    let ours: RefExample | null;
    try {
      ours = digest(decodeExample(data, { recordIndex: i }));
    } catch (error) {
      if (!(error instanceof ExampleParseError)) throw error;
      assert.match(error.message, new RegExp(`record ${i} is not a tf.train.Example`));
      ours = null;
    }
    assert.deepEqual(ours, ref, `${label}: record ${i} payload ${data.toString('hex')}`);
  }
}

test(`reader agrees with the reference reader on ${COUNT} seeded mutations of a plain stream`, async () => {
  const r = rng(20261202);
  const base = baseRecords();
  const seen = new Map<string, number>();
  for (let i = 0; i < COUNT; i++) {
    const { bytes, cls } = mutate(base, r);
    seen.set(cls, (seen.get(cls) ?? 0) + 1);
    const label = `case ${i} (${cls}) ${bytes.length <= 200 ? bytes.toString('hex') : ''}`;
    const ref = referenceRead(bytes);
    // Plain: in chunks of a varying size, with the stream length known as for a file.
    assertAgree(await readOurs(chunked(bytes, 1 + r(40)), bytes.length), ref, label, false);
    assertPayloadsAgree(ref.records, label);
  }
  for (const cls of ['flip', 'truncate', 'insert', 'length', 'payload', 'trailing', 'key', 'intact']) assert.ok((seen.get(cls) ?? 0) > 0, cls);
});

/** GZIP container mutations after the deflate data: trailer bytes, trailing junk or zeros, cuts. */
function mutateGzip(plain: Buffer, r: (n: number) => number): { bytes: Buffer; cls: string } {
  const gz = gzipSync(plain);
  switch (r(6)) {
    case 0: {
      const b = Buffer.from(gz);
      const p = b.length - 8 + r(8); // CRC-32 or ISIZE
      b[p] = (b[p] as number) ^ (1 << r(8));
      return { bytes: b, cls: 'gzip-trailer' };
    }
    case 1:
      return { bytes: Buffer.concat([gz, Buffer.alloc(1 + r(8))]), cls: 'gzip-zeros' };
    case 2:
      return { bytes: Buffer.concat([gz, Buffer.from('junk!').subarray(0, 1 + r(5))]), cls: 'gzip-junk' };
    case 3:
      return { bytes: gz.subarray(0, gz.length - 1 - r(8)), cls: 'gzip-cut-trailer' };
    case 4:
      return { bytes: Buffer.concat([gz, gzipSync(plain)]), cls: 'gzip-members' };
    default:
      return { bytes: gz, cls: 'gzip-intact' };
  }
}

test('GZIP files (mutated streams compressed, and damaged containers) agree with the reference; verify agrees on the first problem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fuzz-'));
  try {
    const r = rng(7);
    const base = baseRecords();
    const n = Math.max(60, Math.floor(COUNT / 20));
    for (let i = 0; i < n; i++) {
      const { bytes: plain, cls: inner } = mutate(base, r);
      if (i % 4 === 3) {
        await checkDeflateDamage(join(dir, `d${i}.gz`), plain, r, `gzip case ${i} (deflate damage)`);
        continue;
      }
      const { bytes, cls } = i % 2 === 0 ? { bytes: gzipSync(plain), cls: `gzip(${inner})` } : mutateGzip(Buffer.concat(base.map(frame)), r);
      const path = join(dir, `f${i}.tfrecord.gz`);
      await writeFile(path, bytes);
      const label = `gzip case ${i} (${cls})`;
      const ref = referenceRead(bytes);
      const ours: Outcome = { records: [], error: null };
      try {
        for await (const rec of readRecordFile(path)) ours.records.push(rec);
      } catch (error) {
        ours.error = classify(error);
      }
      assertAgree(ours, ref, label, true);
      // verify: clean exactly when the reference finds nothing wrong, and the first problem where it is.
      const report = await verifyFiles([path]);
      const refBad = ref.error !== null || ref.records.some((x) => referenceExample(x.data) === null);
      assert.equal(report.problems.length > 0, refBad, `${label}: verify ${JSON.stringify(report.problems.map((p) => p.message))}`);
      const firstBadPayload = ref.records.find((x) => referenceExample(x.data) === null);
      const first = report.problems[0];
      if (first !== undefined) {
        const expectedIndex = firstBadPayload?.index ?? ref.error?.recordIndex;
        assert.equal(first.recordIndex, expectedIndex, `${label}: verify's first problem ${first.message}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function checkDeflateDamage(path: string, plain: Buffer, r: (n: number) => number, label: string): Promise<void> {
  const gz = Buffer.from(gzipSync(plain));
  // A byte of the deflate data (after the 10-byte header, before the 8-byte trailer) changed.
  if (gz.length <= 18) return;
  const p = 10 + r(gz.length - 18);
  gz[p] = (gz[p] as number) ^ (1 + r(255));
  await writeFile(path, gz);
  const ref = referenceRead(gz);
  const ours: Outcome = { records: [], error: null };
  try {
    for await (const rec of readRecordFile(path)) ours.records.push(rec);
  } catch (error) {
    ours.error = classify(error);
  }
  const mine = ours.records.map((x) => [x.index, x.offset, x.data.toString('hex')]);
  assert.deepEqual(mine, ref.records.slice(0, mine.length).map((x) => [x.index, x.offset, x.data.toString('hex')]), `${label}: records`);
  assert.equal(ours.error !== null, ref.error !== null, `${label}: we say ${JSON.stringify(ours.error)}, reference ${JSON.stringify(ref.error)}`);
}

test('a plain length of 2^32, 2^40 or 2^63 with a valid CRC is truncated at its record, as TensorFlow says; never allocated', async () => {
  for (const length of [2n ** 32n, 2n ** 40n, 2n ** 63n]) {
    const b = Buffer.concat(baseRecords().map(frame));
    const second = frame(baseRecords()[0] as Buffer).length;
    setLength(b, second, length, true);
    const ours = await readOurs(chunked(b, 7), b.length);
    assert.deepEqual(ours.error, { kind: 'truncated', offset: second, recordIndex: 1 });
    assert.equal(ours.records.length, 1);
  }
});
