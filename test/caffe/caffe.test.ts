import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCliSync } from '../helpers/cli.js';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { convert } from '../../src/convert/convert.js';
import { expandRecordFiles } from '../../src/sinks/record-files.js';
import { LmdbSink } from '../../src/caffe/lmdb-sink.js';
import { MeanAccumulator } from '../../src/caffe/mean.js';
import { verifyFiles } from '../../src/read/verify.js';
import { extractImages } from '../../src/read/extract.js';
import { decodeBlobProto, decodeDatum, encodeDatum } from '../../src/datum/index.js';
import { formatHumanSummary } from '../../src/cli/report.js';
import { DataError, InvalidOptionError, OutputExistsError } from '../../src/errors.js';
import { decodeBmp24 } from '../image/helpers.js';
import { lmdbSkipReason, readDb } from './lmdb-helpers.js';

const skip = lmdbSkipReason();

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'caffe-'));
}

/** A BMP as PNG, decoded by hand (sharp's prebuilt libvips has no BMP loader). */
async function bmpAsPng(path: string): Promise<Buffer> {
  const { data, width, height } = decodeBmp24(await readFile(path));
  return sharp(data, { raw: { width, height, channels: 4 } }).removeAlpha().png().toBuffer();
}

/** Independent decode: sharp's HWC RGB pixels. */
async function hwcRgb(path: string, size: number): Promise<Buffer> {
  return sharp(path.endsWith('.bmp') ? await bmpAsPng(path) : path).keepIccProfile().flatten({ background: '#000000' }).toColourspace('srgb').resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer();
}

/** HWC RGB reshaped by hand to CHW BGR. */
function toChwBgr(data: Buffer): Buffer {
  const out = Buffer.alloc(data.length);
  const plane = data.length / 3;
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[(2 - c) * plane + p] = data[p * 3 + c] as number;
  return out;
}

async function chwBgr(path: string, size: number): Promise<Buffer> {
  return toChwBgr(await hwcRgb(path, size));
}

test('raw datums: keys in order, CHW BGR pixels equal a hand reshape, labels right, mean right', { skip }, async () => {
  const out = await tempDir();
  const summary = await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', resize: { width: 16, height: 16 }, fit: 'fill', mean: join(out, 'mean.binaryproto') });
  assert.equal(summary.records, 7);
  const rows = readDb(join(out, 'train_lmdb'));
  assert.deepEqual(rows.map((r) => r.key), [
    '00000000_animals/HappyFish.jpg', '00000001_animals/shira_bird8.bmp', '00000002_documents/text.png', '00000003_graphics/d.png',
    '00000004_graphics/ibasn0g04.png', '00000005_graphics/swiss.png', '00000006_people/concert.jpg']);
  const sum = new Float64Array(3 * 16 * 16);
  for (const { key, value } of rows) {
    const datum = decodeDatum(value);
    const rel = key.slice(9);
    assert.deepEqual([datum.channels, datum.height, datum.width], [3, 16, 16], rel);
    assert.equal(datum.label, summary.labels.indexOf(rel.split('/')[0] as string), rel);
    assert.equal(datum.encoded, undefined);
    const expected = await chwBgr(join(SAMPLE, rel), 16);
    const data = datum.data as Uint8Array;
    assert.ok(Buffer.from(data).equals(expected), `${rel}: CHW BGR bytes equal the hand reshape`);
    for (let i = 0; i < data.length; i++) sum[i] = (sum[i] as number) + (data[i] as number);
  }
  const mean = decodeBlobProto(await readFile(join(out, 'mean.binaryproto')));
  assert.deepEqual([mean.num, mean.channels, mean.height, mean.width], [1, 3, 16, 16]);
  for (let i = 0; i < sum.length; i++) assert.ok(Math.abs((mean.data[i] as number) - (sum[i] as number) / 7) < 1e-3);
  const verified = await verifyFiles([join(out, 'train_lmdb')], { decode: true });
  assert.deepEqual(verified.problems, []);
  const back = await tempDir();
  await extractImages([join(out, 'train_lmdb')], back);
  assert.deepEqual((await readdir(join(back, 'animals'))).sort(), ['HappyFish.png', 'shira_bird8.png']);
  // extract turns CHW BGR back into an RGB PNG of the same pixels.
  for (const { key } of rows) {
    const rel = key.slice(9);
    const png = await sharp(join(back, rel.replace(/\.[^.]+$/, '.png'))).removeAlpha().raw().toBuffer();
    assert.ok(png.equals(await hwcRgb(join(SAMPLE, rel), 16)), `${rel}: extracted PNG`);
  }
});

