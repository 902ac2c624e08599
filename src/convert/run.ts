/** The run stage: open the target, encode each owned input (bounded, in order), write its record, finish the target. */
import { rmdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Img2TfrecordError, ImageError, InterruptedError, StrictModeError } from '../errors.js';
import { FRAME_OVERHEAD_BYTES } from '../record/index.js';
import { configureImageConcurrency, loadImage, needsDecode } from '../image/index.js';
import { limitConcurrency, mapOrdered, retryAlone, stopOnAbort } from '../runtime/ordered.js';
import { Publication, toOutputError } from '../runtime/publish.js';
import { ReadBufferPool } from '../runtime/read-pool.js';
import { refreshFaults } from '../runtime/faults.js';
import type { KeptShard } from '../sinks/resume-ledger.js';
import { asParts, type ShardInfo } from '../sinks/sink.js';
import type { Target } from '../sinks/target.js';
import { emptyDetectionTally, emptyFragment, type ShardFragment } from '../summary/fragment.js';
import { addClass } from '../summary/summary.js';
import { createEncoder, planWorkerRecord, type FileResult } from './encode.js';
import type { Job, WorkItem } from './job.js';
import type { ConvertHooks, ConvertProgress } from './progress.js';
import { ReadWorkerPool } from './readers/pool.js';
import { writesCanonicalKey } from '../dataset/schema.js';
import type { ConvertSettings } from './options/options.js';

/** What a run wrote, and what the sidecar stage still needs to publish or undo. */
export interface RunOutcome {
  /** Complete shards a resumed run kept, per split. */
  readonly kept: ReadonlyMap<string, ReadonlyMap<number, KeptShard>>;
  /** Per split, per shard: what its inputs came to (kept shards included). */
  readonly fragments: ReadonlyMap<string, ReadonlyMap<number, ShardFragment>>;
  readonly shards: Readonly<Record<string, readonly ShardInfo[]>>;
  /** Sealed shards and staged files, made final with the sidecars. */
  readonly publication: Publication;
  /** Undoes the run (staged files, unpublished shards, a folder it made) and rethrows. */
  readonly fail: (error: unknown) => Promise<never>;
}

/**
 * Runs a prepared job into `target`: encodes each owned input not in a kept shard, `jobs x 3` at a
 * time (or reads them on `readers`, see {@link startReadWorkers}), and writes the records in plan
 * order, completing each shard as the next begins. A failure removes everything the run made, then
 * rethrows. The caller, who started the readers, closes them.
 *
 * @example
 * const outcome = await runJob(job, target, {});
 */
export async function runJob(job: Job, target: Target, hooks: ConvertHooks, readers: ReadWorkerPool | null = null): Promise<RunOutcome> {
  const { settings } = job;
  refreshFaults();
  // A failed run removes the output folder too when it made it (and it is still empty), so a
  // retry with a corrected option does not trip over an empty leftover.
  const outputExisted = settings.toStdout || (await stat(settings.output).then(() => true, () => false));
  let kept: ReadonlyMap<string, ReadonlyMap<number, KeptShard>>;
  try {
    kept = await target.open();
  } catch (error) {
    if (!outputExisted) await rmdir(settings.output).catch(() => undefined);
    throw toOutputError(error, settings.output);
  }
  const fragments = keptFragments(job, kept);
  const publication = new Publication();
  const interrupted = (): InterruptedError => new InterruptedError(String(hooks.signal?.reason ?? 'abort'));
  // A failed run leaves nothing: staged sidecars and unpublished shards go, and a folder it made.
  const fail = async (error: unknown): Promise<never> => {
    await publication.discard();
    await target.abort();
    if (!outputExisted) await rmdir(settings.output).catch(() => undefined);
    if (hooks.signal?.aborted === true && !(error instanceof InterruptedError)) throw interrupted();
    throw toOutputError(error, settings.output);
  };
  let shards: Readonly<Record<string, readonly ShardInfo[]>> = {};
  try {
    const todo = job.owned.filter((work) => !(kept.get(work.plan.name)?.has(work.shard) ?? false));
    await writeRecords(job, target, todo, fragments, hooks, interrupted, readers);
    if (hooks.signal?.aborted === true) throw interrupted();
    // TFRecord shards are sealed (written, synced, hidden); they become final with the sidecars.
    shards = await target.finish(publication);
  } catch (error) {
    await fail(error);
  }
  return { kept, fragments, shards, publication, fail };
}

