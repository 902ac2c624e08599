/** Streaming TFRecord reader: async iterator over records, telling clean EOF, truncation and corruption apart. */
import { constants } from 'node:buffer';
import { CorruptRecordError, Img2TfrecordError, invalidParameterError, RecordTooLargeError, TruncatedRecordError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';
import { FOOTER_BYTES, HEADER_BYTES, LENGTH_BYTES } from './frame.js';

/** One record read from a stream. */
export interface RecordEntry {
  /** 0-based position of the record in the stream. */
  readonly index: number;
  /** Byte offset of the record's frame in the (uncompressed) stream. */
  readonly offset: number;
  /** Data length in bytes. */
  readonly length: number;
  readonly data: Buffer;
  /** False only with `onBadDataCrc: 'yield'`, for a record whose data CRC does not match. */
  readonly dataCrcOk: boolean;
}

/** Options of {@link readRecords}. */
export interface ReadRecordsOptions {
  /** Largest record accepted, checked before allocating (default 256 MiB), in plain and compressed streams. */
  readonly maxRecordSize?: number;
  /** Named in error messages. */
  readonly path?: string;
  /** 'throw' (default) stops at a bad data CRC; 'yield' flags it and goes on, as a verifier wants. */
  readonly onBadDataCrc?: 'throw' | 'yield';
  /**
   * Length of the whole stream when known (a plain file's size): a record that would end past it
   * is truncated at once, as TensorFlow reports it, without reading or buffering anything.
   */
  readonly streamBytes?: number;
}

/** Default maximum record size: far above any image, far below what would exhaust memory. */
// 256 MiB, for plain and compressed files alike: a 1 MB gzip can hold a 1 GiB record, and the
// reader holds a whole record in memory, so the limit is what bounds memory on hostile input.
export const DEFAULT_MAX_RECORD_SIZE = 256 * 1024 ** 2;

/** The largest Buffer this Node can allocate: a bigger maximum record size could never be honoured. */
const MAX_LENGTH = constants.MAX_LENGTH;

/**
 * A queue of incoming chunks that hands out exact byte ranges, copying only when a range spans chunks.
 * Consumed chunks are dropped by advancing an index (compacted now and then), not by Array#shift,
 * so a record that arrives in a million 1-byte chunks costs O(n), not O(n^2).
 */
class ChunkQueue {
  private chunks: Buffer[] = [];
  private first = 0; // index of the first unconsumed chunk
  private head = 0; // offset into chunks[first]
  available = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** Takes exactly n bytes (n <= available): a view when they lie in one chunk, else one copy. */
  take(n: number): Buffer {
    const front = this.chunks[this.first];
    if (front !== undefined && front.length - this.head >= n) {
      const out = front.subarray(this.head, this.head + n);
      this.advance(front, n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.first] as Buffer;
      const count = Math.min(n - filled, chunk.length - this.head);
      chunk.copy(out, filled, this.head, this.head + count);
      filled += count;
      this.advance(chunk, count);
    }
    return out;
  }

  private advance(chunk: Buffer, count: number): void {
    this.head += count;
    this.available -= count;
    if (this.head < chunk.length) return;
    this.head = 0;
    this.first++;
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
      // Amortised O(1): drop the consumed prefix once it is at least half the array.
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}

/**
 * Reads TFRecord frames from a stream of byte chunks, verifying both CRCs.
 *
 * - End of stream exactly at a frame boundary ends the iteration.
 * - End of stream inside a frame throws {@link TruncatedRecordError} with the frame's offset; so does
 *   a source that itself throws TruncatedRecordError (a cut compressed file), re-based on the frame.
 * - A bad length CRC throws {@link CorruptRecordError} (region 'length'): framing is lost, so
 *   nothing after it can be trusted. It is checked before the length is used to allocate, and the
 *   length against `maxRecordSize` ({@link RecordTooLargeError}) before anything is buffered.
 * - A bad data CRC throws {@link CorruptRecordError} (region 'data'), or with `onBadDataCrc: 'yield'`
 *   yields the record with `dataCrcOk: false` and goes on.
 *
 * Options are validated when this is called, not on the first `next()`.
 *
 * @example
 * for await (const { offset, data } of readRecords(createReadStream('a.tfrecord'))) console.log(offset, data.length);
 */
export function readRecords(source: AsyncIterable<Uint8Array>, options: ReadRecordsOptions = {}): AsyncGenerator<RecordEntry> {
  if (source === null || typeof source !== 'object' || typeof (source as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator] !== 'function') {
    throw invalidParameterError('source', 'async iterable of Uint8Array', source);
  }
  if (options === null || typeof options !== 'object') throw invalidParameterError('options', 'object', options);
  const maxRecordSize = options.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
  if (!Number.isSafeInteger(maxRecordSize) || maxRecordSize < 0 || maxRecordSize > MAX_LENGTH) {
    throw invalidParameterError('maxRecordSize', `integer between 0 and ${MAX_LENGTH}`, maxRecordSize);
  }
  const onBadDataCrc = options.onBadDataCrc ?? 'throw';
  if (onBadDataCrc !== 'throw' && onBadDataCrc !== 'yield') {
    throw invalidParameterError('onBadDataCrc', "one of 'throw', 'yield'", onBadDataCrc);
  }
  if (options.path !== undefined && typeof options.path !== 'string') throw invalidParameterError('path', 'string', options.path);
  const streamBytes = options.streamBytes ?? Infinity;
  if (streamBytes !== Infinity && (!Number.isSafeInteger(streamBytes) || streamBytes < 0)) {
    throw invalidParameterError('streamBytes', 'non-negative integer', streamBytes);
  }
  const settings: Settings = { maxRecordSize, onBadDataCrc, streamBytes, context: options.path === undefined ? {} : { path: options.path } };
  return iterateRecords(source, settings);
}

interface Settings {
  readonly maxRecordSize: number;
  readonly onBadDataCrc: 'throw' | 'yield';
  readonly streamBytes: number;
  readonly context: { readonly path?: string };
}

async function* iterateRecords(source: AsyncIterable<Uint8Array>, settings: Settings): AsyncGenerator<RecordEntry> {
  const { maxRecordSize, onBadDataCrc, context } = settings;
  const queue = new ChunkQueue();
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  let offset = 0; // of the frame being read
  let index = 0;
  let frameBytesTaken = 0; // bytes of the current frame already taken from the queue

  // Pulls chunks until n bytes are available; false if the stream ended first.
  const fill = async (n: number): Promise<boolean> => {
    while (queue.available < n && !ended) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        ended = true; // a failed iterator is finished: do not call return() on it
        throw rebase(error, offset, index, frameBytesTaken + queue.available, context);
      }
      if (next.done === true) ended = true;
      else queue.push(Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength));
    }
    return queue.available >= n;
  };

  try {
    for (;;) {
      frameBytesTaken = 0;
      if (!(await fill(1))) return;
      if (!(await fill(HEADER_BYTES))) {
        throw new TruncatedRecordError(offset, `stream ends ${queue.available} bytes into the ${HEADER_BYTES}-byte header of record ${index}`, { ...context, recordIndex: index });
      }
      const header = queue.take(HEADER_BYTES);
      frameBytesTaken = HEADER_BYTES;
      if (header.readUInt32LE(LENGTH_BYTES) !== maskedCrc32c(header.subarray(0, LENGTH_BYTES))) {
        throw new CorruptRecordError(offset, 'length', `length CRC mismatch in record ${index}`, { ...context, recordIndex: index });
      }
      const length64 = header.readBigUInt64LE(0);
      const left = settings.streamBytes - offset - HEADER_BYTES;
      // Past the end of a stream of known length: truncated, as TensorFlow says, whatever the length.
      if (left !== Infinity && length64 + BigInt(FOOTER_BYTES) > BigInt(left)) {
        throw new TruncatedRecordError(
          offset,
          `record ${index} declares ${length64} data bytes but the stream ends ${left} bytes after its header (need ${length64 + BigInt(FOOTER_BYTES)})`,
          { ...context, recordIndex: index },
        );
      }
      // Before buffering or allocating anything for the payload: a CRC-valid header may still lie.
      if (length64 > BigInt(maxRecordSize)) {
        throw new RecordTooLargeError(offset, Number(length64), maxRecordSize, { ...context, recordIndex: index });
      }
      const length = Number(length64);
      if (!(await fill(length + FOOTER_BYTES))) {
        throw new TruncatedRecordError(
          offset,
          `record ${index} declares ${length} data bytes but the stream ends ${queue.available} bytes after its header (need ${length + FOOTER_BYTES})`,
          { ...context, recordIndex: index },
        );
      }
      const data = queue.take(length);
      const footer = queue.take(FOOTER_BYTES);
      const dataCrcOk = footer.readUInt32LE(0) === maskedCrc32c(data);
      if (!dataCrcOk && onBadDataCrc === 'throw') {
        throw new CorruptRecordError(offset, 'data', `data CRC mismatch in record ${index}`, { ...context, recordIndex: index });
      }
      yield { index, offset, length, data, dataCrcOk };
      offset += HEADER_BYTES + length + FOOTER_BYTES;
      index++;
    }
  } finally {
    // Stopped early (break, or an error of ours): let the source release its file or stream.
    if (!ended) await iterator.return?.();
  }
}

