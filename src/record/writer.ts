/** Streaming TFRecord writer: frames records onto a Writable, with backpressure and optional compression. */
import type { Writable } from 'node:stream';
import { createDeflate, createGzip } from 'node:zlib';
import { finished, pipeline } from 'node:stream/promises';
import { invalidParameterError, WriterClosedError } from '../errors.js';
import type { Compression } from './compression.js';
import { encodeFrameFooterOfParts, encodeFrameHeader, FRAME_OVERHEAD_BYTES } from './frame.js';

/** Input gathered before a write to the compressor (see RecordWriter.writeBatched). */
const COMPRESS_BATCH_BYTES = 64 * 1024;

/** Options of {@link RecordWriter}. */
export interface RecordWriterOptions {
  /** Compress the whole framed stream as one GZIP or ZLIB stream (default none). */
  readonly compression?: Compression;
  /** End `out` on close (default true). False for streams that must stay open, such as stdout. */
  readonly end?: boolean;
}

/**
 * Writes TFRecord frames to a stream. `write` resolves once the stream can take more (backpressure);
 * `close` ends the stream and resolves when everything is flushed (and a file's descriptor closed).
 *
 * @example
 * const writer = new RecordWriter(createWriteStream('a.tfrecord'));
 * await writer.write(encodeExample(features));
 * await writer.close();
 */
export class RecordWriter {
  private readonly sink: Writable;
  private readonly target: Writable;
  private readonly endTarget: boolean;
  /** Settles when `target` has finished (and, for a file, closed its descriptor), or fails. */
  private readonly targetDone: Promise<void>;
  /** Settles when the compressor has flushed everything into `target`; null without compression. */
  private readonly pipeDone: Promise<void> | null;
  private recordCount = 0;
  private byteCount = 0;
  private closing: Promise<void> | null = null;
  private corked = false;
  /** Framed bytes written since the stream was last uncorked: the batch being gathered. */
  private corkedBytes = 0;
  /** Settles when the batch sent out last has been written; at most one is outstanding. */
  private lastBatch: Promise<void> | null = null;
  private readonly compressing: boolean;
  /** Small pieces waiting to go to the compressor together (see writeBatched). */
  private batch: Buffer | null = null;
  private batchUsed = 0;
  private failure: Error | null = null;
  /** Rejecters of writes waiting for 'drain': a failure must wake them, or they would hang forever. */
  private readonly waiters = new Set<(error: Error) => void>();

  constructor(out: Writable, options: RecordWriterOptions = {}) {
    if (out === null || typeof out !== 'object' || typeof (out as Partial<Writable>).write !== 'function') {
      throw invalidParameterError('out', 'Writable stream', out);
    }
    if (options === null || typeof options !== 'object') throw invalidParameterError('options', 'object', options);
    const compression = options.compression ?? 'none';
    if (compression !== 'none' && compression !== 'gzip' && compression !== 'zlib') {
      throw invalidParameterError('compression', 'one of none, gzip, zlib', compression);
    }
    const end = options.end ?? true;
    if (typeof end !== 'boolean') throw invalidParameterError('end', 'boolean', end);
    this.target = out;
    this.endTarget = end;
    // One compressor for the whole stream (one GZIP member), as TensorFlow's ZlibOutputBuffer
    // writes it. zlib's output does not depend on how its input was split, so it is deterministic.
    const compressor = compression === 'none' ? null : compression === 'gzip' ? createGzip() : createDeflate();
    this.sink = compressor ?? out;
    this.compressing = compressor !== null;
    const fail = (error: Error): void => {
      if (this.failure !== null) return;
      this.failure = error;
      for (const reject of this.waiters) reject(error);
      this.waiters.clear();
    };
    // Listening here keeps a stream error (ENOSPC, EPIPE) from being an unhandled 'error' event;
    // it surfaces as a rejection of the pending or next write, or of close. finished() also
    // catches a stream destroyed without an error, which would otherwise never 'drain'.
    out.on('error', fail);
    this.targetDone = finished(out);
    this.targetDone.catch(fail);
    if (compressor === null) {
      this.pipeDone = null;
    } else {
      compressor.on('error', fail);
      // pipeline, not pipe: an error on either side destroys both, so nothing is left waiting.
      this.pipeDone = pipeline(compressor, out, { end: this.endTarget });
      this.pipeDone.catch(fail);
    }
  }

  /** Records written so far. */
  get records(): number {
    return this.recordCount;
  }

  /** Framed (uncompressed) bytes written so far: what a plain file would hold. */
  get bytes(): number {
    return this.byteCount;
  }

  /**
   * Frames `data` and writes it; resolves when the stream is ready for more (backpressure).
   * Rejects with WriterClosedError after close, or with the stream's error.
   * `data` is not copied (unless small and compressed): do not modify it until close() resolves.
   *
   * @example
   * for (const payload of payloads) await writer.write(payload);
   */
  async write(data: Uint8Array): Promise<void> {
    if (!(data instanceof Uint8Array)) throw invalidParameterError('data', 'Uint8Array', data);
    await this.writeParts([data]);
  }

