import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCliSync } from '../helpers/cli.js';
import { convert } from '../../src/convert/convert.js';
import { inspectFiles } from '../../src/read/inspect.js';
import { readExamples } from '../../src/read/examples.js';
import { expandRecordFiles } from '../../src/sinks/record-files.js';
import type { Feature } from '../../src/example/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'fixtures/sample');
const GOLDEN = join(ROOT, 'fixtures/golden');

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'datasets-'));
}

/** A class tree of many small files (copies of the sample images under new names). */
async function bigTree(perClass: Record<string, number>): Promise<string> {
  const dir = await tempDir();
  const sources = ['animals/HappyFish.jpg', 'graphics/swiss.png', 'graphics/d.png', 'people/concert.jpg'];
  for (const [cls, n] of Object.entries(perClass)) {
    await mkdir(join(dir, cls));
    for (let i = 0; i < n; i++) {
      const src = sources[i % sources.length] as string;
      await copyFile(join(SAMPLE, src), join(dir, cls, `${String(i).padStart(3, '0')}${src.slice(src.lastIndexOf('.'))}`));
    }
  }
  return dir;
}

async function keysAndTypes(file: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of readExamples(file)) for (const [k, f] of Object.entries(e.features)) out[k] = f.kind;
  return out;
}

function bytesText(f: Feature | undefined): string[] {
  assert.ok(f?.kind === 'bytes');
  return f.values.map((v) => Buffer.from(v).toString());
}

test('--split writes one shard set per split, every class in every split; --shuffle is reproducible across jobs', async () => {
  const input = await bigTree({ cats: 30, dogs: 20, fish: 10 });
  const a = await tempDir();
  const s = await convert({ input, output: a, split: 'train=0.8,validation=0.1,test=0.1', shuffle: true, seed: 3, shards: 2, jobs: 1 });
  assert.deepEqual(Object.keys(s.splits), ['train', 'validation', 'test']);
  assert.equal(s.records, 60);
  const names = (await readdir(a)).filter((n) => n.includes('.tfrecord')).sort();
  assert.deepEqual(names, [
    'test-00000-of-00002.tfrecord', 'test-00001-of-00002.tfrecord', 'train-00000-of-00002.tfrecord',
    'train-00001-of-00002.tfrecord', 'validation-00000-of-00002.tfrecord', 'validation-00001-of-00002.tfrecord']);
  for (const split of ['train', 'validation', 'test']) {
    const classes = new Set<string>();
    for (const file of names.filter((n) => n.startsWith(`${split}-`))) {
      for await (const e of readExamples(join(a, file))) classes.add(bytesText(e.features['image/class/text'])[0] as string);
    }
    assert.deepEqual([...classes].sort(), ['cats', 'dogs', 'fish'], `${split} has every class`);
  }
  assert.equal(s.splits.train?.records, s.splits.train?.shards.reduce((n, x) => n + x.records, 0));
  assert.deepEqual(Object.fromEntries(Object.entries(s.classes).map(([k, c]) => [k, c.records])), { cats: 30, dogs: 20, fish: 10 });
  // Per-class bytes are the frames of the class's records: over all classes, the bytes of all shards.
  const classBytes = Object.values(s.classes).reduce((n, c) => n + c.bytes, 0);
  assert.equal(classBytes, s.shards.reduce((n, x) => n + x.bytes, 0));
  for (const [split, summary] of Object.entries(s.splits)) {
    assert.equal(Object.values(summary.classes).reduce((n, c) => n + c.records, 0), summary.records, `${split} per-class records`);
    assert.equal(Object.values(summary.classes).reduce((n, c) => n + c.bytes, 0), summary.bytes, `${split} per-class bytes`);
    assert.deepEqual(Object.keys(summary.classes), ['cats', 'dogs', 'fish']);
  }
  assert.equal(s.seed, 3);
  const b = await tempDir();
  await convert({ input, output: b, split: 'train=0.8,validation=0.1,test=0.1', shuffle: true, seed: 3, shards: 2, jobs: 8 });
  for (const n of names) assert.ok((await readFile(join(a, n))).equals(await readFile(join(b, n))), n);
  // Shuffled: records are not in path order.
  const order: string[] = [];
  for await (const e of readExamples(join(a, 'train-00000-of-00002.tfrecord'))) order.push(bytesText(e.features['image/filename'])[0] as string);
  assert.notDeepEqual(order, [...order].sort());
});

