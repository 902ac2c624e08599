// TFRecord shards split into names, resume ledger and shard file: naming is pluggable, the ledger keeps only matching shards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecordFile } from '../../src/record/index.js';
import { DEFAULT_SHARD_NAMING, shardFileName, shardNamePattern, type ShardNaming } from '../../src/sinks/shard-names.js';
import { findKeptShard, shardPaths } from '../../src/sinks/resume-ledger.js';
import { checkOutputFree } from '../../src/sinks/output-check.js';
import { TfrecordShardSink } from '../../src/sinks/tfrecord-shards.js';
import { IncompleteRunError, OutputExistsError } from '../../src/errors.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'i2t-shards-'));

test('shard names: TensorFlow naming, and a pattern that matches every count and compression of the prefix only', () => {
  assert.equal(shardFileName('train', 3, 12, 'gzip'), 'train-00003-of-00012.tfrecord.gz');
  assert.equal(DEFAULT_SHARD_NAMING.fileName('val', 0, 1, 'none'), 'val-00000-of-00001.tfrecord');
  const pattern = shardNamePattern('a.b');
  assert.ok(pattern.test('a.b-00000-of-00002.tfrecord.zz'));
  assert.ok(!pattern.test('axb-00000-of-00002.tfrecord'), 'the dot is literal');
  assert.ok(!pattern.test('a.b-00000-of-00002.tfrecord.idx'));
});

test('a sink named by another ShardNaming writes, publishes and clears stale shards under those names', async () => {
  const dir = await tempDir();
  const naming: ShardNaming = {
    fileName: (prefix, index, total) => `ds-${prefix}.tfrecord-${String(index).padStart(5, '0')}-of-${String(total).padStart(5, '0')}`,
    pattern: (prefix) => new RegExp(`^ds-${prefix}\\.tfrecord-\\d{5}-of-\\d{5}$`),
  };
  await writeFile(join(dir, 'ds-train.tfrecord-00000-of-00009'), 'stale');
  const sink = new TfrecordShardSink({ dir, prefix: 'train', compression: 'none', shardCount: 2, overwrite: true, naming });
  await sink.write({ payload: Buffer.from('one'), shard: 0, relPath: 'a' });
  await sink.completeShard(0, null);
  await sink.write({ payload: Buffer.from('two'), shard: 1, relPath: 'b' });
  const shards = await sink.finish();
  assert.deepEqual(shards.map((s) => [s.file, s.records]), [['ds-train.tfrecord-00000-of-00002', 1], ['ds-train.tfrecord-00001-of-00002', 1]]);
  assert.deepEqual((await readdir(dir)).sort(), ['ds-train.tfrecord-00000-of-00002', 'ds-train.tfrecord-00001-of-00002']);
  const records: string[] = [];
  for await (const r of readRecordFile(join(dir, 'ds-train.tfrecord-00001-of-00002'))) records.push(Buffer.from(r.data).toString());
  assert.deepEqual(records, ['two']);
});

test('resume ledger: a complete shard is kept only when fingerprint, size and records match', async () => {
  const dir = await tempDir();
  const sink = new TfrecordShardSink({ dir, prefix: 'train', compression: 'none', shardCount: 1, overwrite: false, fingerprints: ['fp'] });
  await sink.write({ payload: Buffer.from('x'), shard: 0, relPath: 'a' });
  await sink.completeShard(0, { records: 1 });
  const paths = shardPaths(dir, 'train-00000-of-00001.tfrecord');
  assert.deepEqual(await findKeptShard(paths, 0, 'fp'), { index: 0, records: 1, meta: { records: 1 } });
  assert.equal(await findKeptShard(paths, 0, 'other'), null, 'another plan');
  const sidecar = JSON.parse(await readFile(paths.sidecar, 'utf8')) as { records: number };
  await writeFile(paths.sidecar, JSON.stringify({ ...sidecar, records: 2 }));
  assert.equal(await findKeptShard(paths, 0, 'fp'), null, 'record count differs');
  // A killed run's ledger makes a plain rerun refuse, naming the incomplete run.
  await assert.rejects(checkOutputFree(dir, 'train', [], false), IncompleteRunError);
  await sink.abort();
  await writeFile(join(dir, 'train-00000-of-00001.tfrecord'), '');
  await assert.rejects(checkOutputFree(dir, 'train', [], false), OutputExistsError);
  await checkOutputFree(dir, 'train', [], true);
});
