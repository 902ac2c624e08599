/** A pool of read workers: each reads its share of the input files into a ring shared with the main thread and digests them there, so pass-through uses every core. */
import { Worker } from 'node:worker_threads';
import type { TfVerdict } from '../../image/decodable.js';
import { RING_BYTES, RING_SLOTS, type ReadPlan, type ReadReply, type ReadWorkerData } from './ring.js';

/** What {@link ReadWorkerPool.read} resolves to for a readable file. */
export interface WorkerRead {
  /** The whole file: a view of a worker's ring (or a buffer it handed over); give it back with {@link ReadWorkerPool.release}. */
  readonly bytes: Buffer;
  /** Hex SHA-256 of the bytes, or null when the pool was told not to compute it. */
  readonly sha256: string | null;
  /** Unmasked CRC-32C of the bytes (joined to the record's other parts with crc32cCombine). */
  readonly crc: number;
  /** checkTfDecodable's verdict on the bytes, under the pool's pixel limit. */
  readonly verdict: TfVerdict;
}

/** Options of {@link ReadWorkerPool}. */
export interface ReadWorkerPoolOptions {
  readonly sha256: boolean;
  readonly maxPixels: number;
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
  /** [slot]: set to 1 to give a lease back; [RING_SLOTS]: releases so far (the worker waits on it for room); [RING_SLOTS + 1]: 1 while it waits. */
  readonly freed: Int32Array;
  /** Files of this worker's plan not yet answered. */
  outstanding: number;
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
 * const pool = new ReadWorkerPool(2, { sha256: true, maxPixels: 1e8 });
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
        ring: new SharedArrayBuffer(RING_BYTES), freed: new SharedArrayBuffer((RING_SLOTS + 2) * 4), sha256: options.sha256, maxPixels: options.maxPixels,
      };
      const slot: Slot = { worker: startWorker(data), ring: data.ring, freed: new Int32Array(data.freed), outstanding: 0 };
      slot.worker.on('message', (replies: ReadReply[]) => {
        for (const reply of replies) this.settle(slot, reply);
      });
      slot.worker.on('error', (error) => this.failAll(error));
      // Idle workers must not keep the process alive.
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  /** Deals `paths` to the workers, which start reading at once; they are files {@link planned}.. of {@link read}. */
  plan(paths: readonly string[]): void {
    const size = this.slots.length;
    for (const [k, slot] of this.slots.entries()) {
      const ids: number[] = [];
      const mine: string[] = [];
      for (let i = k; i < paths.length; i += size) {
        ids.push(this.planned + i);
        mine.push(paths[i] as string);
      }
      if (ids.length === 0) continue;
      if (slot.outstanding === 0) slot.worker.ref();
      slot.outstanding += ids.length;
      slot.worker.postMessage({ ids, paths: mine } satisfies ReadPlan);
    }
    this.planned += paths.length;
  }

  /** Files planned so far. */
  get size(): number {
    return this.planned;
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
    return new Promise<WorkerRead>((resolve, reject) => this.entries.set(id, { resolve, reject }));
  }

  /** Gives back a view from {@link read} (that same object) once nothing reads it any more; anything else is ignored. */
  release(bytes: Uint8Array): void {
    const lease = this.leases.get(bytes);
    if (lease === undefined) return;
    this.leases.delete(bytes);
    const { freed } = lease.slot;
    Atomics.store(freed, lease.index, 1);
    Atomics.add(freed, RING_SLOTS, 1);
    // A wake-up costs a system call: only for a worker waiting for room (see the worker's allocate).
    if (Atomics.load(freed, RING_SLOTS + 1) === 1) Atomics.notify(freed, RING_SLOTS);
  }

  /** Stops the workers. Files not yet asked for are left unread: the run that planned them is over. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private settle(slot: Slot, reply: ReadReply): void {
    slot.outstanding--;
    if (slot.outstanding === 0) slot.worker.unref();
    const waiter = this.entries.get(reply.id);
    if (waiter === undefined || 'reply' in waiter) {
      this.entries.set(reply.id, { reply, slot });
      return;
    }
    this.entries.delete(reply.id);
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
    to.resolve({ bytes, sha256: reply.sha256, crc: reply.crc, verdict: reply.verdict });
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