/** The fragments of every split, starting from those recorded beside kept shards. */
function keptFragments(job: Job, kept: ReadonlyMap<string, ReadonlyMap<number, KeptShard>>): Map<string, Map<number, ShardFragment>> {
  const fragments = new Map<string, Map<number, ShardFragment>>(job.plans.map((p) => [p.name, new Map()]));
  for (const [name, keptShards] of kept) {
    for (const [index, shard] of keptShards) (fragments.get(name) as Map<number, ShardFragment>).set(index, shard.meta as ShardFragment);
  }
  return fragments;
}

/** Encodes `todo` with bounded concurrency and writes the results in order, shard by shard. */
async function writeRecords(
  job: Job, target: Target, todo: readonly WorkItem[], fragments: Map<string, Map<number, ShardFragment>>,
  hooks: ConvertHooks, interrupted: () => InterruptedError, readers: ReadWorkerPool | null,
): Promise<void> {
  const { settings } = job;
  const progress: { -readonly [K in keyof ConvertProgress]: ConvertProgress[K] } = {
    total: todo.length, done: 0, records: 0, skipped: 0, bytesRead: 0, bytesTotal: todo.reduce((n, w) => n + w.input.size, 0),
  };
  const fragmentOf = (work: WorkItem): ShardFragment => {
    const byShard = fragments.get(work.plan.name) as Map<number, ShardFragment>;
    let fragment = byShard.get(work.shard);
    if (fragment === undefined) {
      fragment = emptyFragment();
      byShard.set(work.shard, fragment);
    }
    return fragment;
  };
  let open: WorkItem | null = null;
  const writeInOrder = async (results: AsyncIterable<{ work: WorkItem; result: FileResult }>): Promise<void> => {
    for await (const { work, result } of stopOnAbort(results, hooks.signal, interrupted)) {
      if (hooks.signal?.aborted === true) throw interrupted();
      if (open !== null && (open.plan !== work.plan || open.shard !== work.shard)) await target.sink(open.plan.name).completeShard(open.shard, fragmentOf(open));
      open = work;
      progress.bytesRead += result.bytesRead;
      if (result.ok) {
        await target.sink(work.plan.name).write({ payload: result.record.payload, shard: work.shard, relPath: work.input.relPath, onWritten: result.release });
        progress.records++;
        tallyRecord(fragmentOf(work), work, result, settings.tfdsName !== null);
        target.observe(result.input, result.record);
      } else {
        if (settings.strict) throw new StrictModeError(result.error);
        fragmentOf(work).errors.push(result.skipped);
        progress.skipped++;
      }
      progress.done++;
      hooks.onProgress?.({ ...progress });
    }
    if (open !== null) await target.sink(open.plan.name).completeShard(open.shard, fragmentOf(open));
  };
  // Pass-through files are small and their ring regions cheap: a deeper window keeps the workers' batches full.
  const window = settings.jobs * (readers === null ? 3 : 8);
  // --jobs N means N cores of image work. Below the core count, N ops run at once on one libvips
  // thread each while the window reads ahead (before, --jobs 1 ran 3 ops on every core). At the core
  // count and above (the default), every file in the window may run: measured 8-12 % faster wall
  // than N ops on 2 cores (an op's serial phases leave its core idle), see bench/README.md.
  let load = hooks.loadImage ?? target.loadImage;
  if (needsDecode(settings.image)) {
    const ops = settings.jobs >= availableParallelism() ? window : settings.jobs;
    configureImageConcurrency(ops, settings.jobs);
    load = limitConcurrency(load, ops);
  }
  // A libvips failure is decoded again alone, so its reason in dataset.json is the same at any --jobs.
  load = retryAlone(load, isLibvipsFailure);
  // Files in flight plus those in unwritten shard batches: a few dozen buffers, reused.
  const pool = new ReadBufferPool(64 * 2 ** 20);
  const encode = createEncoder({ settings, target, loadImage: load, pool, readers, signal: hooks.signal, detection: job.detection });
  readers?.plan(todo.map((work) => ({ path: work.input.path, record: job.detection === null || job.detection === undefined ? planWorkerRecord(work) : null })));
  await writeInOrder(mapOrdered(todo.values(), window, async (work, i) => ({ work, result: await encode(work, i) })));
}

