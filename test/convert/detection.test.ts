/** Object detection through `convert`: the four commands against TensorFlow's raccoon record, letterboxing, EXIF, --annotated-only, problems, concurrency. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import type { Feature, Features } from '../../src/example/index.js';
import { readExamples } from '../../src/read/examples.js';
import { runCliTest, spawnCliSync } from '../helpers/cli.js';

const IMAGES = 'fixtures/golden/raccoon_test_images';
const RECORD = 'fixtures/golden/raccoon_test.record';
const RACCOON = 'fixtures/annotations/raccoon';
const BOX_KEYS = ['xmin', 'ymin', 'xmax', 'ymax'] as const;

const work = await mkdtemp(join(tmpdir(), 'img2tfrecord-od-'));
after(() => rm(work, { recursive: true, force: true }));

async function readByName(file: string): Promise<Map<string, Features>> {
  const byName = new Map<string, Features>();
  for await (const entry of readExamples(file)) byName.set(text(entry.features['image/filename'])[0] as string, entry.features);
  return byName;
}

function text(f: Feature | undefined): string[] {
  assert.ok(f !== undefined && f.kind === 'bytes');
  return f.values.map((v) => Buffer.from(v).toString());
}

function nums(f: Feature | undefined): number[] {
  assert.ok(f !== undefined && f.kind !== 'bytes');
  return f.values.map(Number);
}

async function convert(name: string, args: readonly string[]): Promise<{ out: string; stderr: string; records: Map<string, Features> }> {
  const out = join(work, name);
  const result = await runCliTest(['convert', IMAGES, '-o', out, ...args]);
  assert.equal(result.code, 0, result.stderr);
  return { out, stderr: result.stderr, records: await readByName(join(out, 'train-00000-of-00001.tfrecord')) };
}

const tensorflow = await readByName(RECORD);

// The four example commands.
const COMMANDS: [string, string[], number][] = [
  ['voc', ['--annotations', `${RACCOON}/voc`], 0],
  ['coco', ['--annotations', `${RACCOON}/coco.json`], 0],
  ['yolo', ['--annotations', `${RACCOON}/yolo`, '--annotations-format', 'yolo', '--labels', `${RACCOON}/yolo/classes.txt`], 2e-6],
  ['csv', ['--annotations', `${RACCOON}/raccoon_test.csv`, '--annotated-only'], 0],
];

for (const [format, args, tolerance] of COMMANDS) {
  test(`convert --annotations (${format}) gives TensorFlow's raccoon record: bytes, size, boxes, classes`, async () => {
    const { out, records } = await convert(format, args);
    assert.equal(records.size, tensorflow.size);
    for (const [name, theirs] of tensorflow) {
      const ours = records.get(name);
      assert.ok(ours !== undefined, name);
      assert.ok(Buffer.from((ours['image/encoded'] as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array)
        .equals(Buffer.from((theirs['image/encoded'] as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array)), `${name} bytes`);
      for (const key of ['image/height', 'image/width', 'image/object/class/label']) assert.deepEqual(nums(ours[key]), nums(theirs[key]), `${name} ${key}`);
      assert.deepEqual(text(ours['image/object/class/text']), text(theirs['image/object/class/text']), name);
      assert.equal(ours['image/class/label'], undefined, 'no class-folder label in an OD run');
      for (const side of BOX_KEYS) {
        const key = `image/object/bbox/${side}`;
        const a: number[] = nums(ours[key]);
        const b: number[] = nums(theirs[key]);
        assert.equal(a.length, b.length, `${name} ${key}`);
        a.forEach((v, i) => assert.ok(Math.abs(v - (b[i] as number)) <= tolerance, `${name} ${key}[${i}]: ${v} vs ${b[i]}`));
      }
      const sourceId = text(ours['image/source_id'])[0];
      if (format === 'coco') assert.match(sourceId as string, /^\d+$/);
      else assert.equal(sourceId, name);
    }
    assert.equal(await readFile(join(out, 'label_map.pbtxt'), 'utf8'), "item {\n  id: 1\n  name: 'raccoon'\n}\n");
    const summary = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
    assert.equal(summary.annotations.format, format);
    assert.deepEqual([summary.annotations.annotated, summary.annotations.unannotated, summary.annotations.problems], [40, 0, []]);
    assert.equal(summary.annotations.kept, summary.annotations.boxes);
    assert.equal(summary.options.annotations, args[1]);
  });
}

test('letterboxing to 320x320 with --fit contain moves every box to within one output pixel', async () => {
  const { records } = await convert('contain', ['--annotations', `${RACCOON}/voc`, '--resize', '320x320', '--fit', 'contain']);
  let boxes = 0;
  for (const [name, theirs] of tensorflow) {
    const ours = records.get(name) as Features;
    assert.deepEqual([nums(ours['image/width']), nums(ours['image/height'])], [[320], [320]]);
    const [w, h] = [nums(theirs['image/width'])[0] as number, nums(theirs['image/height'])[0] as number];
    const scale = Math.min(320 / w, 320 / h);
    const offset = { x: (320 - w * scale) / 2, y: (320 - h * scale) / 2 };
    for (const side of BOX_KEYS) {
      const key = `image/object/bbox/${side}`;
      const [full, axis] = [side.startsWith('x') ? w : h, side.startsWith('x') ? 'x' : 'y'] as const;
      nums(theirs[key]).forEach((v, i) => {
        const exact = v * full * scale + offset[axis];
        const got = (nums(ours[key])[i] as number) * 320;
        assert.ok(Math.abs(got - exact) <= 1, `${name} ${key}[${i}]: ${got} vs ${exact}`);
        boxes++;
      });
    }
  }
  assert.equal(boxes, 44 * 4);
});

test('an EXIF-rotated image: its box is rotated with the pixels (displayed-frame CSV, stored-frame VOC)', async () => {
  const dir = join(work, 'exif');
  await mkdir(join(dir, 'images'), { recursive: true });
  await mkdir(join(dir, 'voc'), { recursive: true });
  // 400x300 stored, EXIF 6 (displayed 300x400); a white rectangle at x 40..160, y 50..110 of the stored pixels.
  const white = await sharp({ create: { width: 120, height: 60, channels: 3, background: '#ffffff' } }).png().toBuffer();
  const bytes = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#000000' } })
    .composite([{ input: white, left: 40, top: 50 }]).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  await writeFile(join(dir, 'images', 'a.jpg'), bytes);
  // Displayed frame: stored (x, y) -> (300 - y, x).
  await writeFile(join(dir, 'a.csv'), 'filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,300,400,thing,190,40,250,160\n');
  await writeFile(join(dir, 'voc', 'a.xml'), '<annotation><filename>a.jpg</filename><size><width>400</width><height>300</height><depth>3</depth></size>'
    + '<object><name>thing</name><bndbox><xmin>40</xmin><ymin>50</ymin><xmax>160</xmax><ymax>110</ymax></bndbox></object></annotation>\n');
  for (const annotations of ['a.csv', 'voc']) {
    const out = join(dir, `out-${annotations}`);
    const result = await runCliTest(['convert', join(dir, 'images'), '-o', out, '--annotations', join(dir, annotations), '--encode', 'png']);
    assert.equal(result.code, 0, result.stderr);
    const [record] = (await readByName(join(out, 'train-00000-of-00001.tfrecord'))).values();
    assert.ok(record !== undefined);
    assert.deepEqual([nums(record['image/width']), nums(record['image/height'])], [[300], [400]]);
    const stored = Buffer.from((record['image/encoded'] as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array);
    const { data, info } = await sharp(stored).greyscale().raw().toBuffer({ resolveWithObject: true });
    const truth = { xmin: Infinity, ymin: Infinity, xmax: -Infinity, ymax: -Infinity };
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        if ((data[y * info.width + x] as number) < 128) continue;
        truth.xmin = Math.min(truth.xmin, x);
        truth.ymin = Math.min(truth.ymin, y);
        truth.xmax = Math.max(truth.xmax, x + 1);
        truth.ymax = Math.max(truth.ymax, y + 1);
      }
    }
    for (const side of BOX_KEYS) {
      const got = (nums(record[`image/object/bbox/${side}`])[0] as number) * (side.startsWith('x') ? 300 : 400);
      assert.ok(Math.abs(got - truth[side]) <= 1, `${annotations} ${side}: ${got} vs pixels ${truth[side]}`);
    }
  }
});

test('--annotated-only leaves unannotated images out (listed as ignored); without it they are records with no boxes', async () => {
  const csv = join(work, 'two.csv');
  await writeFile(csv, 'filename,width,height,class,xmin,ymin,xmax,ymax\nraccoon-105.jpg,720,480,raccoon,1,1,100,100\nraccoon-106.jpg,,,raccoon,5,5,50,50\n');
  const only = await convert('only', ['--annotations', csv, '--annotated-only']);
  assert.deepEqual([...only.records.keys()].sort(), ['raccoon-105.jpg', 'raccoon-106.jpg']);
  const summary = JSON.parse(await readFile(join(only.out, 'dataset.json'), 'utf8'));
  assert.deepEqual([summary.found, summary.records, summary.ignored], [40, 2, 38]);
  assert.deepEqual([summary.annotations.annotated, summary.annotations.unannotated, summary.annotations.leftOut], [2, 38, 38]);
  assert.match(only.stderr, /2 records with boxes, 38 unannotated, 38 of them left out by --annotated-only/);
  const all = await convert('all', ['--annotations', csv]);
  assert.equal(all.records.size, 40);
  const negative = all.records.get('raccoon-110.jpg') as Features;
  assert.deepEqual([nums(negative['image/object/bbox/xmin']), text(negative['image/object/class/text'])], [[], []]);
});

test('an annotation naming a missing image is reported by path and line; --strict stops at it', async () => {
  const csv = join(work, 'missing.csv');
  await writeFile(csv, 'filename,class,xmin,ymin,xmax,ymax\nraccoon-105.jpg,raccoon,1,1,100,100\nnope.jpg,raccoon,1,1,5,5\n');
  const { out, stderr } = await convert('missing', ['--annotations', csv]);
  assert.match(stderr, new RegExp(`missing-image: ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: names "nope\\.jpg"`));
  const summary = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
  assert.deepEqual(summary.annotations.problems.map((p: { kind: string }) => p.kind), ['missing-image']);
  const strict = await runCliTest(['convert', IMAGES, '-o', join(work, 'missing-strict'), '--annotations', csv, '--strict']);
  assert.notEqual(strict.code, 0);
  assert.match(strict.stderr, /missing-image/);
});

test('--annotations with --target caffe-lmdb is a usage error', async () => {
  const result = await runCliTest(['convert', IMAGES, '-o', join(work, 'caffe'), '--annotations', `${RACCOON}/voc`, '--target', 'caffe-lmdb']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /caffe/i);
});

test('an annotated run is byte-identical at --jobs 1 and 4 (with splits)', async () => {
  const hashes: string[] = [];
  for (const jobs of ['1', '4']) {
    // One output path: dataset.json names it.
    const out = join(work, 'jobs');
    await rm(out, { recursive: true, force: true });
    const result = await runCliTest(['convert', IMAGES, '-o', out, '--annotations', `${RACCOON}/coco.json`, '--split', 'train=0.7,test=0.3', '--resize', '256x256', '--fit', 'cover', '--jobs', jobs]);
    assert.equal(result.code, 0, result.stderr);
    const hash = createHash('sha256');
    for (const name of (await readdir(out)).sort()) hash.update(name).update(await readFile(join(out, name)));
    hashes.push(hash.digest('hex'));
  }
  assert.equal(hashes[0], hashes[1]);
});

test('workers and merge-summary add up the detection tally of a single run', async () => {
  const one = join(work, 'single');
  const plain = await runCliTest(['convert', IMAGES, '-o', one, '--annotations', `${RACCOON}/voc`, '--shards', '4']);
  assert.equal(plain.code, 0, plain.stderr);
  const single = JSON.parse(await readFile(join(one, 'dataset.json'), 'utf8'));
  const out = join(work, 'workers');
  for (const worker of ['0/2', '1/2']) {
    const result = await runCliTest(['convert', IMAGES, '-o', out, '--annotations', `${RACCOON}/voc`, '--shards', '4', '--worker', worker]);
    assert.equal(result.code, 0, result.stderr);
  }
  const merged = await runCliTest(['merge-summary', out]);
  assert.equal(merged.code, 0, merged.stderr);
  const summary = JSON.parse(await readFile(join(out, 'dataset.json'), 'utf8'));
  assert.deepEqual(summary.annotations, single.annotations);
  assert.deepEqual([summary.annotations.boxes, summary.annotations.annotated], [44, 40]);
});

test('a second annotation run into the folder does not replace a different label_map.pbtxt without --overwrite', async () => {
  const out = join(work, 'relabel');
  const first = await runCliTest(['convert', IMAGES, '-o', out, '--annotations', `${RACCOON}/voc`, '--prefix', 'a']);
  assert.equal(first.code, 0, first.stderr);
  const before = await readFile(join(out, 'label_map.pbtxt'), 'utf8');
  const csv = join(work, 'other-class.csv');
  await writeFile(csv, 'filename,class,xmin,ymin,xmax,ymax\nraccoon-105.jpg,badger,1,1,100,100\n');
  const second = await runCliTest(['convert', IMAGES, '-o', out, '--annotations', csv, '--prefix', 'b']);
  assert.notEqual(second.code, 0, 'refused: label_map.pbtxt would change');
  assert.match(second.stderr, /label_map\.pbtxt/);
  assert.equal(await readFile(join(out, 'label_map.pbtxt'), 'utf8'), before, 'the first run\'s label map is untouched');
  // The same label map again is no clash: runs of other prefixes share it.
  const same = await runCliTest(['convert', IMAGES, '-o', out, '--annotations', `${RACCOON}/voc`, '--prefix', 'c']);
  assert.equal(same.code, 0, same.stderr);
});

test('--resume after a killed annotation run ends with the same shards, label map and box tally as one run', async () => {
  const args = (out: string): string[] => ['convert', IMAGES, '-o', out, '--annotations', `${RACCOON}/voc`, '--records-per-shard', '5', '--jobs', '1', '--quiet'];
  const whole = join(work, 'resume-whole');
  assert.equal(spawnCliSync(args(whole)).code, 0);
  const out = join(work, 'resume-killed');
  const killed = spawnCliSync(args(out), { env: { IMG2TFRECORD_FAULT: 'shard:4' } });
  assert.equal(killed.code, null, 'killed');
  const resumed = spawnCliSync([...args(out), '--resume', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout) as { resumed: { shards: number }; annotations: unknown };
  assert.ok(summary.resumed.shards >= 3, `${summary.resumed.shards} shards kept`);
  const names = (await readdir(out)).sort();
  assert.deepEqual(names, (await readdir(whole)).sort());
  for (const name of names.filter((n) => n !== 'dataset.json')) {
    assert.deepEqual(await readFile(join(out, name)), await readFile(join(whole, name)), name);
  }
  const one = JSON.parse(await readFile(join(whole, 'dataset.json'), 'utf8')) as { annotations: unknown };
  assert.deepEqual(summary.annotations, one.annotations, 'the kept shards\' box counts are carried into the resumed summary');
});
