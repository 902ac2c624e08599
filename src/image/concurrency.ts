/** Sizes sharp's own (libvips) thread pool for a pipeline that keeps several image ops in flight. */
import { availableParallelism } from 'node:os';
import { loadSharp } from './sharp.js';
import { invalidParameterError } from '../errors.js';

/** What {@link configureImageConcurrency} set. */
export interface ImageConcurrency {
  readonly cores: number;
  readonly opsInFlight: number;
  /** libvips worker threads per image operation (sharp.concurrency). */
  readonly threadsPerOp: number;
}

/**
 * Tells sharp how many image operations the caller runs at once, so that ops x libvips threads
 * stays near the core count instead of oversubscribing it (sharp's default gives every op one
 * thread per core). Also turns sharp's operation cache off: a converter never sees the same
 * image twice, so the cache only holds memory. Call once, before the first image is loaded.
 *
 * Note that sharp runs each op on libuv's thread pool (UV_THREADPOOL_SIZE, default 4), which
 * caps concurrent image ops whatever the caller keeps in flight.
 *
 * @example
 * configureImageConcurrency(jobs * 3); // { cores: 2, opsInFlight: 6, threadsPerOp: 1 }
 */
export function configureImageConcurrency(opsInFlight: number): ImageConcurrency {
  if (typeof opsInFlight !== 'number' || !Number.isInteger(opsInFlight) || opsInFlight < 1 || opsInFlight > 4096) {
    throw invalidParameterError('opsInFlight', 'integer between 1 and 4096', opsInFlight);
  }
  const cores = availableParallelism();
  const threadsPerOp = Math.max(1, Math.floor(cores / opsInFlight));
  const sharp = loadSharp();
  sharp.concurrency(threadsPerOp);
  sharp.cache(false);
  return { cores, opsInFlight, threadsPerOp };
}