test('--channels 1 (Caffe\'s --gray): one plane per datum, equal to an independent grey decode', { skip }, async () => {
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', channels: 1, resize: { width: 12, height: 10 }, fit: 'fill' });
  const rows = readDb(join(out, 'train_lmdb'));
  assert.equal(rows.length, 7);
  for (const { key, value } of rows) {
    const rel = key.slice(9);
    const datum = decodeDatum(value);
    assert.deepEqual([datum.channels, datum.height, datum.width], [1, 10, 12], rel);
    const path = join(SAMPLE, rel);
    // Grey as libjpeg, PIL and OpenCV compute it: Rec. 601 luma of the gamma-encoded RGB, by hand.
    const { data: rgb, info } = await sharp(rel.endsWith('.bmp') ? await bmpAsPng(path) : path).keepIccProfile().flatten({ background: '#000000' })
      .resize(12, 10, { fit: 'fill' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const grey = Buffer.alloc(info.width * info.height);
    for (let p = 0; p < grey.length; p++) {
      const at = p * info.channels;
      grey[p] = Math.floor(((rgb[at] as number) * 19595 + (rgb[at + 1] as number) * 38470 + (rgb[at + 2] as number) * 7471 + 0x8000) / 65536);
    }
    assert.ok(Buffer.from(datum.data as Uint8Array).equals(grey), `${rel}: grey pixels`);
  }
});

test('--encode jpeg|png: files already in that format pass through as Caffe does, the others are re-encoded', { skip }, async () => {
  for (const format of ['jpeg', 'png'] as const) {
    const out = await tempDir();
    await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', encode: format });
    const rows = readDb(join(out, 'train_lmdb'));
    assert.equal(rows.length, 7);
    for (const { key, value } of rows) {
      const rel = key.slice(9);
      const datum = decodeDatum(value);
      const data = Buffer.from(datum.data as Uint8Array);
      assert.equal(datum.encoded, true, rel);
      assert.equal(datum.channels, undefined, rel);
      const source = await readFile(join(SAMPLE, rel));
      const sameFormat = format === 'jpeg' ? rel.endsWith('.jpg') : rel.endsWith('.png');
      assert.equal(data.equals(source), sameFormat, `${format}: ${rel} passed through: ${sameFormat}`);
      const magic = format === 'jpeg' ? 'ffd8ff' : '89504e47';
      assert.equal(data.subarray(0, magic.length / 2).toString('hex'), magic, `${format}: ${rel} holds ${format}`);
    }
  }
});

test('a run killed by SIGKILL mid-database leaves no database under the final name; the next run cleans its temp folder', { skip }, async () => {
  const out = await tempDir();
  const args = ['convert', SAMPLE, '-o', out, '--target', 'caffe-lmdb', '--commit-every', '2', '--encode', 'keep', '--quiet'];
  const killed = spawnCliSync(args, { env: { IMG2TFRECORD_FAULT: 'commit:2' } });
  assert.equal(killed.signal, 'SIGKILL');
  const left = await readdir(out);
  assert.ok(!left.includes('train_lmdb'), `no final database after the kill: ${left.join(', ')}`);
  assert.ok(left.some((n) => n.startsWith('.train_lmdb.tmp-')), 'the killed run left its temp folder');
  // The next run (in this process: the killed one's pid is gone) removes the stale temp folder.
  await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', commitEvery: 2, encode: 'keep' });
  assert.deepEqual((await readdir(out)).filter((n) => n.startsWith('.')), [], 'the stale temp folder is gone');
  const reference = await tempDir();
  await convert({ input: SAMPLE, output: reference, target: 'caffe-lmdb', encode: 'keep' });
  assert.deepEqual(readDb(join(out, 'train_lmdb')), readDb(join(reference, 'train_lmdb')));
});

test('--mean of encoded datums decodes them as compute_image_mean does; images of several sizes are refused', { skip }, async () => {
  const raw = await tempDir();
  await convert({ input: SAMPLE, output: raw, target: 'caffe-lmdb', resize: { width: 16, height: 16 }, fit: 'fill', mean: join(raw, 'mean.binaryproto') });
  const png = await tempDir();
  await convert({ input: SAMPLE, output: png, target: 'caffe-lmdb', encode: 'png', channels: 3, resize: { width: 16, height: 16 }, fit: 'fill', mean: join(png, 'mean.binaryproto') });
  const want = decodeBlobProto(await readFile(join(raw, 'mean.binaryproto')));
  const got = decodeBlobProto(await readFile(join(png, 'mean.binaryproto')));
  assert.deepEqual([got.num, got.channels, got.height, got.width], [1, 3, 16, 16]);
  // PNG is lossless: the decoded datums hold the raw run's pixels.
  for (let i = 0; i < want.data.length; i++) assert.ok(Math.abs((got.data[i] as number) - (want.data[i] as number)) < 1e-3, `value ${i}`);

  const mixed = await tempDir();
  await assert.rejects(convert({ input: SAMPLE, output: mixed, target: 'caffe-lmdb', encode: 'keep', mean: join(mixed, 'mean.binaryproto') }),
    (e: unknown) => e instanceof DataError && e.code === 'ERR_DATA' && /--mean needs all images the same size: animals\/shira_bird8\.bmp is 192x144x3, but animals\/HappyFish\.jpg is 259x194x3/.test(e.message));
  assert.deepEqual(await readdir(mixed), [], 'no database and no mean file');
});

test('encoded datums pass bytes through with encoded = true and no dims unless --datum-dims; splits get a database each', { skip }, async () => {
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', encode: 'keep', split: 'train=0.5,validation=0.5' });
  assert.deepEqual((await readdir(out)).filter((n) => n.endsWith('_lmdb')).sort(), ['train_lmdb', 'validation_lmdb']);
  const rows = [...readDb(join(out, 'train_lmdb')), ...readDb(join(out, 'validation_lmdb'))];
  assert.equal(rows.length, 7);
  // The read commands take the output folder and find both databases in it.
  assert.deepEqual(await expandRecordFiles([out]), [join(out, 'train_lmdb'), join(out, 'validation_lmdb')]);
  const back = await tempDir();
  assert.equal((await extractImages(await expandRecordFiles([out]), back)).written, 7);
  for (const { key } of rows) assert.ok((await readFile(join(back, key.slice(9)))).equals(await readFile(join(SAMPLE, key.slice(9)))), `extracted ${key}`);
  for (const { key, value } of rows) {
    const datum = decodeDatum(value);
    assert.equal(datum.encoded, true);
    assert.equal(datum.channels, undefined);
    assert.ok(Buffer.from(datum.data as Uint8Array).equals(await readFile(join(SAMPLE, key.slice(9)))), key);
  }
  const dims = await tempDir();
  await convert({ input: SAMPLE, output: dims, target: 'caffe-lmdb', encode: 'keep', datumDims: true });
  const first = decodeDatum((readDb(join(dims, 'train_lmdb'))[0] as { value: Buffer }).value);
  assert.deepEqual([first.channels, first.height, first.width], [3, 194, 259]);
});

test('skipped inputs leave no gap in the key numbering', { skip }, async () => {
  const input = await tempDir();
  await mkdir(join(input, 'a'));
  await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(input, 'a/1.jpg'));
  await copyFile(join(SAMPLE, 'people/concert.jpg'), join(input, 'a/3.jpg'));
  await writeFile(join(input, 'a/2.jpg'), 'broken');
  const out = await tempDir();
  const s = await convert({ input, output: out, target: 'caffe-lmdb', encode: 'keep' });
  assert.equal(s.skipped, 1);
  assert.deepEqual(readDb(join(out, 'train_lmdb')).map((r) => r.key), ['00000000_a/1.jpg', '00000001_a/3.jpg']);
  assert.match(formatHumanSummary(s, 1), /keys numbered without gaps: the 1 skipped input takes no key number/);
  assert.match(formatHumanSummary(s, 1), /2 records in 1 LMDB database /);
});

test('multi-valued or float labels need --label-to float_data', { skip }, async () => {
  const dir = await tempDir();
  await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(dir, 'a.jpg'));
  await writeFile(join(dir, 'm.jsonl'), '{"path": "a.jpg", "label": [0.5, 2]}\n');
  await assert.rejects(convert({ manifest: join(dir, 'm.jsonl'), output: await tempDir(), target: 'caffe-lmdb' }),
    (e: unknown) => e instanceof DataError && e.code === 'ERR_DATA' && /a\.jpg: Caffe's Datum holds one int32 label.*--label-to float_data/.test(e.message));
  const out = await tempDir();
  await convert({ manifest: join(dir, 'm.jsonl'), output: out, target: 'caffe-lmdb', labelTo: 'float_data' });
  const datum = decodeDatum((readDb(join(out, 'train_lmdb'))[0] as { value: Buffer }).value);
  assert.deepEqual(datum.floatData, [0.5, 2]);
  assert.equal(datum.label, undefined);
  // A single integer label beyond int32 does not fit either, and is said so up front.
  await writeFile(join(dir, 'big.jsonl'), '{"path": "a.jpg", "label": 5000000000}\n');
  await assert.rejects(convert({ manifest: join(dir, 'big.jsonl'), output: await tempDir(), target: 'caffe-lmdb' }),
    (e: unknown) => e instanceof DataError && /a\.jpg: .*\[5000000000\].*--label-to float_data/.test(e.message));
});

test('LmdbSink: commits in batches, the map grows from a tiny start, abort leaves nothing, no silent overwrite', { skip }, async () => {
  const root = await tempDir();
  const sink = new LmdbSink({ dir: join(root, 'db'), overwrite: false, commitEvery: 50, initialMapSize: 64 * 1024 });
  for (let i = 0; i < 300; i++) await sink.write({ payload: encodeDatum({ data: Buffer.alloc(10000, i), label: i }), shard: 0, relPath: `x/${i}.png` });
  const [info] = await sink.finish();
  assert.equal(info?.records, 300);
  assert.ok((info?.bytes ?? 0) > 300 * 10000, 'the map grew far past its 64 KiB start');
  const rows = readDb(join(root, 'db'));
  assert.equal(rows.length, 300);
  assert.equal(rows[299]?.key, '00000299_x/299.png');
  assert.equal(decodeDatum(rows[42]?.value as Buffer).label, 42);
  assert.deepEqual((await readdir(root)).sort(), ['db']);

  const aborted = new LmdbSink({ dir: join(root, 'gone'), overwrite: false, commitEvery: 10, initialMapSize: 1 << 20 });
  await aborted.write({ payload: encodeDatum({ label: 1 }), shard: 0, relPath: 'a' });
  await aborted.abort();
  assert.deepEqual((await readdir(root)).sort(), ['db'], 'no database and no temp folder left');

  const again = new LmdbSink({ dir: join(root, 'db'), overwrite: false, commitEvery: 10, initialMapSize: 1 << 20 });
  await assert.rejects(again.write({ payload: encodeDatum({ label: 1 }), shard: 0, relPath: 'a' }), OutputExistsError);
});

test('MeanAccumulator matches a hand computation and names a file of another size', () => {
  const mean = new MeanAccumulator();
  mean.add(Uint8Array.from([0, 10, 20, 30]), 1, 2, 2, 'a.png');
  mean.add(Uint8Array.from([10, 10, 10, 10]), 1, 2, 2, 'b.png');
  mean.add(Uint8Array.from([255, 0, 1, 2]), 1, 2, 2, 'c.png');
  const expected = [265 / 3, 20 / 3, 31 / 3, 14];
  mean.result().data.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-4, `${v} vs ${expected[i]}`));
  assert.throws(() => mean.add(new Uint8Array(12), 3, 2, 2, 'd.png'), (e: unknown) => e instanceof DataError && /d\.png is 2x2x3, but a\.png is 2x2x1/.test(e.message));
});

