/** Record files on disk: open with compression detected from the bytes, read, and write. */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { detectCompression, type Compression } from './compression.js';
import { HEADER_BYTES } from './frame.js';
import { inflateFile } from './inflate.js';
import { readRecords, type ReadRecordsOptions, type RecordEntry } from './reader.js';
import { RecordWriter } from './writer.js';

/** Chunk size for reading record files: large enough that image-sized records rarely span chunks. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Opens a record file: detects its compression from its first bytes and returns the uncompressed
 * chunks (opened lazily, on first iteration). Bytes that are neither a frame header nor GZIP/ZLIB are
 * read as plain, so the reader reports a corrupt length CRC at offset 0. A cut compressed stream
 * throws TruncatedRecordError, any other decompression failure CorruptRecordError (region
 * 'compression'), naming the file; {@link readRecords} re-bases both on the record being read.
 *
 * @example
 * const { compression, chunks } = await openRecordStream('train.tfrecord.gz'); // compression: 'gzip'
 */
export async function openRecordStream(path: string): Promise<OpenedRecordStream> {
  let head: Buffer;
  let size: number;
  try {
    const handle = await open(path, 'r');
    try {
      size = (await handle.stat()).size;
      head = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(head, 0, HEADER_BYTES, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new InputError(`${path}: cannot open: ${(error as Error).message}`, { path });
  }
  const detected = detectCompression(head);
  // Unknown bytes are read as plain so the reader reports a corrupt length CRC at offset 0.
  const compression: Compression = detected === 'unknown' ? 'none' : detected;
  return {
    compression, detected, head, chunks: readChunks(path, compression),
    ...(compression === 'none' ? { streamBytes: size } : {}),
  };
}

/** What {@link openRecordStream} found. */
export interface OpenedRecordStream {
  readonly compression: Compression;
  /** 'unknown' when the first bytes are neither a frame header nor GZIP/ZLIB (read as plain). */
  readonly detected: Compression | 'unknown';
  /** The first (up to 12) bytes of the file. */
  readonly head: Uint8Array;
  /** Bytes of the uncompressed stream when known (plain files): pass to readRecords. */
  readonly streamBytes?: number;
  readonly chunks: AsyncIterable<Uint8Array>;
}

// Lazy: nothing is opened until the chunks are iterated, so asking only for `compression` leaks no
// file descriptor, and stopping early (or any error) closes the file.
async function* readChunks(path: string, compression: Compression): AsyncGenerator<Uint8Array> {
  if (compression === 'none') {
    yield* createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>;
    return;
  }
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InputError(`${path}: cannot open: ${(error as Error).message}`, { path });
  }
  try {
    yield* inflateFile(handle, compression, path);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the records of a plain, GZIP or ZLIB TFRecord file; errors name the file.
 *
 * @example
 * for await (const r of readRecordFile('train-00000-of-00001.tfrecord')) console.log(r.index, r.offset);
 */
export async function* readRecordFile(path: string, options: Omit<ReadRecordsOptions, 'path'> = {}): AsyncGenerator<RecordEntry> {
  const { chunks, streamBytes } = await openRecordStream(path);
  yield* readRecords(chunks, { ...(streamBytes === undefined ? {} : { streamBytes }), ...options, path });
}

/**
 * A writer to a new file (plain convenience; atomic renames are the caller's job).
 *
 * @example
 * const w = createRecordFileWriter('a.tfrecord.gz', { compression: 'gzip' });
 */
export function createRecordFileWriter(path: string, options: { readonly compression?: Compression } = {}): RecordWriter {
  return new RecordWriter(createWriteStream(path), options);
}