test('a pre-split tree root/<split>/<class>/* gets a shard set per split and one shared label map', async () => {
  const input = await tempDir();
  for (const [split, classes] of [['train', ['a', 'b']], ['val', ['a', 'c']]] as const) {
    for (const cls of classes) {
      await mkdir(join(input, split, cls), { recursive: true });
      await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(input, split, cls, 'x.jpg'));
    }
  }
  const out = await tempDir();
  const s = await convert({ input, output: out });
  assert.equal(s.source, 'pre-split folder');
  assert.deepEqual(s.labels, ['a', 'b', 'c']);
  assert.deepEqual(Object.keys(s.splits).sort(), ['train', 'validation']);
  const [val] = (await readdir(out)).filter((n) => n.startsWith('validation-'));
  for await (const e of readExamples(join(out, val as string))) {
    const cls = bytesText(e.features['image/class/text'])[0];
    assert.ok(cls === 'a' || cls === 'c');
    assert.deepEqual(e.features['image/class/label'], { kind: 'int64', values: [BigInt(s.labels.indexOf(cls as string))] });
  }
});

test('a manifest with labels, extra columns, a mask column and bad rows; rows are counted like bad images', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'img'));
  await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(dir, 'img/a.jpg'));
  await copyFile(join(SAMPLE, 'people/concert.jpg'), join(dir, 'img/b.jpg'));
  await copyFile(join(SAMPLE, 'graphics/d.png'), join(dir, 'img/a_mask.png'));
  await writeFile(join(dir, 'img/c.jpg'), 'not an image');
  await writeFile(join(dir, 'data.csv'), 'path,label,weight,tags,mask\nimg/a.jpg,cat,0.5,1;2,img/a_mask.png\nimg/b.jpg,dog,1,3,\nimg/missing.jpg,cat,1,1,\nimg/c.jpg,cat,1,1,\n');
  const out = await tempDir();
  const s = await convert({ manifest: join(dir, 'data.csv'), output: out, imageColumns: ['mask'], labelMap: 'pbtxt', labelOffset: 1 });
  assert.equal(s.source, 'manifest (csv)');
  assert.equal(s.found, 4);
  assert.equal(s.records, 2);
  assert.deepEqual(s.errors.map((e) => e.problem).sort(), ['missing-file', 'not-an-image']);
  assert.equal(s.found, s.records + s.skipped + s.ignored);
  assert.deepEqual(s.labels, ['cat', 'dog']);
  assert.equal(await readFile(join(out, 'label_map.pbtxt'), 'utf8'), "item {\n  id: 1\n  name: 'cat'\n}\nitem {\n  id: 2\n  name: 'dog'\n}\n");
  const examples = [];
  for await (const e of readExamples(join(out, 'train-00000-of-00001.tfrecord'))) examples.push(e.features);
  assert.deepEqual(examples[0]?.['image/class/label'], { kind: 'int64', values: [1n] });
  assert.deepEqual(examples[0]?.weight, { kind: 'float', values: [0.5] });
  assert.deepEqual(examples[0]?.tags, { kind: 'int64', values: [1n, 2n] });
  const mask = examples[0]?.mask;
  assert.ok(mask?.kind === 'bytes');
  assert.ok(Buffer.from(mask.values[0] as Uint8Array).equals(await readFile(join(dir, 'img/a_mask.png'))));
  assert.equal(examples[1]?.mask, undefined);
  assert.deepEqual(bytesText(examples[1]?.['image/filename']), ['img/b.jpg']);
  assert.deepEqual(s.schema.keys.find((k) => k.key === 'weight'), { key: 'weight', type: 'float' });

  // An unknown label under --labels is a counted row problem, not a crash.
  await writeFile(join(dir, 'labels.txt'), 'cat\n');
  const s2 = await convert({ manifest: join(dir, 'data.csv'), output: await tempDir(), labels: join(dir, 'labels.txt') });
  assert.ok(s2.errors.some((e) => e.problem === 'unknown-label' && e.path === 'img/b.jpg'));
});

