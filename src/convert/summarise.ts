/** The summarise stage: what a job planned and its run wrote, as the input of the pure summary builder. */
import type { SummaryInput } from '../summary/build.js';
import type { KeptShard } from '../sinks/resume-ledger.js';
import type { Target } from '../sinks/target.js';
import type { Job } from './job.js';
import type { RunOutcome } from './run.js';

/**
 * Collects what {@link buildSummary} needs from a job, its target and its run.
 *
 * @example
 * const summary = buildSummary(summaryInputOf(job, target, outcome));
 */
export function summaryInputOf(job: Job, target: Target, outcome: RunOutcome): SummaryInput {
  const { settings } = job;
  const { worker } = settings;
  return {
    input: settings.manifest ?? (settings.inputList === null ? settings.input : '-'),
    output: settings.output,
    source: job.gathered.kind,
    seed: settings.seed,
    options: job.described,
    schemaName: settings.schema.name,
    labelMap: job.labelMap,
    labelOffset: settings.labelOffset,
    splits: job.plans,
    shards: outcome.shards,
    fragments: outcome.fragments,
    problems: job.problems,
    ignored: job.gathered.ignored,
    // Up-front problems (manifest rows, unknown labels) and ignored files are reported once: by
    // worker 0 of a distributed run.
    reportsGlobal: worker === null || worker.index === 0,
    ownedInputs: job.owned.length,
    resumed: settings.resume ? countKept(outcome.kept) : null,
    ...(job.detection === null ? {} : {
      detection: {
        format: job.detection.prepared.format,
        labelMap: job.detection.prepared.labelMap,
        problems: job.detection.prepared.problems.map((p) => ({ path: p.source.path, kind: p.kind, message: p.message })),
        leftOut: job.detection.leftOut,
      },
    }),
    plan: worker === null ? null : {
      fingerprint: job.fingerprint,
      worker: worker.index,
      workers: worker.count,
      shards: job.plans.flatMap((plan) => Array.from({ length: plan.shardCount }, (_, k) => ({
        file: target.fileName(plan, k),
        worker: job.ownership.ownerOf(plan.name, k),
      }))),
    },
  };
}

/** The complete shards a resumed run kept, and their records. */
function countKept(kept: ReadonlyMap<string, ReadonlyMap<number, KeptShard>>): { shards: number; records: number } {
  let shards = 0;
  let records = 0;
  for (const byShard of kept.values()) {
    for (const shard of byShard.values()) {
      shards++;
      records += shard.records;
    }
  }
  return { shards, records };
}
