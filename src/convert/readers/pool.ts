/** A pool of read workers: each reads its share of the input files into a ring shared with the main thread and digests them there, so pass-through uses every core. */
import { Worker } from 'node:worker_threads';
import { InternalError } from '../../errors.js';
import type { Feature } from '../../example/index.js';
import type { TfVerdict } from '../../image/decodable.js';
import type { EncodedImage, ImageSettings } from '../../image/index.js';
import type { Schema } from '../../dataset/schema.js';
import { CONTROL, FREED_CELLS, RING_BYTES, RING_SLOTS, type ReadPlan, type ReadReply, type ReadWorkerData, type RecordPlan } from './ring.js';

export type { RecordPlan } from './ring.js';

/** What {@link ReadWorkerPool.read} resolves to for a readable file. */
export interface WorkerRead {
  /** The whole file: a view of a worker's ring (or a buffer it handed over); give it back with {@link ReadWorkerPool.release}. */
  readonly bytes: Buffer;
  /** Hex SHA-256 of the bytes, or null when the pool was told not to compute it. */
  readonly sha256: string | null;
  /** Unmasked CRC-32C of the bytes (joined to the record's other parts with crc32cCombine). */
  readonly crc: number;
  /** checkTfDecodable's verdict on the bytes, under the pool's pixel limit; null when the worker built the record. */
  readonly verdict: TfVerdict | null;
  /**
   * Non-null when the worker stored the file as it is and built its record: `bytes` is then the
   * whole Example (and `crc` its CRC-32C), `image.bytes` the file's bytes within it.
   */
  readonly record: { readonly image: EncodedImage; readonly keys: readonly (readonly [string, Feature['kind']])[] } | null;
}

/** One file for the workers: its path, and what its record needs (null: read and digest only). */
export interface PlannedRead {
  readonly path: string;
  readonly record: RecordPlan | null;
}

/** Options of {@link ReadWorkerPool}. */
export interface ReadWorkerPoolOptions {
  /** Compute each file's SHA-256 (and put it in the records built: image/key/sha256). */
  readonly sha256: boolean;
  /** The run's image settings (the verdict's pixel limit is theirs) and schema, for the records the workers build. */
  readonly image: ImageSettings;
  readonly schema: Schema;
}

/**
 * The worker script next to this module. Run from the TypeScript sources (tests, tsx), a worker does
 * not inherit tsx's loader hooks, so it registers them itself before importing the .ts entry.
 */