test('multi-label and float labels from JSON Lines', async () => {
  const dir = await tempDir();
  await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(dir, 'a.jpg'));
  await writeFile(join(dir, 'm.jsonl'), '{"path": "a.jpg", "label": ["cat", "fish"]}\n');
  const out = await tempDir();
  await convert({ manifest: join(dir, 'm.jsonl'), output: out });
  const [e] = await (async () => { const r = []; for await (const x of readExamples(join(out, 'train-00000-of-00001.tfrecord'))) r.push(x.features); return r; })();
  assert.deepEqual(e?.['image/class/label'], { kind: 'int64', values: [0n, 1n] });
  assert.deepEqual(bytesText(e?.['image/class/text']), ['cat', 'fish']);
  await writeFile(join(dir, 'r.jsonl'), '{"path": "a.jpg", "label": 0.25}\n');
  const out2 = await tempDir();
  await convert({ manifest: join(dir, 'r.jsonl'), output: out2 });
  for await (const x of readExamples(join(out2, 'train-00000-of-00001.tfrecord'))) assert.deepEqual(x.features['image/class/label'], { kind: 'float', values: [0.25] });
});

test('schemas write the keys of the golden layouts (build_image_data, TFDS cifar10) and MNIST\'s converter', async () => {
  const out = await tempDir();
  await convert({ input: SAMPLE, output: out, encode: 'jpeg' });
  const ours = await keysAndTypes(join(out, 'train-00000-of-00001.tfrecord'));
  const golden = await keysAndTypes(join(GOLDEN, 'build_image_data_validation-00000-of-00001'));
  for (const [k, type] of Object.entries(golden)) assert.equal(ours[k], type, `inception key ${k}`);
  assert.equal((await inspectFiles([join(out, 'train-00000-of-00001.tfrecord')])).schema, 'inception');

  const tfds = await tempDir();
  await convert({ input: SAMPLE, output: tfds, schema: 'tfds', encode: 'png' });
  const tfdsKeys = await keysAndTypes(join(tfds, 'train-00000-of-00001.tfrecord'));
  const cifar = await keysAndTypes(join(GOLDEN, 'tfds_cifar10_train_128.tfrecord'));
  assert.deepEqual(Object.keys(tfdsKeys).sort(), ['image', 'image/filename', 'label']);
  assert.equal(tfdsKeys.image, cifar.image);
  assert.equal(tfdsKeys.label, cifar.label);
  assert.equal((await inspectFiles(await expandRecordFiles([tfds]))).schema, 'tfds');

  const mnist = await tempDir();
  const s = await convert({ input: SAMPLE, output: mnist, schema: 'mnist', channels: 1, resize: { width: 28, height: 28 } });
  assert.deepEqual(s.schema.keys, [
    { key: 'depth', type: 'int64' }, { key: 'height', type: 'int64' }, { key: 'image_raw', type: 'bytes' },
    { key: 'label', type: 'int64' }, { key: 'width', type: 'int64' }]);
  for await (const e of readExamples(join(mnist, 'train-00000-of-00001.tfrecord'))) {
    const raw = e.features.image_raw;
    assert.ok(raw?.kind === 'bytes');
    assert.equal(raw.values[0]?.length, 28 * 28);
  }
  assert.equal((await inspectFiles([join(mnist, 'train-00000-of-00001.tfrecord')])).schema, 'mnist');

  const renamed = await tempDir();
  const r = await convert({ input: SAMPLE, output: renamed, keys: ['image/encoded=jpeg'], dropKeys: ['image/key/sha256'] });
  assert.ok(r.schema.keys.some((k) => k.key === 'jpeg'));
  assert.ok(!r.schema.keys.some((k) => k.key === 'image/key/sha256' || k.key === 'image/encoded'));
});

