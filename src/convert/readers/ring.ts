/** What the main thread and the read workers share: the ring's layout constants and the messages between them. */
import type { Feature, Features } from '../../example/index.js';
import type { TfVerdict } from '../../image/decodable.js';
import type { EncodedImage, ImageSettings } from '../../image/index.js';
import type { Schema } from '../../dataset/schema.js';

/**
 * Bytes of each worker's shared ring: the files in flight and those the main thread holds until a
 * write completes (its share of two 4 MiB write batches). When the ring is full of records the main
 * thread cannot write before the file it waits for, the worker reads that file into a buffer of its
 * own (see the worker's allocate), so a small ring costs speed, never a hang. 8 MiB measured as fast
 * as 16 on 5,000 files, with 10-15 MiB less RSS (both rings are touched over a run).
 */
export const RING_BYTES = 8 * 1024 * 1024;
/** Leases a ring can have out at once (one flag each). */
export const RING_SLOTS = 4096;
/** Regions start on this boundary. */
export const ALIGN_BYTES = 64;
/** Larger files are read by the main thread itself (worker replies 'large'), so one file cannot take the ring. */
export const MAX_RING_FILE_BYTES = 2 * 1024 * 1024;
/**
 * Room kept before and after a file's bytes in the ring, so that a record built around them (the
 * Example's keys before image/encoded, and those after it) is one contiguous run of the ring.
 */
export const RECORD_ROOM_BEFORE = 1024;
export const RECORD_ROOM_AFTER = 2048;
/**
 * Replies a worker gathers before it posts them (one message per this many files), unless the main
 * thread waits for one of them (its `wanted` cell), which posts them at once.
 */
export const REPLY_BATCH = 32;
/** Milliseconds between a waiting worker's checks of {@link CONTROL.wanted} (a wake-up can be missed in a race). */
export const RING_WAIT_SLICE_MS = 50;

/**
 * Int32 cells after the per-slot flags of `ReadWorkerData.freed`, at RING_SLOTS + these offsets:
 * `releases` counts the leases given back (a worker waits on it for room); `waiting` is 1 while it
 * waits; `wanted` is the id of the file the main thread waits for from this worker (-1: none).
 */
export const CONTROL = { releases: 0, waiting: 1, wanted: 2 } as const;
/** Cells of `ReadWorkerData.freed`: a flag per slot, then the control cells. */
export const FREED_CELLS = RING_SLOTS + 3;

/** What a worker is started with. */
export interface ReadWorkerData {
  /** The ring the worker reads files into; the main thread makes views of it. */
  readonly ring: SharedArrayBuffer;
  /** {@link FREED_CELLS} int32s: per slot, 1 once the main thread has given that region back; then the {@link CONTROL} cells. */
  readonly freed: SharedArrayBuffer;
  /** Compute SHA-256 of each file (false: the run stores no image/key/sha256). */
  readonly sha256: boolean;
  /** The run's image settings (the verdict's pixel limit is theirs) and schema: a worker builds the record of a file stored as it is. */
  readonly image: ImageSettings;
  readonly schema: Schema;
}

/** What a worker needs to build one file's Example besides its bytes (see buildLabelledFeatures). */
export interface RecordPlan {
  readonly relPath: string;
  readonly label: Feature | null;
  readonly text: Feature | null;
  readonly extra: Features;
}

/** A record a worker built around a file's bytes: the reply's region (or store) then holds the whole Example. */
export interface BuiltRecord {
  /** The stored image, less its bytes (they are at `imageOffset` in the payload). */
  readonly image: Omit<EncodedImage, 'bytes'>;
  readonly imageOffset: number;
  readonly imageLength: number;
  /**
   * The record's keys and kinds, by number: each worker numbers the distinct key lists it meets and
   * sends a list (`newKeys`) only with its first record; a reply's size is what a message costs.
   */
  readonly keysId: number;
  readonly newKeys: (readonly [string, Feature['kind']])[] | null;
}

/** The files a worker reads, in this order (`ids[i]` for `paths[i]`); answered by messages of `ReadReply[]`. */
export interface ReadPlan {
  readonly ids: readonly number[];
  readonly paths: readonly string[];
  /** Per file: what its record needs, or null to only read and digest it (the main thread builds the record). */
  readonly records: readonly (RecordPlan | null)[];
}

/**
 * A worker's answer for one file: where its bytes are (a ring region, `slot` >= 0; or `store`, a
 * transferred buffer of its own) with its digests; or why it could not be read ('large': read it
 * on the main thread).
 */
export type ReadReply =
  | {
    readonly id: number; readonly ok: true; readonly slot: number; readonly offset: number; readonly length: number;
    readonly store: ArrayBuffer | null; readonly sha256: string | null; readonly crc: number;
    /** The bytes' verdict; null when the worker built the record (nothing else needs it then). */
    readonly verdict: TfVerdict | null;
    /** Non-null: the region holds this record's whole Example (`crc` is its CRC-32C), built around the file's bytes. */
    readonly record: BuiltRecord | null;
  }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };
