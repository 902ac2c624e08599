import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile, symlink } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../../src/convert/convert.js';
import { DEFAULT_SHARD_BYTES, parseByteSize, resolveConvertOptions } from '../../src/convert/options/options.js';
import { readRecordFile } from '../../src/record/index.js';
import { decodeExample, type Feature } from '../../src/example/index.js';
import { OutputExistsError, StrictModeError, InterruptedError, InvalidOptionError } from '../../src/errors.js';

const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;
const BROKEN = new URL('../../fixtures/images/broken/', import.meta.url).pathname;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-convert-'));
}

function text(f: Feature | undefined): string {
  assert.ok(f !== undefined && f.kind === 'bytes');
  return Buffer.from(f.values[0] as Uint8Array).toString('utf8');
}
function int(f: Feature | undefined): bigint {
  assert.ok(f !== undefined && f.kind === 'int64');
  return f.values[0] as bigint;
}

async function readAll(dir: string): Promise<{ name: string; examples: ReturnType<typeof decodeExample>[] }[]> {
  const names = (await readdir(dir)).filter((n) => n.includes('.tfrecord')).sort();
  const out = [];
  for (const name of names) {
    const examples = [];
    for await (const rec of readRecordFile(join(dir, name))) examples.push(decodeExample(rec.data));
    out.push({ name, examples });
  }
  return out;
}

async function hashDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  }
  return out;
}

test('--sha256 adds image/key/sha256, the hex SHA-256 of the stored bytes, on the read workers (--jobs 3) and the main thread (--jobs 1) alike', async () => {
  for (const jobs of [1, 3]) {
    const out = await tempDir();
    const summary = await convert({ input: SAMPLE, output: out, sha256: true, jobs });
    const examples = (await readAll(out))[0]?.examples ?? [];
    assert.equal(examples.length, summary.records);
    for (const e of examples) {
      const source = await readFile(join(SAMPLE, text(e.features['image/filename'])));
      assert.equal(text(e.features['image/key/sha256']), createHash('sha256').update(source).digest('hex'), `--jobs ${jobs}`);
    }
  }
});

test('pass-through convert stores every sample byte for byte with the Inception keys', async () => {
  const out = await tempDir();
  const summary = await convert({ input: SAMPLE, output: out });
  assert.equal(summary.found, summary.records + summary.skipped + summary.ignored);
  assert.equal(summary.skipped, 0);
  assert.deepEqual(summary.labels, ['animals', 'documents', 'graphics', 'people']);
  const shards = await readAll(out);
  assert.equal(shards.length, 1);
  assert.equal(shards[0]?.name, 'train-00000-of-00001.tfrecord');
  const examples = shards[0]?.examples ?? [];
  assert.equal(examples.length, summary.records);
  const names = examples.map((e) => text(e.features['image/filename']));
  assert.deepEqual(names, [...names].sort());
  for (const e of examples) {
    const f = e.features;
    const rel = text(f['image/filename']);
    const source = await readFile(join(SAMPLE, rel));
    const stored = f['image/encoded'];
    assert.ok(stored?.kind === 'bytes');
    assert.ok(Buffer.from(stored.values[0] as Uint8Array).equals(source), `${rel} stored unchanged`);
    // As build_image_data.py: no image/key/sha256 unless asked for (--sha256).
    assert.equal(f['image/key/sha256'], undefined);
    const cls = rel.split('/')[0] as string;
    assert.equal(text(f['image/class/text']), cls);
    assert.equal(int(f['image/class/label']), BigInt(summary.labels.indexOf(cls)));
    assert.ok(int(f['image/height']) > 0n && int(f['image/width']) > 0n);
  }
  const happy = examples.find((e) => text(e.features['image/filename']) === 'animals/HappyFish.jpg');
  assert.equal(text(happy?.features['image/format']), 'jpeg');
  assert.equal(int(happy?.features['image/width']), 259n);
  assert.equal(int(happy?.features['image/height']), 194n);
  assert.equal(int(happy?.features['image/channels']), 3n);
  const concert = examples.find((e) => text(e.features['image/filename']) === 'people/concert.jpg');
  assert.equal(int(concert?.features['image/channels']), 1n);
  assert.equal(text(concert?.features['image/colorspace']), 'Grayscale');
  assert.equal(await readFile(join(out, 'labels.txt'), 'utf8'), 'animals\ndocuments\ngraphics\npeople\n');
  const written = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
  assert.equal(written.records, summary.records);
  assert.deepEqual(written.shards, summary.shards);
});

