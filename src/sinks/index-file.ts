/** DALI / vahidk-style index files: one `<offset> <size>` line per record, next to each shard. */
import { rename, writeFile } from 'node:fs/promises';
import { NotIndexableError } from '../errors.js';
import { openRecordStream, readRecords, FRAME_OVERHEAD_BYTES } from '../record/index.js';

/**
 * Computes the index lines of a plain TFRecord file: `<offset> <size>\n` in decimal, where size is
 * the whole frame (16 + data length). Compressed files cannot be indexed: offsets into a
 * compressed stream cannot be seeked to.
 *
 * @example
 * const text = await buildIndex('out/train-00000-of-00001.tfrecord'); // "0 4821\n4821 9932\n..."
 */
export async function buildIndex(file: string): Promise<string> {
  const { compression, chunks } = await openRecordStream(file);
  if (compression !== 'none') throw new NotIndexableError(file, compression.toUpperCase());
  const lines: string[] = [];
  for await (const record of readRecords(chunks, { path: file })) {
    lines.push(`${record.offset} ${record.length + FRAME_OVERHEAD_BYTES}\n`);
  }
  return lines.join('');
}

/**
 * Writes `<file>.idx` atomically and returns its path.
 *
 * @example
 * await writeIndex('out/train-00000-of-00001.tfrecord'); // 'out/train-00000-of-00001.tfrecord.idx'
 */
export async function writeIndex(file: string): Promise<string> {
  const text = await buildIndex(file);
  const target = `${file}.idx`;
  const temp = `${target}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, target);
  return target;
}