  /**
   * Writes one record whose payload is the concatenation of `parts`, without joining them: the
   * footer's CRC is computed over the parts in place (see encodeExampleParts). `onWritten`, if
   * given, is called once the stream no longer holds the parts (written, or copied by the
   * compressor), so their memory may be reused; it may not be called if the stream fails.
   *
   * @example
   * await writer.writeParts([prefix, imageBytes, suffix]);
   */
  async writeParts(parts: readonly Uint8Array[], onWritten?: () => void): Promise<void> {
    if (this.closing !== null) throw new WriterClosedError();
    if (this.failure !== null) throw this.failure;
    const length = parts.reduce((n, p) => n + p.length, 0);
    const header = encodeFrameHeader(length);
    // Of parts, even one: a CRC-32C computed elsewhere (rememberCrc32c) is used, not recomputed.
    const footer = encodeFrameFooterOfParts(parts);
    this.recordCount++;
    this.byteCount += length + FRAME_OVERHEAD_BYTES;
    if (!this.compressing) {
      await this.writeCorked(header, parts, footer, length + FRAME_OVERHEAD_BYTES, onWritten);
    } else if (!this.writeBatched(header, parts, footer, onWritten)) {
      await this.drained();
    }
    if (this.failure !== null) throw this.failure;
  }

  private async writeCorked(header: Buffer, parts: readonly Uint8Array[], footer: Buffer, framed: number, onWritten?: () => void): Promise<void> {
    const sink = this.sink;
    // The stream stays corked between writes, so header, payload and footer of many records go
    // out together as one writev once a highWaterMark's worth has gathered: no payload is ever
    // copied, and a shard of small records costs a few system calls, not three per record.
    if (!this.corked) {
      sink.cork();
      this.corked = true;
    }
    sink.write(header);
    for (const part of parts) if (part.length > 0) sink.write(part);
    this.corkedBytes += framed;
    // A chunk's callback runs once the writev that carried it is done, the record's parts with it.
    if (this.corkedBytes < sink.writableHighWaterMark) {
      sink.write(footer, onWritten === undefined ? undefined : () => onWritten());
      return;
    }
    // Double buffering: this batch goes out and the caller fills the next one while it is written;
    // only the batch before it must be done first. Waiting for 'drain' (an empty buffer) instead
    // left reading idle during every write. Memory: two batches at most.
    const previous = this.lastBatch;
    this.lastBatch = new Promise<void>((resolve) => sink.write(footer, () => {
      onWritten?.();
      resolve();
    }));
    this.corkedBytes = 0;
    this.corked = false;
    sink.uncork();
    if (previous !== null) await this.unlessFailed(previous);
  }

  /** Waits for `done`, or rejects as soon as the stream fails (a destroyed stream may never call back). */
  private unlessFailed(done: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      const onFailure = (error: Error): void => reject(error);
      this.waiters.add(onFailure);
      void done.then(() => {
        this.waiters.delete(onFailure);
        resolve();
      });
    });
  }

  // A zlib stream takes its input one chunk at a time, each a trip to the thread pool: three per
  // record made GZIP writing ~20x slower than plain. Small pieces are gathered into 64 KiB batches
  // (zlib copies its input anyway); big payloads go in as they are. zlib's output does not depend
  // on how the input is split, so the bytes are the same either way.
  private writeBatched(header: Buffer, parts: readonly Uint8Array[], footer: Buffer, onWritten?: () => void): boolean {
    let ok = this.addToBatch(header);
    // Parts too big to copy go to the compressor as they are; its callback on the last of them
    // (chunks are consumed in order) says when they are no longer needed. Copied ones are free now.
    const direct = parts.reduce((last, part, i) => (part.length >= COMPRESS_BATCH_BYTES ? i : last), -1);
    for (const [i, part] of parts.entries()) ok = this.addToBatch(part, i === direct ? onWritten : undefined) && ok;
    ok = this.addToBatch(footer) && ok;
    if (direct === -1) onWritten?.();
    return ok;
  }

  private addToBatch(piece: Uint8Array, onWritten?: () => void): boolean {
    if (piece.length === 0) return true;
    let ok = true;
    if (this.batchUsed + piece.length > COMPRESS_BATCH_BYTES) ok = this.flushBatch();
    if (piece.length >= COMPRESS_BATCH_BYTES) return this.sink.write(piece, onWritten === undefined ? undefined : () => onWritten()) && ok;
    this.batch ??= Buffer.allocUnsafe(COMPRESS_BATCH_BYTES);
    this.batch.set(piece, this.batchUsed);
    this.batchUsed += piece.length;
    return ok;
  }

  private flushBatch(): boolean {
    if (this.batch === null || this.batchUsed === 0) return true;
    const full = this.batch.subarray(0, this.batchUsed);
    this.batch = null; // the compressor owns `full` now
    this.batchUsed = 0;
    return this.sink.write(full);
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure !== null) {
        reject(this.failure);
        return;
      }
      const onDrain = (): void => {
        this.waiters.delete(onFailure);
        resolve();
      };
      const onFailure = (error: Error): void => {
        this.sink.off('drain', onDrain);
        reject(error);
      };
      this.sink.once('drain', onDrain);
      this.waiters.add(onFailure);
    });
  }

  /**
   * Ends the stream and waits until everything is flushed and, for a file, its descriptor closed.
   * Safe to call twice. Rejects with the stream's error if writing failed.
   *
   * @example
   * await writer.close(); // the file is complete on disk
   */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.corked) {
      this.sink.uncork();
      this.corked = false;
    }
    this.flushBatch();
    this.sink.end();
    if (this.pipeDone !== null) await this.pipeDone;
    if (this.endTarget) {
      // finished() waits for 'finish' and, for files, 'close': the descriptor is closed by then.
      await this.targetDone;
    } else {
      // An empty write's callback runs after everything queued before it has been flushed.
      await new Promise<void>((resolve, reject) => this.target.write(Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
    }
    if (this.failure !== null) throw this.failure;
  }
}
