/** Reads input files into reused buffers, so a run does not churn memory one fresh buffer per file. */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

/** Buffers are kept in classes of this granularity (a 97 KB file takes a 112 KiB buffer). */
const CLASS_BYTES = 16 * 1024;
/**
 * Non-blocking open: a FIFO's open would otherwise wait for a writer. It changes nothing for a
 * regular file, and anything else is handed back to the caller before a byte is read.
 */
export const READ_OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads the regular file open on `fd` from its start into `into`, one read per call until a short
 * one: the byte count, or -1 when the file fills `into` (give it one byte more room than its size
 * at fstat, and -1 says it grew since). A regular file's read returns less than asked only at its
 * end, so no second read to see 0.
 *
 * @example
 * const n = readUntilShort(fd, Buffer.allocUnsafe(size + 1)); // n === size, or -1 if it grew
 */
export function readUntilShort(fd: number, into: Uint8Array): number {
  let filled = 0;
  for (;;) {
    const asked = into.length - filled;
    const n = readSync(fd, into, filled, asked, filled);
    filled += n;
    if (filled === into.length) return -1;
    if (n < asked) return filled;
  }
}
/** Files above this size get a buffer of their own, which is garbage-collected as before. */
const MAX_POOLED_BYTES = 4 * 1024 * 1024;

/**
 * A pool of read buffers. {@link read} returns a file's bytes in a pooled buffer; the caller
 * gives it back with {@link release} once nothing refers to those bytes any more (its record
 * has been written). A buffer never given back is simply garbage-collected.
 *
 * Why: reading every file into a fresh Buffer left tens of MiB of dead buffers waiting for V8 to
 * notice them (a full GC every ~60 ms on a pass-through run), and that grew with the run's length.
 * Reused buffers keep the resident set at about (files in flight + files in unwritten batches) x
 * their size, however many files there are.
 *
 * @example
 * const pool = new ReadBufferPool(32 * 2 ** 20);
 * const bytes = pool.read('cat.jpg');
 * // ... once written:
 * pool.release(bytes);
 */
export class ReadBufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /**
   * Pooled buffers handed out, each with the very view it was lent as: only that view gives it
   * back, once. A late second release of an earlier lease must not free the buffer under its
   * next borrower.
   */
  private readonly lent = new WeakMap<ArrayBuffer, Buffer>();
  private freeBytes = 0;
  private readonly maxFreeBytes: number;

  constructor(maxFreeBytes: number) {
    this.maxFreeBytes = maxFreeBytes;
  }

  /**
   * The whole file at `path`, or null when it is not a regular file: a FIFO or device can block
   * its open or read for ever, which must not stop the event loop (an interrupt could not be
   * handled), so the caller reads those asynchronously. Throws what `fs.openSync`, `fstatSync` and
   * `readSync` throw.
   */
  read(path: string): Buffer | null {
    const fd = openSync(path, READ_OPEN_FLAGS);
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) return null;
      const size = stats.size;
      if (size >= MAX_POOLED_BYTES) return readFileSync(fd);
      // One byte of room beyond the size on disk tells a file that grew since fstat.
      const capacity = (Math.floor(size / CLASS_BYTES) + 1) * CLASS_BYTES;
      const reused = this.free.get(capacity)?.pop();
      if (reused !== undefined) this.freeBytes -= capacity;
      const store = reused ?? new ArrayBuffer(capacity);
      const buffer = Buffer.from(store, 0, capacity);
      const filled = readUntilShort(fd, buffer);
      if (filled < 0) {
        // The file grew past the room left: read it whole instead.
        this.giveBack(store);
        return readFileSync(path);
      }
      const bytes = buffer.subarray(0, filled);
      this.lent.set(store, bytes);
      return bytes;
    } finally {
      closeSync(fd);
    }
  }

  /** Gives back the buffer that {@link read} returned (that same object); anything else is ignored. */
  release(bytes: Uint8Array): void {
    const store = bytes.buffer;
    if (!(store instanceof ArrayBuffer) || this.lent.get(store) !== bytes) return;
    this.lent.delete(store);
    this.giveBack(store);
  }

  private giveBack(store: ArrayBuffer): void {
    if (this.freeBytes + store.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(store.byteLength);
    if (list === undefined) {
      list = [];
      this.free.set(store.byteLength, list);
    }
    list.push(store);
    this.freeBytes += store.byteLength;
  }
}
