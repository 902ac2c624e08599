/** Converts images into TFRecord shards (or Caffe LMDB): prepare, create the target, run, summarise, write sidecars. */
import { buildSummary } from '../summary/build.js';
import type { ConvertSummary } from '../summary/summary.js';
import { resolveConvertOptions, type ConvertOptions } from './options/options.js';
import { prepareJob } from './prepare.js';
import type { ConvertHooks } from './progress.js';
import { runJob, startReadWorkers, type RunOutcome } from './run.js';
import type { Job } from './job.js';
import type { Target } from '../sinks/target.js';
import { writeSidecars } from './sidecars.js';
import { summaryInputOf } from './summarise.js';
import { createTarget } from './targets/targets.js';

export type { ConvertHooks, ConvertProgress } from './progress.js';

/**
 * Converts images into TFRecord shards in `options.output`: from a folder (each top-level folder a
 * class, or TFDS's split/class tree), a manifest, or a list of paths.
 *
 * Bad images and manifest rows are skipped and reported in the summary (or stop the run with
 * `strict`); output appears under its final names only when the whole run succeeds.
 *
 * @example
 * import { convert } from 'img2tfrecord';
 * const summary = await convert({ input: 'photos', output: 'out', shards: 4 });
 * console.log(summary.records, summary.skipped, summary.shards);
 */
export async function convert(options: ConvertOptions, hooks: ConvertHooks = {}): Promise<ConvertSummary> {
  const settings = resolveConvertOptions(options);
  // Pass-through read workers, started first: their start-up overlaps discovery.
  const readers = startReadWorkers(settings, hooks);
  let outcome: RunOutcome;
  let job: Job;
  let target: Target;
  try {
    // Inputs gathered and labelled once, the shard plan, worker ownership, the plan's fingerprint.
    job = await prepareJob(settings);
    // The output format, chosen once: TFRecord shards or stream, Caffe LMDB.
    target = await createTarget(job, hooks);
    // Each owned input encoded (bounded, in order) and written; shards sealed, not yet final.
    outcome = await runJob(job, target, hooks, readers);
  } finally {
    // Also on failure and interrupt: a run's threads end with it, before the sidecars are written.
    await readers?.close();
  }
  const summary = buildSummary(summaryInputOf(job, target, outcome));
  // Labels, summary and shards become final together.
  await writeSidecars(job, target, outcome, summary);
  return summary;
}