function startWorker(data: ReadWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

interface Slot {
  readonly worker: Worker;
  readonly ring: SharedArrayBuffer;
  /** [slot]: set to 1 to give a lease back; then the CONTROL cells (releases, waiting, wanted). */
  readonly freed: Int32Array;
  /** Files of this worker's plan not yet answered. */
  outstanding: number;
  /** Ids of this worker's files that callers wait for, oldest first (its `wanted` cell holds the first). */
  readonly waitedFor: number[];
  /** The key lists of the records this worker built, by BuiltRecord.keysId. */
  readonly keyLists: (readonly (readonly [string, Feature['kind']])[])[];
}

/** A reply that came before its file was asked for, or a caller waiting for one. */
type Entry = { readonly reply: ReadReply; readonly slot: Slot } | { readonly resolve: (read: WorkerRead) => void; readonly reject: (error: Error) => void };

/**
 * `size` worker threads that read files into rings of shared memory and hash them there (SHA-256,
 * CRC-32C, the TensorFlow verdict). {@link plan} gives them the run's files at once, dealt in turn
 * (file i to worker i mod size), and each reads its share in order as fast as its ring has room;
 * the main thread asks for file i with {@link read}, gets a view of the ring, and gives the region
 * back with {@link release} once written. Nothing is copied or transferred on the way, and replies
 * travel a batch per message.
 *
 * @example
 * const pool = new ReadWorkerPool(2, { sha256: true, image: DEFAULT_IMAGE_SETTINGS, schema: resolveSchema('inception') });
 * pool.plan(['cats/1.jpg', 'dogs/2.jpg']);
 * const { bytes, sha256, crc, verdict } = await pool.read(0);
 * // ... once the record is written:
 * pool.release(bytes);
 * await pool.close();
 */
export class ReadWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly entries = new Map<number, Entry>();
  /** The ring lease behind each view handed out: its worker and slot. */
  private readonly leases = new WeakMap<Uint8Array, { slot: Slot; index: number }>();
  private planned = 0;
  private failure: Error | null = null;

  constructor(size: number, options: ReadWorkerPoolOptions) {
    for (let i = 0; i < size; i++) {
      const data: ReadWorkerData = {
        ring: new SharedArrayBuffer(RING_BYTES), freed: new SharedArrayBuffer(FREED_CELLS * 4), sha256: options.sha256, image: options.image, schema: options.schema,
      };
      const slot: Slot = { worker: startWorker(data), ring: data.ring, freed: new Int32Array(data.freed), outstanding: 0, waitedFor: [], keyLists: [] };
      Atomics.store(slot.freed, RING_SLOTS + CONTROL.wanted, -1);
      slot.worker.on('message', (replies: ReadReply[]) => {
        for (const reply of replies) this.settle(slot, reply);
      });
      slot.worker.on('error', (error) => this.failAll(error));
      // Idle workers must not keep the process alive.
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  /** Deals `files` to the workers (once per pool), which start reading at once; they are files 0.. of {@link read}. */
  plan(files: readonly (PlannedRead | string)[]): void {
    if (this.planned > 0) throw new InternalError('ReadWorkerPool.plan called twice');
    const size = this.slots.length;
    for (const [k, slot] of this.slots.entries()) {
      const ids: number[] = [];
      const paths: string[] = [];
      const records: (RecordPlan | null)[] = [];
      for (let i = k; i < files.length; i += size) {
        const file = files[i] as PlannedRead | string;
        ids.push(this.planned + i);
        paths.push(typeof file === 'string' ? file : file.path);
        records.push(typeof file === 'string' ? null : file.record);
      }
      if (ids.length === 0) continue;
      if (slot.outstanding === 0) slot.worker.ref();
      slot.outstanding += ids.length;
      slot.worker.postMessage({ ids, paths, records } satisfies ReadPlan);
    }
    this.planned += files.length;
  }

  /**
   * File `id` of the plan: its bytes and digests. Rejects with the read's error (its `code` the
   * errno's; 'not-a-regular-file' for a FIFO or device, which is never read; 'large' for a file the
   * caller should read itself).
   */
  read(id: number): Promise<WorkerRead> {
    if (!Number.isInteger(id) || id < 0 || id >= this.planned) return Promise.reject(new RangeError(`file ${id} is not in the plan (${this.planned} files)`));
    const early = this.entries.get(id);
    if (early !== undefined && 'reply' in early) {
      this.entries.delete(id);
      return new Promise<WorkerRead>((resolve, reject) => this.deliver(early.slot, early.reply, { resolve, reject }));
    }
    if (this.failure !== null) return Promise.reject(this.failure);
    const slot = this.slots[id % this.slots.length] as Slot;
    slot.waitedFor.push(id);
    // Replies of a worker come in its plan's order, and callers ask in that order too.
    if (slot.waitedFor.length === 1) this.want(slot, id);
    return new Promise<WorkerRead>((resolve, reject) => this.entries.set(id, { resolve, reject }));
  }

  /**
   * Tells `slot`'s worker which file this thread waits for: if the worker waits for room in its
   * ring for that very file, nothing this thread holds can be written before it, so the worker
   * reads it into a buffer of its own (see the worker's allocate).
   */
  private want(slot: Slot, id: number): void {
    Atomics.store(slot.freed, RING_SLOTS + CONTROL.wanted, id);
    if (Atomics.load(slot.freed, RING_SLOTS + CONTROL.waiting) === 1) Atomics.notify(slot.freed, RING_SLOTS + CONTROL.releases);
  }

  /** Gives back a view from {@link read} (that same object) once nothing reads it any more; anything else is ignored. */
  release(bytes: Uint8Array): void {
    const lease = this.leases.get(bytes);
    if (lease === undefined) return;
    this.leases.delete(bytes);
    const { freed } = lease.slot;
    Atomics.store(freed, lease.index, 1);
    Atomics.add(freed, RING_SLOTS + CONTROL.releases, 1);
    // A wake-up costs a system call: only for a worker waiting for room (see the worker's allocate).
    if (Atomics.load(freed, RING_SLOTS + CONTROL.waiting) === 1) Atomics.notify(freed, RING_SLOTS + CONTROL.releases);
  }

  /** Stops the workers. Files not yet asked for are left unread: the run that planned them is over. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private settle(slot: Slot, reply: ReadReply): void {
    slot.outstanding--;
    // Key lists are numbered in reply order: learn each as it first comes, whenever its file is asked for.
    if (reply.ok && reply.record?.newKeys != null) slot.keyLists[reply.record.keysId] = reply.record.newKeys;
    if (slot.outstanding === 0) slot.worker.unref();
    const waiter = this.entries.get(reply.id);
    if (waiter === undefined || 'reply' in waiter) {
      this.entries.set(reply.id, { reply, slot });
      return;
    }
    this.entries.delete(reply.id);
    if (slot.waitedFor[0] === reply.id) {
      slot.waitedFor.shift();
      this.want(slot, slot.waitedFor[0] ?? -1);
    }
    this.deliver(slot, reply, waiter);
  }

  private deliver(slot: Slot, reply: ReadReply, to: { resolve: (read: WorkerRead) => void; reject: (error: Error) => void }): void {
    if (!reply.ok) {
      // The message is the fs error's own (it starts with its code), as a read on this thread words it.
      to.reject(Object.assign(new Error(reply.message), { code: reply.code }));
      return;
    }
    const bytes = reply.store === null ? Buffer.from(slot.ring, reply.offset, reply.length) : Buffer.from(reply.store, 0, reply.length);
    if (reply.store === null) this.leases.set(bytes, { slot, index: reply.slot });
    const built = reply.record;
    const keys = built === null ? [] : slot.keyLists[built.keysId];
    if (keys === undefined) throw new InternalError(`read worker reply names key list ${built?.keysId} before sending it`);
    const record = built === null
      ? null
      : { image: { ...built.image, bytes: bytes.subarray(built.imageOffset, built.imageOffset + built.imageLength) } as EncodedImage, keys };
    to.resolve({ bytes, sha256: reply.sha256, crc: reply.crc, verdict: reply.verdict, record });
  }

  private failAll(error: Error): void {
    this.failure = error;
    for (const [id, entry] of this.entries) {
      if ('reject' in entry) {
        entry.reject(error);
        this.entries.delete(id);
      }
    }
  }
}
