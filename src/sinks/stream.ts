/** The stream sink: every record into one unsharded stream (stdout for `-o -`). */
import type { Writable } from 'node:stream';
import { RecordWriter, type Compression } from '../record/index.js';
import { asParts, type RecordSink, type ShardInfo, type SinkRecord } from './sink.js';

/**
 * Writes every record into one unsharded stream (stdout for `-o -`), for pipes such as
 * `| gsutil cp - gs://bucket/train.tfrecord`.
 *
 * @example
 * const sink = new StreamSink(process.stdout, 'none');
 */
export class StreamSink implements RecordSink {
  private readonly writer: RecordWriter;

  constructor(out: Writable, compression: Compression) {
    this.writer = new RecordWriter(out, { compression });
  }

  async write(record: SinkRecord): Promise<void> {
    await this.writer.writeParts(asParts(record.payload), record.onWritten);
  }

  async completeShard(): Promise<void> {
    // One stream: nothing to mark.
  }

  async finish(): Promise<readonly ShardInfo[]> {
    await this.writer.close();
    return [{ file: '-', records: this.writer.records, bytes: this.writer.bytes }];
  }

  async abort(): Promise<void> {
    await this.writer.close().catch(() => undefined);
  }
}
