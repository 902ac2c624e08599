/** One shard file being written: a temp file with a record writer, closed, synced and renamed when complete. */
import { rename } from 'node:fs/promises';
import { createWriteStream, fdatasync, type WriteStream } from 'node:fs';
import { RecordWriter, type Compression } from '../record/index.js';
import { trackTemp, untrackTemp } from '../runtime/publish.js';
import { faultPoint, isNextFault } from '../runtime/faults.js';

/** Bytes buffered before a shard file is written to (one writev per this many bytes). */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Bytes written between two background `fdatasync`s of a shard (write-behind). Without them the
 * kernel holds a whole 256 MB shard in the page cache and the sync before its rename waited
 * 0.25 s per shard with the pipeline stopped (0.8 s of a 2.3 s run of 5,000 files, bench/README.md);
 * syncing as it goes lets the disk work while the next records are prepared, and leaves the final
 * sync at most this much to write.
 */
const SYNC_BEHIND_BYTES = 32 * 1024 * 1024;

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
  /** Framed bytes written when the last background sync was started. */
  private syncedAt = 0;
  /** The background sync in progress (at most one), or null. */
  private syncing: Promise<void> | null = null;

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
    if (this.writer.bytes - this.syncedAt >= SYNC_BEHIND_BYTES) this.syncBehind();
    if (isNextFault('record')) await flushBeforeFault(this.stream);
    faultPoint('record');
  }

  /**
   * Closes the file and renames it to `complete`; returns its record count. The last of its bytes
   * reach the disk when it is published (Publication.publish syncs every file before any rename):
   * a kill leaves the page cache intact, which is all a resume needs.
   */
  async completeAs(complete: string): Promise<number> {
    await this.syncing;
    await this.writer.close();
    await rename(this.tempPath, complete);
    untrackTemp(this.tempPath);
    return this.writer.records;
  }

  /** Closes the writer of an abandoned shard (its file is removed by the caller). */
  async close(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.writer.close().catch(() => undefined);
  }

  /**
   * Starts an `fdatasync` of what the descriptor has been given so far, on the thread pool, unless
   * one is still running (then the next write tries again). Its failure (a full disk, EIO) is kept
   * and thrown by {@link completeAs}, which syncs again anyway; the descriptor stays open until it ends.
   */
  private syncBehind(): void {
    // The stream's descriptor once it has opened (@types/node leaves `fd` out of WriteStream).
    const { fd } = this.stream as unknown as { fd: number | null };
    if (this.syncing !== null || typeof fd !== 'number') return;
    this.syncedAt = this.writer.bytes;
    this.syncing = new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));
    // A failure is reported by completeAs; until then it must not be an unhandled rejection.
    this.syncing.catch(() => undefined);
    void this.syncing.then(() => {
      this.syncing = null;
    }, () => undefined);
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