test('convert - reads a list of paths from stdin', async () => {
  const out = await tempDir();
  const list = ['fixtures/sample/animals/HappyFish.jpg', 'fixtures/sample/people/concert.jpg', 'fixtures/sample/nope.jpg'].join('\n');
  const r = spawnCliSync(['convert', '-', '-o', out, '--json'], { input: list });
  assert.equal(r.code, 3, r.stderr);
  const summary = JSON.parse(r.stdout.toString());
  assert.equal(summary.records, 2);
  assert.equal(summary.errors[0].problem, 'missing-file');
  assert.equal(summary.source, 'list');
});

async function readAll(file: string): Promise<Record<string, Feature>[]> {
  const out = [];
  for await (const e of readExamples(file)) out.push(e.features);
  return out;
}

/** image/filename -> split, read back from every shard in `dir`. */
async function splitOfEachFile(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.tfrecord'))) {
    const split = name.slice(0, name.indexOf('-'));
    for (const f of await readAll(join(dir, name))) out.set(bytesText(f['image/filename'])[0] as string, split);
  }
  return out;
}

test('TSV manifests, Caffe lists and --manifest-format convert end to end', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'img dir'));
  await copyFile(join(SAMPLE, 'graphics/d.png'), join(dir, 'img dir/a 1.png'));
  await copyFile(join(SAMPLE, 'graphics/ibasn0g04.png'), join(dir, 'img dir/b.png'));
  await writeFile(join(dir, 'm.tsv'), 'path\tlabel\tscore\nimg dir/a 1.png\t2\t0.5;1.5\nimg dir/b.png\t0\t-1\n');
  const tsvOut = await tempDir();
  const tsv = await convert({ manifest: join(dir, 'm.tsv'), output: tsvOut });
  assert.equal(tsv.source, 'manifest (tsv)');
  const [a, b] = await readAll(join(tsvOut, 'train-00000-of-00001.tfrecord'));
  assert.deepEqual(a?.['image/class/label'], { kind: 'int64', values: [2n] });
  assert.deepEqual(a?.score, { kind: 'float', values: [0.5, 1.5] });
  assert.deepEqual(b?.score, { kind: 'float', values: [-1] });
  assert.deepEqual(bytesText(a?.['image/filename']), ['img dir/a 1.png']);

  // Caffe: "path label", the last space separating them; ids are labels as they are.
  await writeFile(join(dir, 'train.txt'), 'img dir/a 1.png 3\nimg dir/b.png 1\n');
  const caffeOut = await tempDir();
  const caffe = await convert({ manifest: join(dir, 'train.txt'), manifestFormat: 'caffe', output: caffeOut });
  assert.equal(caffe.source, 'manifest (caffe)');
  assert.deepEqual((await readAll(join(caffeOut, 'train-00000-of-00001.tfrecord'))).map((f) => f['image/class/label']), [
    { kind: 'int64', values: [3n] }, { kind: 'int64', values: [1n] }]);

  // A CSV named .txt is read as CSV when told so.
  await writeFile(join(dir, 'list.txt'), 'path,label\nimg dir/b.png,x\n');
  const csv = await convert({ manifest: join(dir, 'list.txt'), manifestFormat: 'csv', output: await tempDir() });
  assert.equal(csv.source, 'manifest (csv)');
  assert.deepEqual(csv.labels, ['x']);
});