/** The least `--jobs` at which pass-through reads on worker threads (see {@link startReadWorkers}). */
export const MIN_JOBS_FOR_READ_WORKERS = 3;

/**
 * The read workers of a pass-through run into TFRecords (no decode, the stock image stage) at
 * `--jobs` 3 or more, started before discovery so that their start-up (loading their modules,
 * ~50-100 ms each) overlaps the main thread's; null for any other run. `--jobs` N means N cores,
 * the main thread one of them: N - 1 workers read each file into shared memory, digest it there
 * (SHA-256, CRC-32C, the TensorFlow verdict) and build its record when the bytes are stored as
 * they are, while the main thread frames and writes the records in order.
 *
 * Below 3 the main thread does it all, as it does for a decoding run (where libvips is the work
 * and runs on its own threads): on 2 cores, measured on 5,000 files (bench/README.md), a worker
 * costs about as much CPU in start-up, messages and hand-offs as it takes off the main thread
 * (1.6-1.8 s wall and 2.4-2.9 s CPU with workers, 1.6-1.7 s and 1.7-2.2 s without), and 60 MiB.
 *
 * @example
 * const readers = startReadWorkers(settings, hooks);
 */
export function startReadWorkers(settings: ConvertSettings, hooks: ConvertHooks): ReadWorkerPool | null {
  const passThrough = !needsDecode(settings.image) && settings.image.validate !== 'decode';
  if (!passThrough || settings.jobs < MIN_JOBS_FOR_READ_WORKERS || hooks.loadImage !== undefined || settings.target !== 'tfrecord') return null;
  const sha256 = writesCanonicalKey(settings.schema, 'image/key/sha256');
  return new ReadWorkerPool(settings.jobs - 1, { sha256, image: settings.image, schema: settings.schema });
}

/**
 * Whether an image stage error came from libvips (sharp's error, the cause of our ImageError), whose
 * message depends on what else libvips ran at the time; not a time or pixel limit (a retry would
 * only wait or refuse again).
 */
function isLibvipsFailure(error: unknown): boolean {
  if (!(error instanceof ImageError) || error.problem === 'too-slow' || error.problem === 'too-many-pixels') return false;
  return error.cause instanceof Error && !(error.cause instanceof Img2TfrecordError);
}

/** Counts a written record into its shard's fragment: records, transcodes, notes, keys, classes (and image kinds for TFDS). */
function tallyRecord(fragment: ShardFragment, work: WorkItem, result: Extract<FileResult, { ok: true }>, images: boolean): void {
  const relPath = work.input.relPath;
  const { image } = result.input;
  fragment.records++;
  if (image.kind === 'encoded' && image.transcoded !== null) fragment.transcoded[image.transcoded] = (fragment.transcoded[image.transcoded] ?? 0) + 1;
  for (const message of image.notes) fragment.warnings.push({ path: relPath, message });
  for (const [key, kind] of result.record.keys) fragment.keys[key] = kind;
  const recordBytes = FRAME_OVERHEAD_BYTES + asParts(result.record.payload).reduce((n, part) => n + part.length, 0);
  if (images) {
    const kind = `${image.kind === 'encoded' ? image.format : 'raw'}/${image.channels}`;
    fragment.images ??= {};
    fragment.images[kind] = (fragment.images[kind] ?? 0) + 1;
  }
  if (result.detection === undefined) {
    for (const name of work.label.classes) addClass(fragment.classes, name, { records: 1, bytes: recordBytes });
  } else tallyDetection(fragment, relPath, work.annotation === null, result.detection);
}

/** Counts an object-detection record's boxes, problems and warnings into its shard's fragment. */
function tallyDetection(fragment: ShardFragment, relPath: string, unannotated: boolean, od: NonNullable<Extract<FileResult, { ok: true }>['detection']>): void {
  const tally = (fragment.detection ??= emptyDetectionTally());
  tally.boxes += od.boxes;
  tally.kept += od.kept;
  tally.dropped += od.dropped;
  tally.clipped += od.clipped;
  if (unannotated) tally.unannotated++;
  if (od.dropped > 0 || od.clipped > 0) tally.files.push({ path: relPath, boxes: od.boxes, kept: od.kept, dropped: od.dropped, clipped: od.clipped });
  for (const p of od.problems) tally.problems.push({ path: relPath, kind: p.kind, message: p.message });
  for (const p of od.warnings) tally.warnings.push({ path: relPath, kind: p.kind, message: p.message });
}
