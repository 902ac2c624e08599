/** Boxes read out of records: inspect's object counts, dump's boxes, extract --draw-boxes, on TensorFlow's raccoon record and records built here. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { bytesFeature, encodeExample, floatFeature, int64Feature, type Feature, type Features } from '../../src/example/index.js';
import { readExamples } from '../../src/read/examples.js';
import { dumpRecords } from '../../src/read/dump.js';
import { drawRecordBoxes, readRecordBoxes } from '../../src/read/extract-boxes.js';
import { extractImages } from '../../src/read/extract.js';
import { inspectFiles } from '../../src/read/inspect.js';
import { formatInspect } from '../../src/cli/commands/inspect.js';
import { frameRecordToBuffer } from '../../src/record/index.js';

const RACCOON = 'fixtures/golden/raccoon_test.record';

async function recordFile(records: readonly Features[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'boxes-')), 'in.tfrecord');
  await writeFile(file, Buffer.concat(records.map((f) => frameRecordToBuffer(encodeExample(f)))));
  return file;
}

function od(boxes: readonly [number, number, number, number][], classes: readonly [string, number][], image?: Buffer): Features {
  return {
    ...(image === undefined ? {} : { 'image/encoded': bytesFeature(image), 'image/filename': bytesFeature('grey.png') }),
    'image/object/bbox/xmin': floatFeature(...boxes.map((b) => b[0])),
    'image/object/bbox/ymin': floatFeature(...boxes.map((b) => b[1])),
    'image/object/bbox/xmax': floatFeature(...boxes.map((b) => b[2])),
    'image/object/bbox/ymax': floatFeature(...boxes.map((b) => b[3])),
    'image/object/class/text': bytesFeature(...classes.map((c) => c[0])),
    'image/object/class/label': int64Feature(...classes.map((c) => c[1])),
  };
}

test("inspect: TensorFlow's raccoon record is object-detection, 44 boxes, 1..2 per record, all raccoon", async () => {
  const report = await inspectFiles([RACCOON]);
  assert.equal(report.schema, 'object-detection');
  assert.deepEqual(report.objects, { records: 40, boxes: 44, min: 1, median: 1, max: 2, perClass: { raccoon: 44 } });
  assert.match(formatInspect(report), /\nobjects: 44 boxes in 40 records; per record min 1, median 1, max 2; per class: raccoon 44\n/);
  // The one-value histogram would have said "raccoon: 36" (records with one box): per-object keys have none.
  assert.equal(report.keys.find((k) => k.key === 'image/object/class/text')?.histogram, undefined);
});

test('inspect: median over an even count, negative examples, classes by label when there is no text, most boxes first', async () => {
  const file = await recordFile([
    od([], []),
    od([[0, 0, 1, 1]], [['cat', 1]]),
    od([[0, 0, 1, 1], [0, 0, 0.5, 0.5], [0, 0, 0.2, 0.2]], [['dog', 2], ['dog', 2], ['cat', 1]]),
    { 'image/object/bbox/xmin': floatFeature(0, 0), 'image/object/bbox/ymin': floatFeature(0, 0), 'image/object/bbox/xmax': floatFeature(1, 1), 'image/object/bbox/ymax': floatFeature(1, 1), 'image/object/class/label': int64Feature(2, 7) },
    { 'image/class/label': int64Feature(1) },
  ]);
  const { objects } = await inspectFiles([file]);
  assert.deepEqual(objects, { records: 4, boxes: 6, min: 0, median: 1.5, max: 3, perClass: { cat: 2, dog: 2, 2: 1, 7: 1 } });
  assert.equal((await inspectFiles(['fixtures/golden/tfx_mnist_1000.tfrecord'])).objects, null, 'no boxes, no objects line');
});

test('dump: each raccoon record carries its boxes with class and label; --keys leaves them out', async () => {
  const records = [];
  for await (const r of dumpRecords([RACCOON], { bytes: 'length' })) records.push(r);
  assert.equal(records.length, 40);
  assert.deepEqual(records[0]?.boxes, [{ class: 'raccoon', label: 1, xmin: 0.22222222, ymin: 0.07619048, xmax: 0.69170576, ymax: 0.8761905 }]);
  assert.equal(records.reduce((n, r) => n + (r.boxes?.length ?? 0), 0), 44);
  for await (const r of dumpRecords([RACCOON], { keys: ['image/filename'], limit: 1 })) assert.equal(r.boxes, undefined);
  for await (const r of dumpRecords(['fixtures/golden/tfx_mnist_1000.tfrecord'], { limit: 1 })) assert.equal('boxes' in r, false);
});

test('drawRecordBoxes: the outline has the class colour and the inside keeps the image', async () => {
  const grey = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } }).png().toBuffer();
  const boxes = readRecordBoxes(od([[0.25, 0.2, 0.75, 0.8]], [['cat', 1]])) ?? [];
  const { bytes, ext } = await drawRecordBoxes(grey, boxes);
  assert.equal(ext, 'png');
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
  // Label 1 -> BOX_PALETTE[1], #00c000: the left edge at x = 50, the centre untouched.
  assert.deepEqual(at(50, 50), [0, 192, 0]);
  assert.deepEqual(at(150, 50), [0, 192, 0]);
  assert.deepEqual(at(100, 50), [128, 128, 128]);
  assert.deepEqual(at(10, 50), [128, 128, 128]);
});

test('extract --draw-boxes: raccoon JPEGs come out as JPEGs of the same size with their boxes drawn; records without boxes are unchanged', async () => {
  const out = await mkdtemp(join(tmpdir(), 'draw-'));
  const report = await extractImages([RACCOON], out, { drawBoxes: true });
  assert.deepEqual([report.written, report.skipped], [40, []]);
  const names = (await readdir(out)).sort();
  assert.equal(names.length, 40);
  assert.ok(names.every((n) => n.endsWith('.jpg')));
  // raccoon-105.jpg has one raccoon box (label 1: green, #00c000): its left edge is green in the drawn JPEG.
  let box = null;
  for await (const e of readExamples(RACCOON)) if (Buffer.from((e.features['image/filename'] as Extract<Feature, { kind: 'bytes' }>).values[0] as Uint8Array).toString() === 'raccoon-105.jpg') box = readRecordBoxes(e.features)?.[0];
  assert.ok(box);
  const drawn = await sharp(join(out, 'raccoon-105.jpg')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([drawn.info.width, drawn.info.height], [720, 960]);
  const [x, y] = [Math.round(box.xmin * 720), Math.round(((box.ymin + box.ymax) / 2) * 960)];
  const [r, g, b] = drawn.data.subarray((y * 720 + x) * 3, (y * 720 + x) * 3 + 3);
  assert.ok((g as number) > 150 && (r as number) < 90 && (b as number) < 90, `left edge at ${x},${y} is ${r},${g},${b}`);
  const plain = await mkdtemp(join(tmpdir(), 'plain-'));
  await extractImages([RACCOON], plain);
  assert.notDeepEqual(await readFile(join(out, 'raccoon-105.jpg')), await readFile(join(plain, 'raccoon-105.jpg')));
  const grey = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
  const file = await recordFile([od([], [], grey)]);
  const none = await mkdtemp(join(tmpdir(), 'none-'));
  await extractImages([file], none, { drawBoxes: true });
  assert.deepEqual(await readFile(join(none, 'grey.png')), grey, 'no boxes: the stored bytes as they are');
});
