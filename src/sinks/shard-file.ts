/** One shard file being written: a temp file with a record writer, closed, synced and renamed when complete. */
import { open, rename } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { RecordWriter, type Compression } from '../record/index.js';
import { trackTemp, untrackTemp } from '../runtime/publish.js';
import { faultPoint, isNextFault } from '../runtime/faults.js';

/** Bytes buffered before a shard file is written to (one writev per this many bytes). */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * A shard being written under a temporary name.
 *
 * @example
 * const file = new ShardFile(0, 'out/.train-00000-of-00001.tfrecord.tmp-1', 'none');
 * await file.write([payload]);
 * const records = await file.completeAs('out/.train-00000-of-00001.tfrecord.complete');
 */
export class ShardFile {
  readonly index: number;
  readonly tempPath: string;
  private readonly stream: WriteStream;
  private readonly writer: RecordWriter;

  constructor(index: number, tempPath: string, compression: Compression) {
    this.index = index;
    this.tempPath = tempPath;
    trackTemp(tempPath);
    // A large buffer lets the writer send many records per writev.
    this.stream = createWriteStream(tempPath, { highWaterMark: WRITE_BUFFER_BYTES });
    this.writer = new RecordWriter(this.stream, { compression });
  }

  /** Records written so far. */
  get records(): number {
    return this.writer.records;
  }

  /** Writes one record's parts; `onWritten` once the writer no longer holds them. */
  async write(parts: readonly Uint8Array[], onWritten?: () => void): Promise<void> {
    await this.writer.writeParts(parts, onWritten);
    if (isNextFault('record')) await flushBeforeFault(this.stream);
    faultPoint('record');
  }

  /** Closes, syncs and renames the file to `complete`; returns its record count. */
  async completeAs(complete: string): Promise<number> {
    await this.writer.close();
    await syncFile(this.tempPath);
    await rename(this.tempPath, complete);
    untrackTemp(this.tempPath);
    return this.writer.records;
  }

  /** Closes the writer of an abandoned shard (its file is removed by the caller). */
  async close(): Promise<void> {
    await this.writer.close().catch(() => undefined);
  }
}

/**
 * Before a 'record' fault: gets the records buffered so far into the temp file, so the kill leaves
 * a half-written shard on disk, as a kill of a long run does (the writer otherwise holds up to 4 MB).
 */
async function flushBeforeFault(stream: WriteStream): Promise<void> {
  while (stream.writableCorked > 0) stream.uncork();
  while (stream.pending || stream.writableLength > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Flushes a written file to disk, so a full disk shows here and not after the rename. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