test('manifest errors name the line, the file and the reason, and are counted like bad images', async () => {
  const dir = await tempDir();
  for (const n of ['a', 'b', 'c', 'd']) await copyFile(join(SAMPLE, 'graphics/d.png'), join(dir, `${n}.png`));
  await writeFile(join(dir, 'labels.txt'), 'cat\ndog\n');
  await writeFile(join(dir, 'm.csv'), 'path,label,n\na.png,cat,1\nmissing.png,cat,2\nb.png,bird,3\nc.png,dog,x\nd.png,dog\n');
  const s = await convert({ manifest: join(dir, 'm.csv'), output: await tempDir(), labels: join(dir, 'labels.txt'), columns: { n: 'int64' } });
  const m = join(dir, 'm.csv');
  assert.deepEqual(s.errors.map((e) => [e.problem, e.reason]).sort(), [
    ['malformed', `${m}:5: c.png: column "n": "x" is not an integer`],
    ['malformed', `${m}:6: 2 cells where the header has 3`],
    ['missing-file', `${m}:3: missing.png: file not found`],
    ['unknown-label', `${m}:4: b.png: label "bird" is not in the label list ${join(dir, 'labels.txt')}`],
  ]);
  assert.equal(s.records, 1);
  assert.equal(s.skipped, 4);
  assert.equal(s.found, 5);
  assert.equal(s.found, s.records + s.skipped + s.ignored);

  // Integer labels (a Caffe list) under --labels: an id the list lacks is an unknown label too.
  await writeFile(join(dir, 'caffe.txt'), 'a.png 1\nb.png 2\n');
  const c = await convert({ manifest: join(dir, 'caffe.txt'), manifestFormat: 'caffe', output: await tempDir(), labels: join(dir, 'labels.txt') });
  assert.equal(c.records, 1);
  assert.deepEqual(c.errors.map((e) => [e.problem, e.reason]), [
    ['unknown-label', `${join(dir, 'caffe.txt')}:2: b.png: label 2 is not an id in the label list ${join(dir, 'labels.txt')}`]]);
});

test('--split stratifies manifest rows by label: every label in every split', async () => {
  const dir = await tempDir();
  const rows = ['path,label'];
  for (let i = 0; i < 36; i++) {
    await copyFile(join(SAMPLE, 'graphics/ibasn0g04.png'), join(dir, `${i}.png`));
    rows.push(`${i}.png,${['cat', 'dog', 'fish'][i % 3]}`);
  }
  await writeFile(join(dir, 'm.csv'), `${rows.join('\n')}\n`);
  const out = await tempDir();
  // Seed 2 leaves cat out of validation when the rows are not stratified by label.
  const s = await convert({ manifest: join(dir, 'm.csv'), output: out, split: 'train=0.6,validation=0.2,test=0.2', seed: 2 });
  for (const split of ['train', 'validation', 'test']) {
    assert.deepEqual(Object.keys(s.splits[split]?.classes ?? {}), ['cat', 'dog', 'fish'], `${split} has every label`);
    assert.ok(Object.values(s.splits[split]?.classes ?? {}).every((c) => c.records > 0));
  }
});

test('adding 10% more files keeps every earlier file in its split', async () => {
  const input = await bigTree({ a: 30, b: 30, c: 40 });
  const spec = { split: 'train=0.8,validation=0.1,test=0.1', seed: 4, shuffle: true } as const;
  const before = await tempDir();
  await convert({ input, output: before, ...spec });
  const first = await splitOfEachFile(before);
  assert.equal(first.size, 100);
  for (const [cls, n] of [['a', 3], ['b', 3], ['c', 4]] as const) {
    for (let i = 0; i < n; i++) await copyFile(join(SAMPLE, 'graphics/d.png'), join(input, cls, `new-${i}.png`));
  }
  const after = await tempDir();
  await convert({ input, output: after, ...spec });
  const second = await splitOfEachFile(after);
  assert.equal(second.size, 110);
  for (const [file, split] of first) assert.equal(second.get(file), split, file);
  assert.ok(new Set(first.values()).size === 3, 'all three splits used');
});

