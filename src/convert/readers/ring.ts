/** What the main thread and the read workers share: the ring's layout constants and the messages between them. */
import type { TfVerdict } from '../../image/decodable.js';

/**
 * Bytes of each worker's shared ring. It must hold more than the records the main thread keeps
 * until a write completes (two write batches of 4 MiB, each overrun by at most one file of
 * {@link MAX_RING_FILE_BYTES}), or a worker would wait for room only a later file frees.
 */
export const RING_BYTES = 16 * 1024 * 1024;
/** Leases a ring can have out at once (one flag each). */
export const RING_SLOTS = 4096;
/** Regions start on this boundary. */
export const ALIGN_BYTES = 64;
/** Larger files are read by the main thread itself (worker replies 'large'), so one file cannot take the ring. */
export const MAX_RING_FILE_BYTES = 2 * 1024 * 1024;
/** Replies a worker gathers before it posts them (one message per this many files). */
export const REPLY_BATCH = 8;
/** Milliseconds a worker waits for room in its ring before it reads into a buffer of its own instead. */
export const RING_WAIT_MS = 200;

/** What a worker is started with. */
export interface ReadWorkerData {
  /** The ring the worker reads files into; the main thread makes views of it. */
  readonly ring: SharedArrayBuffer;
  /** Int32 per slot: the main thread stores 1 when it gives a region back; then [RING_SLOTS] counts releases (a worker waits on it), [RING_SLOTS + 1] is 1 while it waits. */
  readonly freed: SharedArrayBuffer;
  /** Compute SHA-256 of each file (false: the run stores no image/key/sha256). */
  readonly sha256: boolean;
  /** Pixel limit of the TensorFlow verdict (--max-pixels). */
  readonly maxPixels: number;
}

/** The files a worker reads, in this order (`ids[i]` for `paths[i]`); answered by messages of `ReadReply[]`. */
export interface ReadPlan {
  readonly ids: readonly number[];
  readonly paths: readonly string[];
}

/**
 * A worker's answer for one file: where its bytes are (a ring region, `slot` >= 0; or `store`, a
 * transferred buffer of its own) with its digests; or why it could not be read ('large': read it
 * on the main thread).
 */
export type ReadReply =
  | {
    readonly id: number; readonly ok: true; readonly slot: number; readonly offset: number; readonly length: number;
    readonly store: ArrayBuffer | null; readonly sha256: string | null; readonly crc: number; readonly verdict: TfVerdict;
  }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };
