/** A pool of worker threads that read input files and digest them (SHA-256, CRC-32C, structure verdict) off the main thread (prototype for issue 16). */
import { Worker } from 'node:worker_threads';
import type { TfVerdict } from '../image/decodable.js';

/** One file for a worker: what to compute besides reading it. */
export interface DigestTask {
  readonly id: number;
  readonly path: string;
  readonly sha256: boolean;
  readonly crc: boolean;
  readonly validate: boolean;
}

/** Many files in one message (`ids[i]` for `paths[i]`), answered by one message `{ batch: DigestReply[] }`. */
export interface DigestBatch {
  readonly ids: readonly number[];
  readonly paths: readonly string[];
  readonly sha256: boolean;
  readonly crc: boolean;
  readonly validate: boolean;
}

/** A worker's answer: the file's bytes (transferred, not copied) and its digests, or why it could not be read. */
export type DigestReply =
  | { readonly id: number; readonly ok: true; readonly store: ArrayBuffer; readonly length: number; readonly sha256: string | null; readonly crc: number | null; readonly verdict: TfVerdict | null }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/** What {@link HashWorkerPool.digest} resolves to for a readable file. */
export interface FileDigest {
  /** The whole file, in a buffer that came from the worker; give it back with {@link HashWorkerPool.release} once written. */
  readonly bytes: Buffer;
  readonly sha256: string | null;
  /** Unmasked CRC-32C of the bytes (join it to the record's other parts with crc32cCombine). */
  readonly crc: number | null;
  readonly verdict: TfVerdict | null;
}

/** Options of {@link HashWorkerPool}. */
export interface HashWorkerPoolOptions {
  readonly sha256?: boolean;
  readonly crc?: boolean;
  readonly validate?: boolean;
}

/**
 * The worker script next to this module. Run from the TypeScript sources (tests, tsx), a worker does
 * not inherit tsx's loader hooks, so it registers them itself before importing the .ts entry.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./hash-worker.js', import.meta.url));
  const entry = new URL('./hash-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

interface Slot {
  readonly worker: Worker;
  outstanding: number;
  /** A batch is at the worker: requests wait in `queue` and go as the next batch when it answers. */
  busy: boolean;
  readonly queue: { id: number; path: string }[];
}

/**
 * `size` worker threads, each reading the files it is given into its own reused buffers and
 * hashing them there; the main thread only orders results and writes. Buffers travel by transfer
 * (no copy) both ways.
 *
 * @example
 * const pool = new HashWorkerPool(2, { sha256: true, crc: true, validate: true });
 * const { bytes, sha256, crc } = await pool.digest('cats/1.jpg');
 * // ... once the record is written:
 * pool.release(bytes);
 * await pool.close();
 */
export class HashWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { resolve: (d: FileDigest) => void; reject: (e: Error) => void; slot: Slot }>();
  /** Which worker made each buffer, so it goes back to the same one. */
  private readonly owners = new WeakMap<ArrayBuffer, Slot>();
  private nextId = 0;
  private readonly flags: Required<HashWorkerPoolOptions>;

  constructor(size: number, options: HashWorkerPoolOptions = {}) {
    this.flags = { sha256: options.sha256 ?? true, crc: options.crc ?? true, validate: options.validate ?? true };
    for (let i = 0; i < size; i++) {
      const slot: Slot = { worker: startWorker(), outstanding: 0, busy: false, queue: [] };
      slot.worker.on('message', (reply: DigestReply | { batch: DigestReply[] }) => {
        if ('batch' in reply) {
          slot.busy = false;
          for (const one of reply.batch) this.settle(slot, one);
          this.sendQueued(slot);
        } else this.settle(slot, reply);
      });
      slot.worker.on('error', (error) => this.failAll(error));
      // Idle workers must not keep the process alive.
      slot.worker.unref();
      this.slots.push(slot);
    }
  }

  /**
   * Reads and digests `path` on the least busy worker. Requests made while that worker has a batch
   * in progress wait and go together as its next batch (one message each way per batch, as Nagle's
   * algorithm does for packets), so callers that ask one file at a time still pay per batch.
   */
  digest(path: string): Promise<FileDigest> {
    const slot = this.slots.reduce((best, s) => (s.outstanding < best.outstanding ? s : best));
    const id = this.nextId++;
    slot.outstanding++;
    if (slot.outstanding === 1) slot.worker.ref();
    return new Promise<FileDigest>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.queue.push({ id, path });
      if (!slot.busy) this.sendQueued(slot);
    });
  }

  private sendQueued(slot: Slot): void {
    if (slot.queue.length === 0) return;
    const batch = slot.queue.splice(0);
    slot.busy = true;
    slot.worker.postMessage({ ids: batch.map((t) => t.id), paths: batch.map((t) => t.path), ...this.flags } satisfies DigestBatch);
  }

  /**
   * Reads and digests `paths` on one worker, as one message each way: the per-message cost
   * (~50 us of both threads) is paid once per batch, not per file. Results keep the order of `paths`.
   */
  digestBatch(paths: readonly string[]): Promise<FileDigest>[] {
    const slot = this.slots.reduce((best, s) => (s.outstanding < best.outstanding ? s : best));
    const id = this.nextId;
    this.nextId += paths.length;
    if (slot.outstanding === 0) slot.worker.ref();
    slot.outstanding += paths.length;
    const promises = paths.map((path, i) => new Promise<FileDigest>((resolve, reject) => {
      this.pending.set(id + i, { resolve, reject, slot });
      slot.queue.push({ id: id + i, path });
    }));
    if (!slot.busy) this.sendQueued(slot);
    return promises;
  }

  /** Gives many buffers back at once (one message per worker). */
  releaseMany(list: readonly Buffer[]): void {
    const bySlot = new Map<Slot, ArrayBuffer[]>();
    for (const bytes of list) {
      const store = bytes.buffer as ArrayBuffer;
      const slot = this.owners.get(store);
      if (slot === undefined) continue;
      this.owners.delete(store);
      const stores = bySlot.get(slot);
      if (stores === undefined) bySlot.set(slot, [store]);
      else stores.push(store);
    }
    for (const [slot, stores] of bySlot) slot.worker.postMessage({ giveMany: stores }, stores);
  }

  /**
   * Gives a buffer from {@link digest} back to the worker that filled it (it is detached here
   * afterwards). Buffers given back in one turn of the event loop (a writev's records) travel
   * together: one message per worker.
   */
  release(bytes: Buffer): void {
    this.returning.push(bytes);
    if (this.returning.length === 1) setImmediate(this.flushReturning);
  }

  private readonly returning: Buffer[] = [];
  private readonly flushReturning = (): void => {
    if (this.closed) return;
    this.releaseMany(this.returning.splice(0));
  };
  private closed = false;

  /** Stops the workers. */
  async close(): Promise<void> {
    // Requests still pending are left unsettled: the run that made them is over.
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private settle(slot: Slot, reply: DigestReply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    slot.outstanding--;
    if (slot.outstanding === 0) slot.worker.unref();
    if (!reply.ok) {
      // The message is the fs error's own (it starts with its code), as a read on this thread words it.
      waiter.reject(Object.assign(new Error(reply.message), { code: reply.code }));
      return;
    }
    this.owners.set(reply.store, slot);
    waiter.resolve({ bytes: Buffer.from(reply.store, 0, reply.length), sha256: reply.sha256, crc: reply.crc, verdict: reply.verdict });
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
