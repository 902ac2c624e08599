/** The TFRecord target: tf.train.Example records in planned shard files (or one stream for `-o -`). */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { loadImage } from '../image/index.js';
import type { Compression } from '../record/index.js';
import type { Publication } from '../runtime/publish.js';
import { encodeSchemaExample, writesCanonicalKey, type Schema } from '../dataset/schema.js';
import { buildIndex } from './index-file.js';
import type { KeptShard } from './resume-ledger.js';
import { DEFAULT_SHARD_NAMING, type ShardNaming } from './shard-names.js';
import type { RecordSink, ShardInfo } from './sink.js';
import { StreamSink } from './stream.js';
import type { Target, TargetInput, TargetPlan, TargetRecord, TargetSplit } from './target.js';
import { TfrecordShardSink } from './tfrecord-shards.js';

/** The settings the TFRecord target reads (a subset of the convert settings). */
export interface TfrecordTargetSettings {
  readonly output: string;
  readonly toStdout: boolean;
  readonly compression: Compression;
  readonly overwrite: boolean;
  readonly resume: boolean;
  /** Non-null in a distributed run: shards of other workers may already be there. */
  readonly worker: object | null;
  /** Also write a DALI `.idx` beside each shard. */
  readonly index: boolean;
  readonly schema: Schema;
}

/**
 * Creates the TFRecord target of a run: one {@link TfrecordShardSink} per split (a {@link StreamSink}
 * for `-o -`), Examples under the schema's keys, shard files named by `naming`.
 *
 * @example
 * const target = createTfrecordTarget(settings, plan); // settings from resolveConvertOptions
 */
export function createTfrecordTarget(settings: TfrecordTargetSettings, plan: TargetPlan, naming: ShardNaming = DEFAULT_SHARD_NAMING): Target {
  // Shard sinks by split (none for `-o -`, whose one stream needs no resume, sealing or renames).
  const shardSinks = new Map<string, TfrecordShardSink>();
  const sinks = new Map<string, RecordSink>();
  for (const split of plan.splits) {
    if (settings.toStdout) {
      sinks.set(split.name, new StreamSink(plan.stdout as Writable, settings.compression));
      continue;
    }
    const sink = new TfrecordShardSink({
      dir: settings.output,
      prefix: split.name,
      compression: settings.compression,
      shardCount: split.shardCount,
      overwrite: settings.overwrite || settings.worker !== null,
      owns: (shard) => plan.owns(split.name, shard),
      fingerprints: plan.shardFingerprints(split.name),
      resume: settings.resume,
      naming,
    });
    shardSinks.set(split.name, sink);
    sinks.set(split.name, sink);
  }
  const sinkOf = (name: string): RecordSink => sinks.get(name) as RecordSink;
  return {
    preflight: () => undefined,
    outputNames: () => [],
    outputPattern: (split) => naming.pattern(split),
    fileName: (split: TargetSplit, shard: number) => naming.fileName(split.name, shard, split.shardCount, settings.compression),
    open: async () => {
      // Complete shards a resumed run keeps: their inputs are not read again.
      const kept = new Map<string, ReadonlyMap<number, KeptShard>>();
      for (const split of plan.splits) kept.set(split.name, await shardSinks.get(split.name)?.prepare() ?? new Map());
      return kept;
    },
    sink: sinkOf,
    loadImage,
    writesKey: (canonical) => writesCanonicalKey(settings.schema, canonical),
    encode: async (input: TargetInput): Promise<TargetRecord> => ({ ...encodeSchemaExample(settings.schema, input.canonical, input.extra), observed: null }),
    observe: () => undefined,
    finish: (publication) => finishShards(plan.splits, sinkOf, shardSinks, publication, settings),
    settle: async () => {
      for (const sink of shardSinks.values()) await sink.settle();
    },
    abort: async () => {
      await Promise.all([...sinks.values()].map((sink) => sink.abort()));
    },
  };
}

/**
 * Seals every split's shards (written, synced, hidden) and plans their renames in `publication`,
 * with the index sidecars: they become final together with the summary.
 */
async function finishShards(
  splits: readonly TargetSplit[], sinkOf: (name: string) => RecordSink, shardSinks: ReadonlyMap<string, TfrecordShardSink>,
  publication: Publication, settings: TfrecordTargetSettings,
): Promise<Record<string, readonly ShardInfo[]>> {
  const shards: Record<string, readonly ShardInfo[]> = {};
  for (const split of splits) {
    shards[split.name] = await (shardSinks.get(split.name)?.seal() ?? sinkOf(split.name).finish());
  }
  for (const sink of shardSinks.values()) {
    for (const move of await sink.plannedMoves()) publication.move(move.from, move.to);
  }
  if (settings.index) {
    for (const split of splits) {
      const sink = shardSinks.get(split.name);
      if (sink === undefined) continue;
      for (const shard of shards[split.name] ?? []) {
        await publication.stage(join(settings.output, `${shard.file}.idx`), await buildIndex(await sink.locate(shard.file)));
      }
    }
  }
  return shards;
}