test('--schema mnist matches the TFX MNIST golden\'s label type and pixel count (keys as convert_to_records.py)', async () => {
  const golden = await keysAndTypes(join(GOLDEN, 'tfx_mnist_1000.tfrecord'));
  assert.deepEqual(golden, { image_class: 'int64', image_floats: 'float' });
  const [goldenFirst] = await readAll(join(GOLDEN, 'tfx_mnist_1000.tfrecord'));
  const out = await tempDir();
  const s = await convert({ input: SAMPLE, output: out, schema: 'mnist', channels: 1, resize: { width: 28, height: 28 }, keys: ['label=image_class'] });
  const ours = await keysAndTypes(join(out, 'train-00000-of-00001.tfrecord'));
  // Renamed to the golden's name, the label has the golden's type.
  assert.equal(ours.image_class, golden.image_class);
  assert.deepEqual(Object.keys(ours).sort(), ['depth', 'height', 'image_class', 'image_raw', 'width']);
  // Pixels: TFX stores 784 floats, convert_to_records.py (the mnist schema) 784 uint8 bytes.
  const [first] = await readAll(join(out, 'train-00000-of-00001.tfrecord'));
  assert.ok(goldenFirst?.image_floats?.kind === 'float' && first?.image_raw?.kind === 'bytes');
  assert.equal(first.image_raw.values[0]?.length, goldenFirst.image_floats.values.length);
  assert.deepEqual([first.height, first.width, first.depth], [
    { kind: 'int64', values: [28n] }, { kind: 'int64', values: [28n] }, { kind: 'int64', values: [1n] }]);
  assert.deepEqual(s.schema.keys.find((k) => k.key === 'image_class'), { key: 'image_class', type: 'int64' });
  // image_raw holds pixels: mnist implies --encode raw and refuses another encoding.
  await assert.rejects(convert({ input: SAMPLE, output: await tempDir(), schema: 'mnist', encode: 'png' }), /Expected encode raw for schema mnist/);
});

test('label maps: pbtxt refuses id 0 for a class; labels from id:name or pbtxt keep their ids and offset', async () => {
  const input = await bigTree({ cat: 1, dog: 1 });
  await assert.rejects(convert({ input, output: await tempDir(), labelMap: 'pbtxt' }), /reserves id 0 for "background".*--label-offset 1/);
  const dir = await tempDir();
  await writeFile(join(dir, 'ids.txt'), '1:cat\n2:dog\n');
  const out = await tempDir();
  const s = await convert({ input, output: out, labels: join(dir, 'ids.txt'), labelMap: 'pbtxt' });
  assert.deepEqual(s.labelIds, [1, 2]);
  assert.equal(s.labelOffset, 1);
  assert.equal(await readFile(join(out, 'labels.txt'), 'utf8'), '1:cat\n2:dog\n', 'ids not from 0: written with the names');
  assert.equal(await readFile(join(out, 'label_map.pbtxt'), 'utf8'), "item {\n  id: 1\n  name: 'cat'\n}\nitem {\n  id: 2\n  name: 'dog'\n}\n");
  // The written pbtxt read back as --labels gives the same ids.
  const again = await convert({ input, output: await tempDir(), labels: join(out, 'label_map.pbtxt') });
  assert.deepEqual([again.labels, again.labelIds], [['cat', 'dog'], [1, 2]]);
  const summary = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
  assert.equal(summary.seed, 0);
  assert.deepEqual(summary.classes, s.classes);
});

