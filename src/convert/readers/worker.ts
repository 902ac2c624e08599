/** Worker-thread side of ReadWorkerPool: reads its share of the files into a shared ring and digests them there (SHA-256, CRC-32C, TensorFlow verdict). */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { READ_OPEN_FLAGS, readUntilShort } from '../../runtime/read-pool.js';
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { crc32c } from '../../record/crc32c.js';
import { checkTfDecodable } from '../../image/decodable.js';
import { storeAsIs } from '../../image/keep.js';
import { buildLabelledFeatures } from '../../dataset/features.js';
import { encodeSchemaExample } from '../../dataset/schema.js';
import {
  ALIGN_BYTES, CONTROL, MAX_RING_FILE_BYTES, RECORD_ROOM_AFTER, RECORD_ROOM_BEFORE, REPLY_BATCH, RING_SLOTS, RING_WAIT_SLICE_MS,
  type BuiltRecord, type ReadPlan, type ReadReply, type ReadWorkerData, type RecordPlan,
} from './ring.js';

const data = workerData as ReadWorkerData;
const ring = new Uint8Array(data.ring);
/** [slot]: 1 once the main thread has given that lease back (reset here on reuse); then the CONTROL cells. */
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

/**
 * A region of `size` bytes for file `id`, waiting (replies posted first) while the main thread
 * writes what the ring holds. Null when the main thread is itself waiting for this very file: the
 * ring is then full of records it cannot write before this one, so the caller reads the file into
 * a buffer of its own. Nothing waits for ever, and memory stays bounded by the ring.
 */
function allocate(size: number, id: number, flush: () => void): Region | null {
  const region = tryAllocate(size);
  if (region !== null) return region;
  flush();
  // Waiting first, then the count: a release the main thread makes after it saw no waiter is
  // then either in the count (the wait returns at once) or visible to tryAllocate.
  Atomics.store(freed, RING_SLOTS + CONTROL.waiting, 1);
  try {
    for (;;) {
      const releases = Atomics.load(freed, RING_SLOTS + CONTROL.releases);
      const again = tryAllocate(size);
      if (again !== null) return again;
      if (Atomics.load(freed, RING_SLOTS + CONTROL.wanted) === id) return null;
      Atomics.wait(freed, RING_SLOTS + CONTROL.releases, releases, RING_WAIT_SLICE_MS);
    }
  } finally {
    Atomics.store(freed, RING_SLOTS + CONTROL.waiting, 0);
  }
}

/** Gives back the newest region (the file did not fit it after all). */
function unallocate(): void {
  const region = lent.pop() as Region;
  nextSlot = region.slot;
  head = lent.length === 0 ? 0 : region.start;
}

/** Where a file's bytes are: a ring region (with room `before` them for a record), or a buffer of its own. */
type Located =
  | { slot: number; offset: number; length: number; store: null; regionEnd: number }
  | { slot: -1; offset: 0; length: number; store: ArrayBuffer; regionEnd: 0 };

/** Reads `path` into the ring (one byte of room beyond its size tells a file that grew), else into a buffer of its own. */
function readFile(id: number, path: string, before: number, after: number, flush: () => void): Located | 'not-a-regular-file' | 'large' {
  const fd = openSync(path, READ_OPEN_FLAGS);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return 'not-a-regular-file';
    const room = stats.size + 1;
    if (room > MAX_RING_FILE_BYTES) return 'large';
    const region = allocate(before + room + after, id, flush);
    if (region !== null) {
      const offset = region.start + before;
      const length = readUntilShort(fd, ring.subarray(offset, offset + room));
      if (length >= 0) return { slot: region.slot, offset, length, store: null, regionEnd: offset + room + after };
      unallocate();
    } else {
      const own = new Uint8Array(room);
      const length = readUntilShort(fd, own);
      if (length >= 0) return { slot: -1, offset: 0, length, store: own.buffer, regionEnd: 0 };
    }
    // It grew since fstat: read it whole.
    const whole = readFileSync(fd);
    return { slot: -1, offset: 0, length: whole.length, store: whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.length) as ArrayBuffer, regionEnd: 0 };
  } finally {
    closeSync(fd);
  }
}

