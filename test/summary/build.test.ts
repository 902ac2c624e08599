// buildSummary is pure: fragments add up in shard order, up-front problems are reported once, optional parts appear only when given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSummary, type SummaryInput } from '../../src/summary/build.js';
import { emptyFragment, type DetectionTally, type ShardFragment } from '../../src/summary/fragment.js';

function fragment(records: number, path: string, cls: string): ShardFragment {
  return { ...emptyFragment(), records, warnings: [{ path, message: 'note' }], classes: { [cls]: { records, bytes: 10 * records } }, keys: { 'image/encoded': 'bytes' } };
}

const base: SummaryInput = {
  input: 'in', output: 'out', source: 'folder', seed: 0, options: {}, schemaName: 'inception',
  labelMap: { names: ['cat', 'dog'], ids: [0, 1], offset: 0 }, labelOffset: 0,
  splits: [{ name: 'train' }],
  shards: { train: [{ file: 'train-00000-of-00002.tfrecord', records: 2, bytes: 20 }, { file: 'train-00001-of-00002.tfrecord', records: 1, bytes: 9 }] },
  // Inserted out of order: shard 1 finished first.
  fragments: new Map([['train', new Map([[1, fragment(1, 'b.jpg', 'dog')], [0, fragment(2, 'a.jpg', 'cat')]])]]),
  problems: [{ path: 'z.jpg', problem: 'unknown-label', reason: 'z.jpg: label "x" is not in the label list' }],
  ignored: [{ relPath: 'notes.txt', reason: 'not an image' }],
  reportsGlobal: true, ownedInputs: 3, resumed: null, plan: null,
};

test('fragments add up in shard order; found = records + skipped + ignored', () => {
  const summary = buildSummary(base);
  assert.equal(summary.records, 3);
  assert.deepEqual(summary.warnings.map((w) => w.path), ['a.jpg', 'b.jpg']);
  assert.deepEqual(summary.classes, { cat: { records: 2, bytes: 20 }, dog: { records: 1, bytes: 10 } });
  assert.equal(summary.splits.train?.bytes, 29);
  assert.equal(summary.found, 3 + 1 + 1);
  assert.equal(summary.skipped, 1);
  assert.deepEqual(summary.schema.keys, [{ key: 'image/encoded', type: 'bytes' }]);
  assert.ok(!('resumed' in summary) && !('plan' in summary));
});

test('a worker other than 0 leaves the up-front problems and ignored files to worker 0', () => {
  const plan = { fingerprint: 'f', worker: 1, workers: 2, shards: [] };
  const summary = buildSummary({ ...base, reportsGlobal: false, plan, resumed: { shards: 1, records: 2 } });
  assert.equal(summary.skipped, 0);
  assert.equal(summary.ignored, 0);
  assert.equal(summary.found, 3);
  assert.deepEqual(summary.plan, plan);
  assert.deepEqual(summary.resumed, { shards: 1, records: 2 });
  assert.deepEqual(Object.keys(summary).slice(-3), ['options', 'resumed', 'plan']);
});

test('an object-detection run: fragments\' box tallies add up in shard order, up-front annotation problems once (worker 0)', () => {
  const tally = (kept: number, path: string): DetectionTally => ({
    boxes: kept + 1, kept, dropped: 1, clipped: 0, unannotated: 1,
    files: [{ path, boxes: kept + 1, kept, dropped: 1, clipped: 0 }], problems: [], warnings: [{ path, kind: 'size-mismatch', message: `${path}: size` }],
  });
  const fragments = new Map([['train', new Map([[1, { ...fragment(1, 'b.jpg', 'dog'), detection: tally(2, 'b.jpg') }], [0, { ...fragment(2, 'a.jpg', 'cat'), detection: tally(3, 'a.jpg') }]])]]);
  const detection = {
    format: 'voc', labelMap: { names: ['raccoon'], ids: [1], offset: 1 },
    problems: [{ path: 'x.xml', kind: 'missing-image', message: 'x.xml: names "x.jpg"' }], leftOut: 4,
  };
  const summary = buildSummary({ ...base, fragments, detection });
  const od = summary.annotations;
  assert.ok(od !== undefined);
  assert.deepEqual([od.boxes, od.kept, od.dropped, od.annotated, od.unannotated, od.leftOut], [7, 5, 2, 1, 6, 4]);
  assert.deepEqual(od.files.map((f) => f.path), ['a.jpg', 'b.jpg']);
  assert.deepEqual([od.problems.length, od.warnings.length, od.labels], [1, 2, ['raccoon']]);
  const worker1 = buildSummary({ ...base, fragments, detection, reportsGlobal: false });
  assert.deepEqual([worker1.annotations?.problems, worker1.annotations?.leftOut, worker1.annotations?.unannotated], [[], 0, 2]);
  assert.ok(!('annotations' in buildSummary(base)));
});