test('output is byte-identical whatever --jobs is', async () => {
  const a = await tempDir();
  const b = await tempDir();
  await convert({ input: SAMPLE, output: a, jobs: 1, shards: 3 });
  await convert({ input: SAMPLE, output: b, jobs: 16, shards: 3 });
  const [ha, hb] = [await hashDir(a), await hashDir(b)];
  // dataset.json names its own output folder; everything else must match byte for byte.
  delete ha['dataset.json'];
  delete hb['dataset.json'];
  assert.deepEqual(ha, hb);
  const [ja, jb] = [JSON.parse(await readFile(join(a, 'dataset.json'), 'utf8')), JSON.parse(await readFile(join(b, 'dataset.json'), 'utf8'))];
  assert.deepEqual({ ...ja, output: '' }, { ...jb, output: '' });
  assert.deepEqual((await readdir(a)).filter((n) => n.endsWith('.tfrecord')),
    ['train-00000-of-00003.tfrecord', 'train-00001-of-00003.tfrecord', 'train-00002-of-00003.tfrecord']);
});

test('sharding by records and by size, with gzip and zlib suffixes', async () => {
  const a = await tempDir();
  const s1 = await convert({ input: SAMPLE, output: a, recordsPerShard: 3, compression: 'gzip', prefix: 'val' });
  assert.equal(s1.shards.length, Math.ceil(s1.records / 3));
  assert.ok(s1.shards.slice(0, -1).every((s) => s.records === 3));
  assert.ok(s1.shards.every((s) => /^val-\d{5}-of-\d{5}\.tfrecord\.gz$/.test(s.file)));
  const back = await readAll(a);
  assert.equal(back.reduce((n, s) => n + s.examples.length, 0), s1.records);
  const b = await tempDir();
  const s2 = await convert({ input: SAMPLE, output: b, shardSize: '40KB', compression: 'zlib' });
  assert.ok(s2.shards.length > 1);
  assert.ok(s2.shards.every((s) => s.file.endsWith('.tfrecord.zz')));
  assert.equal(s2.shards.reduce((n, s) => n + s.records, 0), s2.records);
});

test('shard sizes parse as powers of 1024; the default is one shard per ~256 MB; --shards N always makes N files', async () => {
  assert.equal(parseByteSize('256MB'), 256 * 1024 * 1024);
  assert.equal(parseByteSize('1GB'), 1024 ** 3);
  assert.equal(parseByteSize('1.5kb'), 1536);
  assert.equal(parseByteSize('1048576'), 1048576);
  assert.throws(() => parseByteSize('-1MB'), InvalidOptionError);
  assert.throws(() => parseByteSize('0'), InvalidOptionError);
  assert.equal(DEFAULT_SHARD_BYTES, 256 * 1024 * 1024);
  assert.deepEqual(resolveConvertOptions({ input: SAMPLE, output: 'x' }).sharding, { kind: 'size', bytes: DEFAULT_SHARD_BYTES });
  assert.throws(() => resolveConvertOptions({ input: SAMPLE, output: '-', shards: 2 }), (e: unknown) => e instanceof InvalidOptionError && /unsharded stream/.test(e.message));
  const out = await tempDir();
  const summary = await convert({ input: SAMPLE, output: out, shards: 9, prefix: 'validation' });
  const names = (await readdir(out)).filter((n) => n.includes('.tfrecord')).sort();
  assert.deepEqual(names, Array.from({ length: 9 }, (_, i) => `validation-0000${i}-of-00009.tfrecord`));
  assert.equal(summary.shards.reduce((n, s) => n + s.records, 0), 7);
  assert.ok(summary.shards.some((s) => s.records === 0 && s.bytes === 0), 'an empty planned shard is still written, so -of-N never lies');
});

test('bad inputs are reported and counted; the run goes on; --strict stops and leaves nothing', async () => {
  const input = await tempDir();
  await cp(SAMPLE, input, { recursive: true });
  await mkdir(join(input, 'broken'));
  for (const name of await readdir(BROKEN)) await cp(join(BROKEN, name), join(input, 'broken', name));
  await writeFile(join(input, 'notes.txt'), 'not an image');
  await writeFile(join(input, '.hidden.jpg'), 'dotfiles are skipped silently');
  const out = await tempDir();
  const summary = await convert({ input, output: out });
  const brokenCount = (await readdir(BROKEN)).length;
  assert.equal(summary.skipped, brokenCount);
  assert.deepEqual(summary.errors.map((e) => e.path).sort(), (await readdir(BROKEN)).map((n) => `broken/${n}`).sort());
  for (const e of summary.errors) assert.ok(e.reason.includes(e.path), `reason names the file: ${e.reason}`);
  assert.equal(summary.ignored, 1);
  assert.equal(summary.found, summary.records + summary.skipped + summary.ignored);

  // An existing (empty) output folder: it must be there, still empty, after the run, so an
  // unreadable or never-made folder cannot pass for a clean one.
  const strictOut = join(await tempDir(), 'out');
  await mkdir(strictOut);
  await assert.rejects(convert({ input, output: strictOut, strict: true }), StrictModeError);
  assert.deepEqual(await readdir(strictOut), [], 'no shard, temp file or summary left behind');
});

test('existing output is never replaced without overwrite; overwrite removes stale shards', async () => {
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out, shards: 4 });
  await assert.rejects(convert({ input: SAMPLE, output: out }), OutputExistsError);
  await convert({ input: SAMPLE, output: out, shards: 2, overwrite: true });
  const shards = (await readdir(out)).filter((n) => n.includes('.tfrecord')).sort();
  assert.deepEqual(shards, ['train-00000-of-00002.tfrecord', 'train-00001-of-00002.tfrecord']);
});