/** The key lists of the records built so far, numbered in the order first met (see BuiltRecord.keysId). */
const keyLists = new Map<string, number>();

/**
 * Builds the Example of a file stored as it is, around its bytes in the ring: the parts before
 * image/encoded go just before them, the rest just after, so the record is one run of the ring
 * and the main thread only frames and writes it. Null when the bytes are not stored as they are,
 * or the record does not fit around them (the main thread then builds it).
 */
function buildRecord(bytes: Buffer, located: Located, sha256: string | null, plan: RecordPlan, verdict: Awaited<ReturnType<typeof checkTfDecodable>>): { offset: number; length: number; built: BuiltRecord } | null {
  // --validate decode decodes every file on the main thread first (no read workers are started then).
  if (located.store !== null || data.image.validate === 'decode') return null;
  const image = storeAsIs(bytes, data.image, verdict);
  if (image === null) return null;
  const { payload, keys } = encodeSchemaExample(data.schema, buildLabelledFeatures(image, plan.relPath, sha256, plan.label, plan.text), plan.extra);
  const [head, body, tail] = payload;
  if (payload.length !== 3 || body !== bytes || head === undefined || tail === undefined) return null;
  const offset = located.offset - head.length;
  const end = located.offset + located.length + tail.length;
  if (head.length > RECORD_ROOM_BEFORE || end > located.regionEnd) return null;
  ring.set(head, offset);
  ring.set(tail, located.offset + located.length);
  const { bytes: _stored, ...summary } = image;
  const signature = keys.map(([key, kind]) => `${key}\0${kind}`).join('\0');
  let keysId = keyLists.get(signature);
  const newKeys = keysId === undefined ? keys : null;
  if (keysId === undefined) {
    keysId = keyLists.size;
    keyLists.set(signature, keysId);
  }
  return { offset, length: end - offset, built: { image: summary, imageOffset: head.length, imageLength: located.length, keysId, newKeys } };
}

async function readOne(id: number, path: string, plan: RecordPlan | null, flush: () => void): Promise<ReadReply> {
  try {
    const located = plan === null ? readFile(id, path, 0, 0, flush) : readFile(id, path, RECORD_ROOM_BEFORE, RECORD_ROOM_AFTER, flush);
    if (located === 'not-a-regular-file') return { id, ok: false, code: located, message: 'not a regular file' };
    if (located === 'large') return { id, ok: false, code: located, message: 'read on the main thread' };
    const bytes = located.store === null ? Buffer.from(data.ring, located.offset, located.length) : Buffer.from(located.store, 0, located.length);
    const sha256 = data.sha256 ? createHash('sha256').update(bytes).digest('hex') : null;
    const verdict = await checkTfDecodable(bytes, { maxPixels: data.image.maxPixels });
    const record = plan === null ? null : buildRecord(bytes, located, sha256, plan, verdict);
    if (record !== null) {
      const crc = crc32c(Buffer.from(data.ring, record.offset, record.length));
      return { id, ok: true, slot: located.slot, offset: record.offset, length: record.length, store: null, sha256: null, crc, verdict: null, record: record.built };
    }
    const { regionEnd: _end, ...where } = located;
    return { id, ok: true, ...where, sha256, crc: crc32c(bytes), verdict, record: null };
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
    const reply = await readOne(plan.ids[i] as number, path, plan.records[i] ?? null, flush);
    replies.push(reply);
    // The main thread waits for a file in this batch (or one already posted): post it now.
    const wanted = Atomics.load(freed, RING_SLOTS + CONTROL.wanted);
    if (replies.length >= REPLY_BATCH || (wanted !== -1 && wanted <= reply.id)) flush();
  }
  flush();
}

/** Plans are read one after another, never interleaved (a plan's reads await PNG inflation). */
let reading: Promise<void> = Promise.resolve();
parentPort?.on('message', (plan: ReadPlan) => {
  reading = reading.then(() => readPlan(plan));
});
