/** SHA-256 of input files on a worker thread, which reads them in place from the read pool's shared memory. */
import { Worker } from 'node:worker_threads';
import { sha256Hex } from './features.js';

// Plain CommonJS evaluated in the worker: no file to locate from src/ or dist/, no loader needed.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ([id, view]) => {
  parentPort.postMessage([id, createHash('sha256').update(view).digest('hex')]);
});
`;

interface Job {
  readonly bytes: Uint8Array;
  readonly resolve: (hex: string) => void;
}

/**
 * Hashes buffers on a second thread, so the main thread reads, checks and writes the next files
 * meanwhile: SHA-256 is the largest CPU cost of a pass-through run (~0.25 s of 0.9 s for 5,000
 * files here). Buffers over a SharedArrayBuffer (ReadBufferPool's) are hashed where they lie;
 * WebCrypto's digest, which this replaces, copied every file first and cost more main-thread time
 * than hashing there. Other buffers (re-encoded images, mostly small) are hashed on the calling
 * thread, and so is everything if the worker cannot run.
 *
 * @example
 * const hasher = new Sha256Hasher();
 * const hex = await hasher.hash(bytes);
 * hasher.close();
 */
export class Sha256Hasher {
  private worker: Worker | null = null;
  private broken = false;
  private nextId = 0;
  private readonly pending = new Map<number, Job>();

  /** Hex SHA-256 of `bytes`, which must not change until the promise settles. */
  hash(bytes: Uint8Array): Promise<string> {
    if (!(bytes.buffer instanceof SharedArrayBuffer) || this.broken) return Promise.resolve(sha256Hex(bytes));
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<string>((resolve) => {
      // Only a thread with work to do keeps the process alive.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { bytes, resolve });
      worker.postMessage([id, bytes]);
    });
  }

  /** Stops the worker; hashes still pending are finished on this thread. */
  close(): void {
    const worker = this.worker;
    this.worker = null;
    this.broken = true;
    this.finishHere();
    if (worker !== null) void worker.terminate();
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } });
    worker.unref();
    worker.on('message', ([id, hex]: [number, string]) => {
      const job = this.pending.get(id);
      if (job === undefined) return;
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      job.resolve(hex);
    });
    const fail = (): void => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.broken = true;
      this.finishHere();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }

  private finishHere(): void {
    for (const [id, job] of this.pending) {
      this.pending.delete(id);
      job.resolve(sha256Hex(job.bytes));
    }
  }
}
