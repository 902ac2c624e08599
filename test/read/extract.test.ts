import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesFeature, encodeExample, floatFeature, int64Feature, type Features } from '../../src/example/index.js';
import { extractImages } from '../../src/read/extract.js';
import { readExamples } from '../../src/read/examples.js';
import { shortenName } from '../../src/read/extract-folder.js';
import { frameRecordToBuffer } from '../../src/record/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MNIST = join(ROOT, 'fixtures/golden/tfx_mnist_1000.tfrecord');
const JPEG = await readFile(join(ROOT, 'fixtures/sample/animals/HappyFish.jpg'));

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'img2tfrecord-extract-'));
}

/** A record file of `records` in a fresh folder. */
async function recordFile(records: readonly Features[]): Promise<string> {
  const file = join(await tempDir(), 'in.tfrecord');
  await writeFile(file, Buffer.concat(records.map((f) => frameRecordToBuffer(encodeExample(f)))));
  return file;
}

function named(name: string, bytes: Uint8Array = JPEG): Features {
  return { 'image/encoded': bytesFeature(bytes), 'image/filename': bytesFeature(name) };
}

/** Every path under `dir`, relative, sorted (links listed, never followed). */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    out.push(entry.name);
    if (entry.isDirectory()) out.push(...(await tree(join(dir, entry.name))).map((p) => `${entry.name}/${p}`));
  }
  return out.sort();
}

/** The header dict and the data of a .npy file. */
function readNpy(npy: Buffer): { header: string; data: Buffer } {
  const length = npy.readUInt16LE(8);
  return { header: npy.subarray(10, 10 + length).toString('latin1'), data: npy.subarray(10 + length) };
}

test('extract never follows a symlinked folder inside the output, with or without --overwrite', async () => {
  for (const overwrite of [false, true]) {
    const jail = await tempDir();
    await mkdir(join(jail, 'out'));
    await mkdir(join(jail, 'outside'));
    await writeFile(join(jail, 'outside/victim.jpg'), 'keep');
    await symlink('../outside', join(jail, 'out/link'));
    await symlink('../outside/victim.jpg', join(jail, 'out/victim.jpg'));
    const file = await recordFile([named('link/x.jpg'), named('link/sub/y.jpg'), named('victim.jpg'), named('link/z.jpg')]);
    const warnings: string[] = [];
    const report = await extractImages([file], join(jail, 'out'), { overwrite, onWarning: (m) => warnings.push(m) });
    assert.equal(report.written, 4);
    assert.deepEqual(await tree(join(jail, 'outside')), ['victim.jpg'], `nothing escaped (overwrite ${overwrite})`);
    assert.equal(await readFile(join(jail, 'outside/victim.jpg'), 'utf8'), 'keep');
    assert.equal(await readlink(join(jail, 'out/link')), '../outside', 'the link itself is left alone');
    const files = (await tree(join(jail, 'out'))).filter((p) => !p.endsWith('link') && p !== 'link-1/sub');
    assert.deepEqual(files, ['link-1', 'link-1/sub/y.jpg', 'link-1/x.jpg', 'link-1/z.jpg', overwrite ? 'victim.jpg' : 'victim-1.jpg', ...(overwrite ? [] : ['victim.jpg'])].sort());
    assert.ok((await readFile(join(jail, 'out/link-1/x.jpg'))).equals(JPEG));
    if (overwrite) assert.ok((await lstat(join(jail, 'out/victim.jpg'))).isFile(), '--overwrite replaces the link, not what it points to');
    assert.ok(warnings.some((m) => /record 0: folder "link" is a symbolic link in the output folder, written as "link-1"/.test(m)), warnings.join('\n'));
    assert.equal(warnings.filter((m) => m.includes('symbolic link')).length, 1, 'later records reuse link-1 without a new rename');
  }
});

