/** Worker-thread side of ReadWorkerPool: reads its share of the files into a shared ring and digests them there (SHA-256, CRC-32C, TensorFlow verdict). */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { crc32c } from '../../record/crc32c.js';
import { checkTfDecodable } from '../../image/decodable.js';
import {
  ALIGN_BYTES, MAX_RING_FILE_BYTES, REPLY_BATCH, RING_SLOTS, RING_WAIT_MS, type ReadPlan, type ReadReply, type ReadWorkerData,
} from './ring.js';

/** Non-blocking open: a FIFO's open would otherwise wait for a writer (it is refused after fstat). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

const data = workerData as ReadWorkerData;
const ring = new Uint8Array(data.ring);
/** [slot]: 1 once the main thread has given that lease back (reset here on reuse); [RING_SLOTS]: releases so far; [RING_SLOTS + 1]: 1 while waiting for room. */
const freed = new Int32Array(data.freed);

interface Region {
  readonly slot: number;
  readonly start: number;
}

/** Regions lent out, oldest first: the ring is reclaimed from the front as they come back. */
const lent: Region[] = [];
let head = 0;
let nextSlot = 0;

/** Takes back the regions at the front of the ring that the main thread has released. */
function reclaim(): void {
  while (lent.length > 0 && Atomics.load(freed, (lent[0] as Region).slot) === 1) {
    Atomics.store(freed, (lent.shift() as Region).slot, 0);
  }
  if (lent.length === 0) head = 0;
}

/** A region of `size` bytes in the ring, or null when it has no room now. */
function tryAllocate(size: number): Region | null {
  reclaim();
  if (lent.length >= RING_SLOTS) return null;
  const aligned = Math.ceil(size / ALIGN_BYTES) * ALIGN_BYTES;
  let start: number | null;
  if (lent.length === 0) start = aligned <= ring.length ? 0 : null;
  else {
    const tail = (lent[0] as Region).start;
    // Lent: [tail, head) when head > tail, else [tail, end) and [0, head) (head === tail: full).
    if (head > tail) start = head + aligned <= ring.length ? head : aligned <= tail ? 0 : null;
    else start = head + aligned <= tail ? head : null;
  }
  if (start === null) return null;
  const region = { slot: nextSlot, start };
  nextSlot = (nextSlot + 1) % RING_SLOTS;
  lent.push(region);
  head = start + aligned;
  return region;
}

/** Releases counted when a wait for room last timed out: until the count moves, the ring is stuck and nobody waits again. */
let stuckAt = -1;

/**
 * A region of `size` bytes, waiting (replies posted first) while the main thread writes what the
 * ring holds; null after {@link RING_WAIT_MS} without room, so the caller reads into a buffer of
 * its own: nothing can then wait for ever, whatever the main thread holds on to.
 */
function allocate(size: number, flush: () => void): Region | null {
  const region = tryAllocate(size);
  if (region !== null) return region;
  flush();
  const deadline = Date.now() + RING_WAIT_MS;
  // Waiting first, then the count: a release the main thread makes after it saw no waiter is
  // then either in the count (the wait returns at once) or visible to tryAllocate.
  Atomics.store(freed, RING_SLOTS + 1, 1);
  try {
    for (;;) {
      const releases = Atomics.load(freed, RING_SLOTS);
      const again = tryAllocate(size);
      if (again !== null) return again;
      const left = deadline - Date.now();
      if (left <= 0 || releases === stuckAt) {
        stuckAt = releases;
        return null;
      }
      Atomics.wait(freed, RING_SLOTS, releases, left);
    }
  } finally {
    Atomics.store(freed, RING_SLOTS + 1, 0);
  }
}

/** Gives back the newest region (the file did not fit it after all). */
function unallocate(): void {
  const region = lent.pop() as Region;
  nextSlot = region.slot;
  head = lent.length === 0 ? 0 : region.start;
}

/** Reads the whole file behind `fd` into `into`: the count, or -1 when it fills `into` (it grew since fstat). */
function readInto(fd: number, into: Uint8Array): number {
  let filled = 0;
  for (;;) {
    const asked = into.length - filled;
    const n = readSync(fd, into, filled, asked, filled);
    filled += n;
    if (filled === into.length) return -1;
    // A regular file's read returns less than asked only at its end: no second read to see 0.
    if (n < asked) return filled;
  }
}

type Located = { slot: number; offset: number; length: number; store: null } | { slot: -1; offset: 0; length: number; store: ArrayBuffer };

/** Reads `path` into the ring (one byte of room beyond its size tells a file that grew), else into a buffer of its own. */
function readFile(path: string, flush: () => void): Located | 'not-a-regular-file' | 'large' {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return 'not-a-regular-file';
    const room = stats.size + 1;
    if (room > MAX_RING_FILE_BYTES) return 'large';
    const region = allocate(room, flush);
    if (region !== null) {
      const length = readInto(fd, ring.subarray(region.start, region.start + room));
      if (length >= 0) return { slot: region.slot, offset: region.start, length, store: null };
      unallocate();
    } else {
      const own = new Uint8Array(room);
      const length = readInto(fd, own);
      if (length >= 0) return { slot: -1, offset: 0, length, store: own.buffer };
    }
    // It grew since fstat: read it whole.
    const whole = readFileSync(fd);
    return { slot: -1, offset: 0, length: whole.length, store: whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.length) as ArrayBuffer };
  } finally {
    closeSync(fd);
  }
}

async function readOne(id: number, path: string, flush: () => void): Promise<ReadReply> {
  try {
    const located = readFile(path, flush);
    if (located === 'not-a-regular-file') return { id, ok: false, code: located, message: 'not a regular file' };
    if (located === 'large') return { id, ok: false, code: located, message: 'read on the main thread' };
    const bytes = located.store === null ? Buffer.from(data.ring, located.offset, located.length) : Buffer.from(located.store, 0, located.length);
    const sha256 = data.sha256 ? createHash('sha256').update(bytes).digest('hex') : null;
    const crc = crc32c(bytes);
    const verdict = await checkTfDecodable(bytes, { maxPixels: data.maxPixels });
    return { id, ok: true, ...located, sha256, crc, verdict };
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return { id, ok: false, code: code ?? 'error', message };
  }
}

/** Reads a plan's files in order, posting replies in batches (a message costs ~30 us of both threads). */
async function readPlan(plan: ReadPlan): Promise<void> {
  let replies: ReadReply[] = [];
  const flush = (): void => {
    if (replies.length === 0) return;
    const transfers = replies.flatMap((reply) => (reply.ok && reply.store !== null ? [reply.store] : []));
    parentPort?.postMessage(replies, transfers);
    replies = [];
  };
  for (const [i, path] of plan.paths.entries()) {
    // Not `replies.push(await ...)`: that takes the array before readOne, whose wait for room may post and replace it.
    const reply = await readOne(plan.ids[i] as number, path, flush);
    replies.push(reply);
    if (replies.length >= REPLY_BATCH) flush();
  }
  flush();
}

/** Plans are read one after another, never interleaved (a plan's reads await PNG inflation). */
let reading: Promise<void> = Promise.resolve();
parentPort?.on('message', (plan: ReadPlan) => {
  reading = reading.then(() => readPlan(plan));
});
