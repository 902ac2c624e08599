/** Worker-thread side of HashWorkerPool (prototype): reads a file, hashes it, checksums it and checks its structure, off the main thread. */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { crc32c } from '../record/crc32c.js';
import type { DigestBatch, DigestReply, DigestTask } from './hash-workers.js';

// Prototype note: the structure check is image/ code; in the wiring phase this entry belongs to the
// convert layer (it may import image/), and runtime/ keeps only the generic pool.
const { checkTfDecodable } = await import('../image/decodable.js');

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const CLASS_BYTES = 16 * 1024;
/** Buffers given back by the main thread once their bytes are written, by capacity. */
const free = new Map<number, ArrayBuffer[]>();

/**
 * One open + fstat + read + close: a read shorter than the room asked for is the end of a regular
 * file, so no second read to see 0 bytes. A file that fills the room (it grew) is read whole.
 */
function readWhole(path: string): { store: ArrayBuffer; length: number } | null {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return null;
    const capacity = (Math.floor(stats.size / CLASS_BYTES) + 1) * CLASS_BYTES;
    const store = free.get(capacity)?.pop() ?? new ArrayBuffer(capacity);
    let filled = 0;
    for (;;) {
      const n = readSync(fd, new Uint8Array(store, filled), 0, capacity - filled, filled);
      filled += n;
      if (n === 0 || filled >= stats.size) break;
    }
    if (filled === capacity) {
      const whole = readFileSync(path);
      return { store: whole.buffer.slice(whole.byteOffset, whole.byteOffset + whole.length) as ArrayBuffer, length: whole.length };
    }
    return { store, length: filled };
  } finally {
    closeSync(fd);
  }
}

function keep(give: ArrayBuffer): void {
  const list = free.get(give.byteLength) ?? [];
  // A few per size class: the main thread holds at most a window of buffers at a time.
  if (list.length < 64) list.push(give);
  free.set(give.byteLength, list);
}

async function digest(task: DigestTask): Promise<DigestReply> {
  const read = readWhole(task.path);
  if (read === null) return { id: task.id, ok: false, code: 'not-a-regular-file', message: 'not a regular file' };
  const bytes = new Uint8Array(read.store, 0, read.length);
  const sha256 = task.sha256 ? createHash('sha256').update(bytes).digest('hex') : null;
  const crc = task.crc ? crc32c(bytes) : null;
  const verdict = task.validate ? await checkTfDecodable(bytes) : null;
  return { id: task.id, ok: true, store: read.store, length: read.length, sha256, crc, verdict };
}

/** A batch: one message in, one message out, however many files (a round trip costs ~50 us of both threads). */
async function digestBatch(batch: DigestBatch): Promise<void> {
  const replies: DigestReply[] = [];
  for (const [i, path] of batch.paths.entries()) {
    const task = { id: batch.ids[i] as number, path, sha256: batch.sha256, crc: batch.crc, validate: batch.validate };
    replies.push(await digest(task).catch((error: NodeJS.ErrnoException): DigestReply => ({ id: task.id, ok: false, code: error.code ?? 'error', message: error.message })));
  }
  parentPort?.postMessage({ batch: replies }, replies.flatMap((reply) => (reply.ok ? [reply.store] : [])));
}

parentPort?.on('message', (message: DigestTask | DigestBatch | { give: ArrayBuffer } | { giveMany: ArrayBuffer[] }) => {
  if ('giveMany' in message) {
    for (const give of message.giveMany) keep(give);
    return;
  }
  if ('paths' in message) {
    void digestBatch(message);
    return;
  }
  if ('give' in message) {
    keep(message.give);
    return;
  }
  digest(message).then(
    (reply) => parentPort?.postMessage(reply, reply.ok ? [reply.store] : []),
    (error: NodeJS.ErrnoException) => parentPort?.postMessage({ id: message.id, ok: false, code: error.code ?? 'error', message: error.message } satisfies DigestReply),
  );
});