test('caffe-lmdb: a CIELab TIFF and RGB data tagged MinIsBlack become 3-channel datums, never a "flattening" internal error', { skip }, async () => {
  const { buildTiff } = await import('../image/tiff-builder.js');
  const input = await tempDir();
  await mkdir(join(input, 'odd'));
  await copyFile(join(ROOT, 'fixtures/pixels/lab.tif'), join(input, 'odd', 'lab.tif'));
  const { writeFile } = await import('node:fs/promises');
  // Photometric=1 (MinIsBlack) over three samples, the last two unspecified extra samples.
  await writeFile(join(input, 'odd', 'grey-tagged.tif'), buildTiff({ width: 2, height: 2, samples: 3, bits: 8, sampleFormat: 1, photometric: 1, extraSamples: [0, 0], values: [10, 1, 2, 20, 3, 4, 30, 5, 6, 40, 7, 8] }));
  const out = join(await tempDir(), 'db');
  const summary = await convert({ input, output: out, target: 'caffe-lmdb' });
  assert.equal(summary.records, 2);
  const datums = readDb(join(out, 'train_lmdb')).map(({ value }) => decodeDatum(value));
  assert.deepEqual(datums.map((d) => d.channels), [3, 3]);
  // grey-tagged.tif sorts first: its grey samples repeated in B, G and R planes.
  assert.deepEqual([...(datums[0]?.data ?? [])], [10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40]);
});

