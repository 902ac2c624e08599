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
 * Tells sharp how many image operations the caller runs at once, so that ops x libvips threads
 * stays near the core count instead of oversubscribing it (sharp's default gives every op one
 * thread per core). Also turns sharp's operation cache off: a converter never sees the same
 * image twice, so the cache only holds memory. Call once, before the first image is loaded.
 *
 * sharp runs each op on libuv's thread pool (UV_THREADPOOL_SIZE, default 4), which caps the ops
 * running at once whatever the caller keeps in flight; the threads per op are sized for the ops
 * that really run, or a 16-core machine would keep 4 ops of one thread each busy.
 *
 * @example
 * configureImageConcurrency(jobs * 3); // 2 cores: { cores: 2, opsInFlight: 6, opsRunning: 4, threadsPerOp: 1 }
 */
export function configureImageConcurrency(opsInFlight: number): ImageConcurrency {
  if (typeof opsInFlight !== 'number' || !Number.isInteger(opsInFlight) || opsInFlight < 1 || opsInFlight > 4096) {
    throw invalidParameterError('opsInFlight', 'integer between 1 and 4096', opsInFlight);
  }
  const cores = availableParallelism();
  const opsRunning = Math.min(opsInFlight, uvThreadPoolSize());
  const threadsPerOp = Math.max(1, Math.floor(cores / opsRunning));
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