test('an aborted run leaves no file under a final name and removes its temp files', async () => {
  const out = join(await tempDir(), 'out');
  const controller = new AbortController();
  let during: string[] = [];
  await assert.rejects(convert({ input: SAMPLE, output: out, jobs: 1 }, {
    signal: controller.signal,
    // Aborted once a shard is open (its temp file on disk), mid-run.
    onProgress: () => {
      if (controller.signal.aborted) return;
      const names = readdirSync(out);
      if (names.some((n) => n.includes('.tmp-'))) {
        during = names;
        controller.abort('SIGINT');
      }
    },
  }), InterruptedError);
  assert.ok(during.some((n) => n.includes('.tmp-')), `the run had a shard open when aborted: ${during.join(', ')}`);
  // The folder the run made is removed with everything in it.
  await assert.rejects(readdir(out), /ENOENT/);
});

test('no class folders: records carry no label features and no labels.txt is written', async () => {
  const input = await tempDir();
  await cp(join(SAMPLE, 'animals', 'HappyFish.jpg'), join(input, 'fish.jpg'));
  const out = await tempDir();
  const summary = await convert({ input, output: out });
  assert.equal(summary.records, 1);
  assert.deepEqual(summary.labels, []);
  const [shard] = await readAll(out);
  const f = shard?.examples[0]?.features ?? {};
  assert.equal(f['image/class/label'], undefined);
  assert.equal(text(f['image/filename']), 'fish.jpg');
  assert.deepEqual((await readdir(out)).includes('labels.txt'), false);
});

test('the format comes from the bytes, never the extension: a PNG named .jpg is png, an extension-less JPEG is converted', async () => {
  const input = await tempDir();
  await mkdir(join(input, 'c'));
  await cp(join(SAMPLE, 'graphics', 'd.png'), join(input, 'c', 'really-a-png.jpg'));
  await cp(join(SAMPLE, 'animals', 'HappyFish.jpg'), join(input, 'c', 'no-extension'));
  await writeFile(join(input, 'c', 'readme'), 'plain text without an extension');
  const out = await tempDir();
  const summary = await convert({ input, output: out });
  assert.deepEqual([summary.records, summary.skipped, summary.ignored], [2, 0, 1]);
  assert.deepEqual(summary.ignoredFiles.map((f) => f.path), ['c/readme']);
  const [shard] = await readAll(out);
  const formats = Object.fromEntries((shard?.examples ?? []).map((e) => [text(e.features['image/filename']), text(e.features['image/format'])]));
  assert.deepEqual(formats, { 'c/no-extension': 'jpeg', 'c/really-a-png.jpg': 'png' });
});

test('label offset, fixed labels, include/exclude and symlinks', async () => {
  const out = await tempDir();
  const labels = join(await tempDir(), 'labels.txt');
  await writeFile(labels, 'people\nanimals\ngraphics\ndocuments\nextra\n');
  const s = await convert({ input: SAMPLE, output: out, labels, labelOffset: 1, include: ['animals/**', 'people/**'], exclude: ['**/*.bmp'] });
  assert.deepEqual(s.labels, ['people', 'animals', 'graphics', 'documents', 'extra']);
  const [shard] = await readAll(out);
  for (const e of shard?.examples ?? []) {
    const cls = text(e.features['image/class/text']);
    assert.equal(int(e.features['image/class/label']), BigInt(s.labels.indexOf(cls) + 1));
    assert.ok(!text(e.features['image/filename']).endsWith('.bmp'));
  }
  const input = await tempDir();
  await mkdir(join(input, 'a'));
  await cp(join(SAMPLE, 'animals', 'HappyFish.jpg'), join(input, 'a', 'fish.jpg'));
  await symlink(join(input, 'a', 'fish.jpg'), join(input, 'a', 'link.jpg'));
  const s2 = await convert({ input, output: await tempDir() });
  assert.equal(s2.records, 1);
  assert.deepEqual(s2.ignoredFiles.map((f) => f.path), ['a/link.jpg']);
  // Followed, the link is a second path to one real file (same dev+ino): converted once, listed once.
  const s3 = await convert({ input, output: await tempDir(), followSymlinks: true });
  assert.equal(s3.records, 1);
  assert.deepEqual(s3.ignoredFiles.map((f) => f.path), ['a/link.jpg']);
});

test('options are checked where they are given, with sharp-style messages', async () => {
  await assert.rejects(convert({ input: SAMPLE, output: 'x', shards: 0 }), (e: unknown) =>
    e instanceof InvalidOptionError && e.message === 'Expected integer between 1 and 100000 for shards but received 0 of type number');
  await assert.rejects(convert({ input: SAMPLE, output: 'x', shardSize: '12 parsecs' }), InvalidOptionError);
  await assert.rejects(convert({ input: SAMPLE, output: 'x', shards: 2, recordsPerShard: 3 }), InvalidOptionError);
});