/** The CLI as a user runs it, with node-lmdb replaced by `lmdbModule` (a missing name, a broken binary). */
function runWithout(lmdbModule: string | null, args: string[]): { status: number | null; stderr: string } {
  // Where node-lmdb really is missing (CI's --omit=optional run), the real one is what is tested.
  const child = spawnCliSync(args, { env: { IMG2TFRECORD_LMDB_MODULE: lmdbModule ?? undefined } });
  return { status: child.code, stderr: child.stderr };
}

function assertOneLineFix(stderr: string, reason: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, no stack trace: ${stderr}`);
  assert.match(lines[0] as string, /^img2tfrecord: --target caffe-lmdb and reading LMDB need node-lmdb, which /);
  assert.match(lines[0] as string, reason);
  assert.match(lines[0] as string, /fix: npm install node-lmdb \(it builds from source, which needs a C\+\+ compiler, make and python3\)$/);
  assert.doesNotMatch(stderr, /internal error|\n\s+at /);
}

test('without node-lmdb, --target caffe-lmdb and LMDB reads say so in one line with the fix and exit 1', async () => {
  const root = await tempDir();
  // Missing: the real thing after npm ci --omit=optional, else a module name that does not exist.
  const missing = runWithout(skip === false ? 'img2tfrecord-no-such-module' : null, ['convert', SAMPLE, '-o', join(root, 'out'), '--target', 'caffe-lmdb']);
  assert.equal(missing.status, 1);
  assertOneLineFix(missing.stderr, /which is not installed \(it is an optional dependency\);/);
  assert.deepEqual(await readdir(root), [], 'no output folder left behind');
  // Installed but not loadable, as a prebuilt binary built for glibc 2.38 is on older systems.
  const broken = join(root, 'broken.node');
  await writeFile(broken, 'not a shared object');
  const db = join(root, 'train_lmdb');
  await mkdir(db);
  await writeFile(join(db, 'data.mdb'), '');
  const read = runWithout(broken, ['inspect', db]);
  assert.equal(read.status, 1);
  assertOneLineFix(read.stderr, /which is installed but does not load \(.*broken\.node.*\);/);
});

test('--commit-bytes takes a size, for caffe-lmdb only', { skip }, async () => {
  const out = await tempDir();
  const s = await convert({ input: SAMPLE, output: out, target: 'caffe-lmdb', commitBytes: '1KB', encode: 'keep' });
  assert.equal(s.records, readDb(join(out, 'train_lmdb')).length);
  await assert.rejects(convert({ input: SAMPLE, output: await tempDir(), commitBytes: '64MB' }),
    (e: unknown) => e instanceof InvalidOptionError && /--commit-bytes apply to --target caffe-lmdb only/.test(e.message));
  await assert.rejects(convert({ input: SAMPLE, output: await tempDir(), target: 'caffe-lmdb', commitBytes: '10XB' }), /commitBytes/);
});