test('extract -o ./x, x//y, x/. and /a/../b all write inside the named folder', async () => {
  const file = await recordFile([named('cat/a.jpg'), named('../b.jpg')]);
  const cwd = process.cwd();
  const base = await tempDir();
  try {
    process.chdir(base);
    const abs = join(base, 'q/../b');
    for (const [output, folder] of [['./x', 'x'], ['x//y', 'x/y'], ['x/.', 'x'], [`${base}/q/../b`, 'b'], [abs, 'b']] as const) {
      const report = await extractImages([file], output);
      assert.equal(report.written, 2, output);
      assert.deepEqual(report.skipped, [], output);
      assert.ok((await readFile(join(base, folder, 'cat/a.jpg'))).equals(JPEG), output);
    }
  } finally {
    process.chdir(cwd);
  }
  assert.deepEqual((await readdir(base)).sort(), ['b', 'x'], 'no q folder, nothing beside');
  assert.deepEqual(await tree(join(base, 'x/y')), ['b.jpg', 'cat', 'cat/a.jpg']);
  assert.equal(relative(base, join(base, 'b')), 'b');
});

test('extract shortens names over 255 bytes keeping the extension and a hash, and reports each', async () => {
  const longA = `${'a'.repeat(300)}.jpg`;
  const longB = `${'a'.repeat(300)}b.jpg`;
  const longDir = 'd'.repeat(256);
  const file = await recordFile([named(longA), named(longB), named(`${longDir}/${'é'.repeat(200)}.JPEG`), named(longA)]);
  const out = join(await tempDir(), 'out');
  const warnings: string[] = [];
  const report = await extractImages([file], out, { onWarning: (m) => warnings.push(m) });
  assert.equal(report.written, 4);
  const names = await tree(out);
  assert.equal(names.length, 5);
  for (const p of names) for (const part of p.split('/')) assert.ok(Buffer.byteLength(part) <= 255, part);
  const top = (await readdir(out)).filter((n) => n.endsWith('.jpg')).sort();
  assert.equal(top.length, 3, 'two different long names stay apart, a repeat gets a suffix');
  assert.ok(top.every((n) => /^a+~[0-9a-f]{8}(-1)?\.jpg$/.test(n)), top.join(' '));
  assert.equal(new Set(top.map((n) => n.replace('-1.jpg', '.jpg'))).size, 2);
  assert.ok(names.some((p) => /^d+~[0-9a-f]{8}\/é+~[0-9a-f]{8}\.JPEG$/.test(p)), 'folder shortened too; the extension kept as recorded');
  assert.equal(shortenName(longA), shortenName(longA), 'deterministic');
  assert.equal(shortenName('short.jpg'), 'short.jpg');
  assert.ok(warnings.some((m) => m.includes('record 0: name over 255 bytes')));
  assert.ok(warnings.some((m) => m.includes('record 2: folder name over 255 bytes')));
  assert.ok(warnings.some((m) => m.includes('record 3:') && m.includes('already taken')));
});

test('a name used as a file and as a folder is renamed and reported, in either order, never aborting', async () => {
  const file = await recordFile([named('a.jpg'), named('a.jpg/b.jpg'), named('c.jpg/d.jpg'), named('c.jpg'), named('a.jpg/e.jpg')]);
  const out = join(await tempDir(), 'out');
  const warnings: string[] = [];
  const report = await extractImages([file], out, { onWarning: (m) => warnings.push(m) });
  assert.equal(report.written, 5);
  assert.deepEqual(await tree(out), ['a.jpg', 'a.jpg-1', 'a.jpg-1/b.jpg', 'a.jpg-1/e.jpg', 'c-1.jpg', 'c.jpg', 'c.jpg/d.jpg']);
  assert.ok(warnings.some((m) => m.includes('record 1: folder "a.jpg" is a file in the output folder, written as "a.jpg-1"')));
  assert.ok(warnings.some((m) => m.includes('record 3: "c.jpg" already taken, written as "c-1.jpg"')));
  for (const overwrite of [false, true]) {
    const again = await extractImages([file], out, { overwrite });
    assert.equal(again.written, 5, `a second run (overwrite ${overwrite}) writes every record too`);
  }
  assert.ok(!(await tree(out)).some((p) => p.includes('.img2tfrecord-tmp-')), 'no temporary file left');
});

