/** Worker slices of a distributed run: which worker this is, and which process writes which shard. */
import { invalidParameterError, UsageError } from '../errors.js';

/** A worker's place in a run of `count` workers. */
export interface WorkerSlice {
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `--worker I/N`, or `auto` with the index (and count) from the scheduler's environment:
 * Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX), Slurm job arrays (SLURM_ARRAY_TASK_ID and
 * SLURM_ARRAY_TASK_COUNT), AWS Batch array jobs (AWS_BATCH_JOB_ARRAY_INDEX). `workers` gives N
 * where the environment does not.
 *
 * @example
 * parseWorker('2/8'); // { index: 2, count: 8 }
 * parseWorker('auto', 8, { JOB_COMPLETION_INDEX: '3' }); // { index: 3, count: 8 }
 */
export function parseWorker(spec: string, workers: number | null = null, env: NodeJS.ProcessEnv = process.env): WorkerSlice {
  let index: number;
  let count: number | null = workers;
  if (spec === 'auto') {
    const raw = env.JOB_COMPLETION_INDEX ?? env.SLURM_ARRAY_TASK_ID ?? env.AWS_BATCH_JOB_ARRAY_INDEX;
    if (raw === undefined) {
      throw new UsageError('--worker auto found no worker index: set JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX, or pass --worker I/N');
    }
    index = Number(raw);
    if (env.SLURM_ARRAY_TASK_ID !== undefined && env.SLURM_ARRAY_TASK_COUNT !== undefined && env.JOB_COMPLETION_INDEX === undefined) {
      count ??= Number(env.SLURM_ARRAY_TASK_COUNT);
      // Slurm arrays may start at 1 (--array=1-N): shift by the minimum so indices are 0-based.
      const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
      index -= Number.isInteger(min) ? min : 0;
    }
    if (count === null) throw new UsageError('--worker auto needs --workers N (the environment gives the index only)');
  } else {
    const match = /^(\d+)\/(\d+)$/.exec(spec.trim());
    if (match === null) throw invalidParameterError('worker', 'I/N with 0 <= I < N (e.g. 0/4), or auto', spec);
    index = Number(match[1]);
    count = Number(match[2]);
  }
  if (!Number.isInteger(count) || count < 1) throw invalidParameterError('worker count', 'integer of at least 1', count);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw invalidParameterError('worker index', `integer between 0 and ${count - 1}`, index);
  }
  return { index, count };
}
/** Who writes which shard: shards are numbered globally across splits, and worker I of N writes those whose number mod N is I. */
export interface ShardOwnership {
  /** The worker that writes shard `shard` of split `split`. */
  ownerOf(split: string, shard: number): number;
  /** Whether this process writes shard `shard` of split `split` (always, without a worker slice). */
  owns(split: string, shard: number): boolean;
}

/**
 * The shard ownership of a run with these splits (in plan order) and this worker slice.
 *
 * @example
 * const o = planOwnership([{ name: 'train', shardCount: 3 }, { name: 'validation', shardCount: 1 }], { index: 1, count: 2 });
 * o.owns('train', 1); // true (global shard 1)
 * o.ownerOf('validation', 0); // 1 (global shard 3)
 */
export function planOwnership(splits: readonly { readonly name: string; readonly shardCount: number }[], worker: WorkerSlice | null): ShardOwnership {
  const firstShard = new Map<string, number>();
  let shardTotal = 0;
  for (const split of splits) {
    firstShard.set(split.name, shardTotal);
    shardTotal += split.shardCount;
  }
  const ownerOf = (split: string, shard: number): number =>
    worker === null ? 0 : ((firstShard.get(split) as number) + shard) % worker.count;
  return {
    ownerOf,
    owns: (split, shard) => worker === null || ownerOf(split, shard) === worker.index,
  };
}
