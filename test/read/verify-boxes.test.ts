/** verify's object-detection check, on TensorFlow's own raccoon record and on records with bad boxes built here. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytesFeature, encodeExample, floatFeature, int64Feature, type Features } from '../../src/example/index.js';
import { verifyFiles } from '../../src/read/verify.js';
import { checkRecordBoxes, readBoxLabels } from '../../src/read/verify-boxes.js';
import { frameRecordToBuffer } from '../../src/record/index.js';
import { runCli } from '../../src/cli/main.js';

const RACCOON = 'fixtures/golden/raccoon_test.record';
const LABELS = { names: ['cat', 'dog'], ids: [1, 2] };

function od(boxes: readonly [number, number, number, number][], classes: readonly [string, number][]): Features {
  return {
    'image/object/bbox/xmin': floatFeature(...boxes.map((b) => b[0])),
    'image/object/bbox/ymin': floatFeature(...boxes.map((b) => b[1])),
    'image/object/bbox/xmax': floatFeature(...boxes.map((b) => b[2])),
    'image/object/bbox/ymax': floatFeature(...boxes.map((b) => b[3])),
    'image/object/class/text': bytesFeature(...classes.map((c) => c[0])),
    'image/object/class/label': int64Feature(...classes.map((c) => c[1])),
  };
}

async function recordFile(records: readonly Features[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'verify-boxes-')), 'in.tfrecord');
  await writeFile(file, Buffer.concat(records.map((f) => frameRecordToBuffer(encodeExample(f)))));
  return file;
}

/** Runs the CLI in-process, capturing stdout and stderr. */
async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const [write, writeErr] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { err += chunk; return true; }) as typeof process.stderr.write;
  try {
    const code = await runCli(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.exitCode = 0;
  }
}

test("TensorFlow's raccoon record: every box list is clean, also against its label map", async () => {
  const report = await verifyFiles([RACCOON], { labels: { names: ['raccoon'], ids: [1] } });
  assert.deepEqual([report.records, report.problems], [40, []]);
  // A label map without raccoon: each of the 44 boxes is reported, by text and by id.
  const other = await verifyFiles([RACCOON], { labels: { names: ['cat'], ids: [2] } });
  assert.equal(other.problems.length, 88);
  assert.ok(other.problems.every((p) => p.kind === 'box'));
  assert.match(other.problems[0]?.message ?? '', /^fixtures\/golden\/raccoon_test\.record: record 0 at offset 0: image\/object\/class\/label\[0\] = 1 is not in the label map$/);
});

test('a box outside [0, 1], min >= max, NaN and unequal lists are problems naming record and key', async () => {
  const file = await recordFile([
    od([[0.1, 0.1, 0.5, 0.5]], [['cat', 1]]),
    od([[0.1, 0.1, 0.5, 0.5], [0.2, 0.3, 1.25, 0.4]], [['cat', 1], ['dog', 2]]),
    od([[0.6, 0.1, 0.5, 0.5]], [['cat', 1]]),
    { ...od([[0.1, 0.1, 0.5, 0.5]], [['cat', 1]]), 'image/object/class/label': int64Feature(1, 2) },
    od([[NaN, 0.1, 0.5, 0.5]], [['cat', 1]]),
    // A negative example: empty lists are fine.
    od([], []),
  ]);
  const report = await verifyFiles([file]);
  assert.deepEqual(report.problems.map((p) => [p.recordIndex, p.kind, p.message.replace(`${file}: `, '')]), [
    [1, 'box', `record 1 at offset ${report.problems[0]?.offset}: image/object/bbox/xmax[1] = 1.25 is outside [0, 1]`],
    [2, 'box', `record 2 at offset ${report.problems[1]?.offset}: box 0: xmin 0.6000000238418579 >= xmax 0.5`],
    [3, 'box', `record 3 at offset ${report.problems[2]?.offset}: per-object lists differ in length (image/object/bbox/xmin: 1, image/object/bbox/xmax: 1, image/object/bbox/ymin: 1, image/object/bbox/ymax: 1, image/object/class/label: 2, image/object/class/text: 1); each must have one entry per box`],
    [4, 'box', `record 4 at offset ${report.problems[3]?.offset}: image/object/bbox/xmin[0] = NaN is outside [0, 1]`],
  ]);
  // NaN is reported once: as outside [0, 1] (a NaN comparison is never true, so not also as min >= max).
});

test('with labels: an unknown id, an unknown text and a text whose id is another are problems', () => {
  assert.deepEqual(checkRecordBoxes(od([[0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.5], [0.1, 0.1, 0.5, 0.5]], [['cat', 1], ['cow', 3], ['dog', 1]]), LABELS), [
    'image/object/class/label[1] = 3 is not in the label map',
    'image/object/class/text[1] = "cow" is not in the label map',
    'box 2: class "dog" has id 2 in the label map, but image/object/class/label[2] = 1',
  ]);
  assert.deepEqual(checkRecordBoxes({ 'image/class/label': int64Feature(7) }, LABELS), [], 'a classification record has no boxes to check');
});

test('verify --labels on the CLI: raccoon clean with its pbtxt, exit 1 with a bad box', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'verify-labels-'));
  await writeFile(join(dir, 'label_map.pbtxt'), "item {\n  id: 1\n  name: 'raccoon'\n}\n");
  assert.deepEqual(await readBoxLabels(join(dir, 'label_map.pbtxt')), { names: ['raccoon'], ids: [1] });
  const clean = await cli(['verify', RACCOON, '--labels', join(dir, 'label_map.pbtxt')]);
  assert.deepEqual([clean.code, clean.err], [0, '']);
  assert.match(clean.out, /40 records, 0 problems/);
  const bad = await recordFile([od([[0.2, 0.3, 1.25, 0.4]], [['raccoon', 1]])]);
  const failed = await cli(['verify', bad, '--labels', join(dir, 'label_map.pbtxt')]);
  assert.equal(failed.code, 1);
  assert.match(failed.err, /record 0 at offset 0: image\/object\/bbox\/xmax\[0\] = 1\.25 is outside \[0, 1\]/);
});
