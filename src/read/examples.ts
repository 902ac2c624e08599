/** The one examples reader of the read commands: TFRecord files (plain, GZIP, ZLIB) or a Caffe LMDB, as Examples with offsets. */
import { decodeExample, type DecodedExample, type Features } from '../example/index.js';
import { sniffFormat } from '../image/index.js';
import { CorruptRecordError } from '../errors.js';
import { openRecordStream, readRecords, type OpenedRecordStream, type ReadRecordsOptions } from '../record/index.js';
import { datumToFeatures, readDatums } from '../caffe/lmdb-read.js';
import { isLmdbDir } from '../sinks/record-files.js';

/** One record read back as an Example. */
export interface ExampleEntry {
  readonly file: string;
  /** 0-based record index in its file. */
  readonly index: number;
  /** Byte offset of the record's frame in the uncompressed stream. */
  readonly offset: number;
  readonly length: number;
  /** The decoded tf.train.Example (for a SequenceExample: its context features). */
  readonly example: DecodedExample;
  /** Shorthand for `example.features`. */
  readonly features: Features;
  /** 'sequence-example' when the payload is a tf.train.SequenceExample (its context is in `features`). */
  readonly kind: 'example' | 'sequence-example';
}

/**
 * Iterates the Examples of a TFRecord file (plain, GZIP or ZLIB, detected from the bytes) as
 * `{ offset, example }` entries (with `index`, `length` and `features` = `example.features`).
 * Throws the record core's typed errors (truncated, corrupted) and ExampleParseError.
 *
 * @example
 * for await (const { offset, example } of readExamples('out/train-00000-of-00001.tfrecord')) {
 *   console.log(offset, example.features['image/class/text']);
 * }
 */
export async function* readExamples(file: string, options: Omit<ReadRecordsOptions, 'path'> = {}): AsyncGenerator<ExampleEntry> {
  if (await isLmdbDir(file)) {
    // Caffe LMDB: offsets are record positions (an LMDB has no byte stream to point into).
    for await (const { index, key, datum } of readDatums(file)) {
      const features = datumToFeatures(key, datum);
      const example: DecodedExample = { features, featureMap: new Map(Object.entries(features)), emptyKeys: [], unknownFields: [] };
      yield { file, index, offset: index, length: datum.data?.length ?? 0, example, features: example.features, kind: 'example' };
    }
    return;
  }
  const opened = await openRecordStream(file);
  const foreign = describeForeignFile(opened);
  if (foreign !== null) throw new CorruptRecordError(0, 'length', foreign, { path: file, recordIndex: 0 });
  const { chunks, streamBytes } = opened;
  for await (const record of readRecords(chunks, { ...(streamBytes === undefined ? {} : { streamBytes }), ...options, path: file })) {
    const decoded = decodeExample(record.data, { path: file, offset: record.offset, recordIndex: record.index });
    yield {
      file,
      index: record.index,
      offset: record.offset,
      length: record.length,
      example: decoded,
      features: decoded.features,
      kind: decoded.unknownFields.includes(2) ? 'sequence-example' : 'example',
    };
  }
}

const FORMAT_NAMES: Readonly<Record<string, string>> = { jpeg: 'a JPEG', png: 'a PNG', gif: 'a GIF', bmp: 'a BMP', webp: 'a WebP', tiff: 'a TIFF', avif: 'an AVIF', heif: 'a HEIF', svg: 'an SVG', jp2: 'a JPEG 2000' };

/**
 * For a file whose first bytes are neither a frame header nor GZIP/ZLIB: "not a TFRecord file
 * (starts like a JPEG)" when they look like an image, else null (the reader's length-CRC error
 * says it). Without this, a JPEG given to verify reads as "length CRC mismatch in record 0".
 *
 * @example
 * describeForeignFile(await openRecordStream('photo.jpg')); // 'not a TFRecord file (starts like a JPEG)'
 */
export function describeForeignFile(opened: Pick<OpenedRecordStream, 'detected' | 'head'>): string | null {
  if (opened.detected !== 'unknown') return null;
  const format = sniffFormat(opened.head);
  if (format === null) return null;
  return `not a TFRecord file (starts like ${FORMAT_NAMES[format] ?? `a ${format.toUpperCase()} file`})`;
}
