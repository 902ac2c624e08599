/** Sizes sharp's own (libvips) thread pool for a pipeline that keeps several image ops in flight. */
import { availableParallelism } from 'node:os';
import { loadSharp } from './sharp.js';
import { invalidParameterError } from '../errors.js';

/** What {@link configureImageConcurrency} set. */
export interface ImageConcurrency {
  readonly cores: number;
  readonly opsInFlight: number;
  /** Image ops that really run at once: libuv's thread pool (UV_THREADPOOL_SIZE) caps them. */
  readonly opsRunning: number;
  /** libvips worker threads per image operation (sharp.concurrency). */
  readonly threadsPerOp: number;
}

/**
 * Tells sharp how many image operations the caller runs at once and how many cores they may use
 * together, so that ops x libvips threads stays near that budget instead of oversubscribing the
 * machine (sharp's default gives every op one thread per core). Also turns sharp's operation cache
 * off: a converter never sees the same image twice, so the cache only holds memory. Call once,
 * before the first image is loaded.
 *
 * sharp runs each op on libuv's thread pool (UV_THREADPOOL_SIZE, default 4), which caps the ops
 * running at once whatever the caller keeps in flight; the threads per op are sized for the ops
 * that really run, or a 16-core machine would keep 4 ops of one thread each busy.
 *
 * @param opsInFlight image ops the caller lets run at once
 * @param coreBudget cores the ops may use together (`--jobs`; default: every core), capped by the cores
 * @example
 * configureImageConcurrency(1, 1); // --jobs 1: { opsRunning: 1, threadsPerOp: 1 }, one core
 * configureImageConcurrency(2, 2); // --jobs 2 on 2 cores: { opsRunning: 2, threadsPerOp: 1 }
 */
export function configureImageConcurrency(opsInFlight: number, coreBudget?: number): ImageConcurrency {
  if (typeof opsInFlight !== 'number' || !Number.isInteger(opsInFlight) || opsInFlight < 1 || opsInFlight > 4096) {
    throw invalidParameterError('opsInFlight', 'integer between 1 and 4096', opsInFlight);
  }
  if (coreBudget !== undefined && (typeof coreBudget !== 'number' || !Number.isInteger(coreBudget) || coreBudget < 1 || coreBudget > 4096)) {
    throw invalidParameterError('coreBudget', 'integer between 1 and 4096', coreBudget);
  }
  const cores = availableParallelism();
  const budget = Math.min(coreBudget ?? cores, cores);
  const opsRunning = Math.min(opsInFlight, uvThreadPoolSize());
  const threadsPerOp = Math.max(1, Math.floor(budget / opsRunning));
  const sharp = loadSharp();
  sharp.concurrency(threadsPerOp);
  sharp.cache(false);
  return { cores, opsInFlight, opsRunning, threadsPerOp };
}

/** libuv's thread pool size as libuv reads it: UV_THREADPOOL_SIZE clamped to 1..1024, default 4. */
function uvThreadPoolSize(): number {
  const asked = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(asked) && asked > 0 ? Math.min(asked, 1024) : 4;
}