test('the README recipe: train with --label-offset 1, then validation with --labels out/labels.txt: both splits have the same ids', async () => {
  const train = await bigTree({ animals: 2, people: 2 });
  const val = await bigTree({ animals: 1, people: 1 });
  const out = await tempDir();
  const out2 = await tempDir();
  const t = await convert({ input: train, output: out, labelOffset: 1 });
  const v = await convert({ input: val, output: out2, prefix: 'validation', labels: join(out, 'labels.txt') });
  assert.deepEqual([v.labels, v.labelIds], [t.labels, t.labelIds]);
  assert.deepEqual(t.labelIds, [1, 2]);
  const idsOf = async (dir: string): Promise<Map<string, bigint>> => {
    const ids = new Map<string, bigint>();
    for (const file of await expandRecordFiles([dir])) {
      for await (const e of readExamples(file)) {
        const label = e.features['image/class/label'];
        assert.ok(label?.kind === 'int64');
        ids.set(bytesText(e.features['image/class/text'])[0] as string, label.values[0] as bigint);
      }
    }
    return ids;
  };
  assert.deepEqual(await idsOf(out2), await idsOf(out));
  assert.deepEqual([...(await idsOf(out2))].sort(), [['animals', 1n], ['people', 2n]]);
});

test('integer-label manifests (TSV, Caffe lists) report the ids seen and write labels.txt with them', async () => {
  const dir = await tempDir();
  for (const name of ['a.png', 'b.png', 'c.png']) await copyFile(join(SAMPLE, 'graphics/ibasn0g04.png'), join(dir, name));
  await writeFile(join(dir, 'list.txt'), 'a.png 3\nb.png 1\nc.png 3\n');
  await writeFile(join(dir, 'data.tsv'), 'path\tlabel\na.png\t3\nb.png\t1\n');
  for (const [manifest, format] of [['list.txt', 'caffe'], ['data.tsv', 'tsv']] as const) {
    const out = await tempDir();
    const s = await convert({ manifest: join(dir, manifest), manifestFormat: format, output: out });
    assert.deepEqual([s.labels, s.labelIds], [['1', '3'], [1, 3]], manifest);
    assert.equal(await readFile(join(out, 'labels.txt'), 'utf8'), '1:1\n3:3\n', manifest);
    assert.deepEqual(JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8')).labels, ['1', '3']);
    // The records are as the manifest gave them: the id, no invented class text.
    for (const file of await expandRecordFiles([out])) {
      for await (const e of readExamples(file)) assert.equal(e.features['image/class/text'], undefined);
    }
  }
  // --labels names the ids: labels.txt then carries those names.
  await writeFile(join(dir, 'names.txt'), '1:cat\n3:dog\n');
  const out = await tempDir();
  const named = await convert({ manifest: join(dir, 'list.txt'), manifestFormat: 'caffe', output: out, labels: join(dir, 'names.txt') });
  assert.deepEqual([named.labels, named.labelIds], [['cat', 'dog'], [1, 3]]);
  assert.equal(await readFile(join(out, 'labels.txt'), 'utf8'), '1:cat\n3:dog\n');
});

test('--split on a pre-split tree is refused unless resplit is given, which pools the folders and splits again', async () => {
  const input = await tempDir();
  for (const split of ['train', 'val']) {
    for (const cls of ['a', 'b']) {
      await mkdir(join(input, split, cls), { recursive: true });
      for (let i = 0; i < 5; i++) await copyFile(join(SAMPLE, 'graphics/ibasn0g04.png'), join(input, split, cls, `${i}.png`));
    }
  }
  await assert.rejects(convert({ input, output: await tempDir(), split: 'train=0.5,test=0.5' }), (e: unknown) =>
    e instanceof Error && (e as { code?: string }).code === 'ERR_INVALID_OPTION' && /pre-split \(train\/, val\/\).*resplit/.test(e.message));
  await assert.rejects(convert({ input, output: await tempDir(), resplit: true }), /resplit .*needs split/);
  const s = await convert({ input, output: await tempDir(), split: 'train=0.5,test=0.5', resplit: true });
  assert.deepEqual(Object.keys(s.splits), ['train', 'test']);
  assert.equal(s.records, 20);
  assert.deepEqual(s.labels, ['a', 'b'], 'classes still from the folders below the split folders');
  for (const split of Object.values(s.splits)) assert.deepEqual(Object.keys(split.classes), ['a', 'b']);
});