/**
 * A source's own truncation or decompression error, re-based on the frame being read: the source
 * only knows how many bytes it produced, the reader knows which record they belong to.
 */
function rebase(error: unknown, offset: number, index: number, frameBytes: number, context: { readonly path?: string }): unknown {
  const path = context.path ?? (error instanceof Img2TfrecordError ? error.context.path : undefined);
  const fullContext = path === undefined ? { recordIndex: index } : { path, recordIndex: index };
  const detail = error instanceof TruncatedRecordError || error instanceof CorruptRecordError ? error.detail : String(error);
  const why = error instanceof Error && error.cause instanceof Error ? `${detail}: ${error.cause.message}` : detail;
  // At a frame boundary every record before is whole: the damage is after them, not in a record.
  const where = frameBytes === 0 ? `after ${index} complete record${index === 1 ? '' : 's'}` : `${frameBytes} bytes into record ${index}`;
  let rebased: Img2TfrecordError;
  if (error instanceof TruncatedRecordError) {
    rebased = new TruncatedRecordError(offset, `the source is cut short (${why}) ${where}`, fullContext);
  } else if (error instanceof CorruptRecordError && error.region === 'compression') {
    rebased = new CorruptRecordError(offset, 'compression', `${why}, ${where}`, fullContext);
  } else {
    return error;
  }
  rebased.cause = error;
  return rebased;
}