test('raw tensors with a hostile shape are reported before anything is allocated', async () => {
  const bomb = { 'image/raw': bytesFeature(new Uint8Array(100)), 'image/shape': int64Feature(20000, 20000, 3) };
  assert.ok(encodeExample(bomb).length < 160, 'the issue\'s 155-byte record');
  const file = await recordFile([
    bomb,
    { 'image/raw': bytesFeature(new Uint8Array(12)), 'image/height': int64Feature(2), 'image/width': int64Feature(2), 'image/channels': int64Feature(3) },
    { 'image/raw': bytesFeature(new Uint8Array(10000)), 'image/shape': int64Feature(100, 100, 1) },
    { 'image/raw': bytesFeature(new Uint8Array(8)), 'image/shape': int64Feature(-2, -4, 1) },
    { 'image/raw': bytesFeature(new Uint8Array(8)), 'image/shape': int64Feature(2 ** 40, 2 ** 40, 1) },
    { 'image/raw': bytesFeature(new Uint8Array(8)) },
  ]);
  for (const rawAs of ['png', 'npy'] as const) {
    const out = join(await tempDir(), 'out');
    const report = await extractImages([file], out, { rawAs, maxPixels: 5000 });
    assert.equal(report.written, 1, rawAs);
    assert.deepEqual(report.skipped.map((s) => [s.recordIndex, s.kind]), [[0, 'raw-size'], [2, 'too-many-pixels'], [3, 'raw-shape'], [4, 'raw-size'], [5, 'raw-shape']]);
    assert.match(report.skipped[0]?.reason ?? '', /image\/raw is 100 bytes, but shape \[20000, 20000, 3\] of uint8 needs 1200000000/);
    assert.match(report.skipped[1]?.reason ?? '', /100x100 = 10000 pixels exceeds --max-pixels 5000/);
    assert.deepEqual(await tree(out), ['unlabelled', `unlabelled/1.${rawAs}`]);
  }
  await assert.rejects(extractImages([file], await tempDir(), { maxPixels: 0 }), /Expected integer between 1 and \d+ for maxPixels but received 0/);
  await assert.rejects(extractImages([file], await tempDir(), { rawShape: [28, 0] }), /Expected array of 1 to 4 positive integers for rawShape/);
});

test('MNIST float lists extract as .npy with --raw-shape, and with the shape from height/width/depth features', async () => {
  const first = (await readExamples(MNIST).next()).value;
  const floats = first?.features.image_floats;
  assert.equal(floats?.kind, 'float');
  const out = await tempDir();
  const report = await extractImages([MNIST], out, { rawAs: 'npy', rawShape: [28, 28, 1] });
  assert.equal(report.written, 1000);
  assert.deepEqual(report.skipped, []);
  assert.deepEqual((await readdir(out)).sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'classes from image_class');
  const npy = readNpy(await readFile(join(out, '9/0.npy')));
  assert.match(npy.header, /'descr': '<f4', 'fortran_order': False, 'shape': \(28, 28, 1\)/);
  assert.equal(npy.data.length, 784 * 4);
  const values = floats?.kind === 'float' ? floats.values : [];
  for (let i = 0; i < 784; i++) assert.equal(npy.data.readFloatLE(i * 4), values[i], `value ${i}`);

  const shaped = await recordFile([{ image_floats: floatFeature(...values), height: int64Feature(28), width: int64Feature(28), depth: int64Feature(1), label: int64Feature(4) }]);
  const fromFeatures = await tempDir();
  assert.equal((await extractImages([shaped], fromFeatures, { rawAs: 'npy' })).written, 1);
  assert.ok((await readFile(join(fromFeatures, '4/0.npy'))).equals(await readFile(join(out, '9/0.npy'))), 'same file from the features as from --raw-shape');
  const png = await tempDir();
  assert.equal((await extractImages([shaped], png)).written, 1);
  const sharp = (await import('sharp')).default;
  const meta = await sharp(join(png, '4/0.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [28, 28]);
  const pixels = await sharp(join(png, '4/0.png')).extractChannel(0).raw().toBuffer();
  assert.equal(Math.min(...pixels), 0, 'negative floats map the record\'s range onto 0..255');
  assert.equal(Math.max(...pixels), 255);
});

test('MNIST without a shape: every record is reported as raw-shape and nothing is written', async () => {
  const out = await tempDir();
  const report = await extractImages([MNIST], out, { rawAs: 'npy' });
  assert.equal(report.written, 0);
  assert.equal(report.skipped.length, 1000);
  assert.ok(report.skipped.every((s) => s.kind === 'raw-shape' && s.reason.includes('--raw-shape')));
  assert.deepEqual(await readdir(out), []);
});
