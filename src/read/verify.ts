/** Verifies record files: every frame's CRCs, every payload an Example, and optionally every image decoded. */
import { decodeExample, isNonUtf8Key, type DecodedExample, type Feature, type Features } from '../example/index.js';
import { CorruptRecordError, ExampleParseError, Img2TfrecordError, RecordTooLargeError, TruncatedRecordError } from '../errors.js';
import { checkTfDecodable, decodeBmp, DEFAULT_MAX_PIXELS, loadSharp, sniffFormat } from '../image/index.js';
import { openRecordStream, readRecords } from '../record/index.js';
import { describeForeignFile, readExamples } from './examples.js';
import { isLmdbDir } from '../sinks/record-files.js';
import { checkRecordBoxes, type BoxLabels } from './verify-boxes.js';

/** One problem found, located exactly. */
export interface VerifyProblem {
  readonly file: string;
  /** Byte offset of the record's frame in the uncompressed stream. */
  readonly offset: number;
  /** 0-based record index, or null when the problem is not inside a record (e.g. unreadable file). */
  readonly recordIndex: number | null;
  /**
   * Stable kind: 'not-a-tfrecord' (the file starts like an image), 'corrupt-length', 'corrupt-data',
   * 'corrupt-compression', 'truncated', 'too-large', 'not-an-example', 'image', 'raw-size', 'box'
   * (object-detection lists: unequal lengths, a corner outside [0, 1], min >= max, a class outside `labels`), 'unreadable'.
   */
  readonly kind: string;
  readonly message: string;
}

/** Per-file outcome of {@link verifyFiles}. */
export interface VerifyFileReport {
  readonly file: string;
  readonly records: number;
  readonly problems: number;
  readonly sequenceExamples: number;
  readonly imagesChecked: number;
}

/** The outcome of {@link verifyFiles}. */
export interface VerifyReport {
  readonly files: readonly VerifyFileReport[];
  readonly records: number;
  readonly problems: readonly VerifyProblem[];
  /** Notes that are not problems (a SequenceExample file, say). */
  readonly notes: readonly string[];
}

/** Options of {@link verifyFiles}. */
export interface VerifyOptions {
  /** Also decode every image and check declared height, width, channels and format against it. */
  readonly decode?: boolean;
  /** With `decode`: images over this many pixels (any GIF frame counts) are problems, never decoded (default as convert's). */
  readonly maxPixels?: number;
  /** Called for each problem as it is found (for streaming output). */
  readonly onProblem?: (problem: VerifyProblem) => void;
  /** The label map object-detection boxes' class/label and class/text must be in (`--labels`). */
  readonly labels?: BoxLabels;
}

/** Keys that must hold an encoded image. */
const IMAGE_KEYS = ['image/encoded', 'encoded'];
/** Keys that hold an encoded image in some layouts (TFDS) and other bytes in others (TFRecorder's base64 pixels). */
const MAYBE_IMAGE_KEYS = ['image'];
const FORMAT_ALIASES: Readonly<Record<string, string>> = { jpg: 'jpeg', jpeg: 'jpeg', png: 'png', gif: 'gif', bmp: 'bmp' };
const DTYPE_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float32: 4, int8: 1, int16: 2, int32: 4, float64: 8 };

/**
 * Checks every frame's length and data CRC (keeping going past a bad data CRC), that every payload
 * parses as a tf.train.Example, and with `decode` that every image decodes and matches its declared
 * height, width, channels and format, and that raw tensors match their shape and dtype.
 *
 * @example
 * const report = await verifyFiles(['out/train-00000-of-00001.tfrecord'], { decode: true });
 * if (report.problems.length > 0) process.exitCode = 1;
 */
export async function verifyFiles(files: readonly string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const notes: string[] = [];
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const reports: VerifyFileReport[] = [];
  const report = (p: VerifyProblem): void => {
    problems.push(p);
    options.onProblem?.(p);
  };
  for (const file of files) {
    let records = 0;
    let fileProblems = 0;
    let sequenceExamples = 0;
    let imagesChecked = 0;
    const nonUtf8Records: number[] = [];
    const add = (p: VerifyProblem): void => {
      fileProblems++;
      report(p);
    };
    try {
      if (await isLmdbDir(file)) {
        for await (const entry of readExamples(file)) {
          records++;
          const where = { file, offset: entry.offset, recordIndex: entry.index };
          const messages = options.decode === true ? await checkImages(entry.features, maxPixels) : checkRawSize(entry.features);
          for (const message of messages) add({ ...where, kind: 'image', message: `${file}: record ${entry.index}: ${message}` });
          if (options.decode === true) imagesChecked++;
        }
        reports.push({ file, records, problems: fileProblems, sequenceExamples, imagesChecked });
        continue;
      }
      const opened = await openRecordStream(file);
      const foreign = describeForeignFile(opened);
      if (foreign !== null) {
        add({ file, offset: 0, recordIndex: null, kind: 'not-a-tfrecord', message: `${file}: ${foreign}` });
        reports.push({ file, records, problems: fileProblems, sequenceExamples, imagesChecked });
        continue;
      }
      const { chunks, streamBytes } = opened;
      const readOptions = { path: file, onBadDataCrc: 'yield' as const, ...(streamBytes === undefined ? {} : { streamBytes }) };
      for await (const record of readRecords(chunks, readOptions)) {
        records++;
        const where = { file, offset: record.offset, recordIndex: record.index };
        if (!record.dataCrcOk) {
          add({ ...where, kind: 'corrupt-data', message: `${file}: record ${record.index} at offset ${record.offset}: data CRC mismatch` });
          continue;
        }
        let example: DecodedExample;
        try {
          example = decodeExample(record.data, { path: file, offset: record.offset, recordIndex: record.index });
        } catch (error) {
          if (!(error instanceof ExampleParseError)) throw error;
          add({ ...where, kind: 'not-an-example', message: error.message });
          continue;
        }
        const nonUtf8 = [...example.featureMap.keys()].filter(isNonUtf8Key);
        if (nonUtf8.length > 0) nonUtf8Records.push(record.index);
        if (example.unknownFields.includes(2)) {
          sequenceExamples++;
          continue;
        }
        for (const message of checkRecordBoxes(example.features, options.labels ?? null)) add({ ...where, kind: 'box', message: `${file}: record ${record.index} at offset ${record.offset}: ${message}` });
        if (options.decode === true) {
          for (const message of await checkImages(example.features, maxPixels)) {
            add({ ...where, kind: 'image', message: `${file}: record ${record.index} at offset ${record.offset}: ${message}` });
          }
          imagesChecked++;
        }
      }
    } catch (error) {
      if (!(error instanceof Img2TfrecordError)) throw error;
      const offset = error.context.offset ?? 0;
      const kind = error instanceof TruncatedRecordError ? 'truncated'
        : error instanceof CorruptRecordError ? `corrupt-${error.region}`
          : error instanceof RecordTooLargeError ? 'too-large' : 'unreadable';
      add({ file, offset, recordIndex: kind === 'unreadable' ? null : error.context.recordIndex ?? records, kind, message: error.message });
    }
    if (nonUtf8Records.length > 0) {
      // Not a problem: tf.io.parse_example compares keys as bytes. But tf.train.Example.FromString
      // (protobuf's proto3 string check) refuses such records, so say so.
      notes.push(`${file}: ${nonUtf8Records.length} record${nonUtf8Records.length === 1 ? ' has' : 's have'} feature keys that are not UTF-8 (first: record ${nonUtf8Records[0]}); tf.io.parse_example reads them, tf.train.Example.FromString refuses them`);
    }
    if (sequenceExamples > 0) {
      notes.push(`${file}: ${sequenceExamples} of ${records} records are tf.train.SequenceExample (context features and feature_lists), not Example`);
    }
    reports.push({ file, records, problems: fileProblems, sequenceExamples, imagesChecked });
  }
  return { files: reports, records: reports.reduce((n, r) => n + r.records, 0), problems, notes };
}

function int(feature: Feature | undefined): number | null {
  return feature?.kind === 'int64' && feature.values.length === 1 ? Number(feature.values[0]) : null;
}

function text(feature: Feature | undefined): string | null {
  return feature?.kind === 'bytes' && feature.values.length === 1 ? Buffer.from(feature.values[0] as Uint8Array).toString('utf8') : null;
}

/** Finds the prefix of the image's sibling keys: 'image/' for 'image/encoded', '' for TFDS 'image'. */
function siblings(features: Features, key: string): { height: number | null; width: number | null; channels: number | null; format: string | null } {
  const prefix = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  const pick = (...names: string[]): Feature | undefined => names.map((n) => features[`${prefix}${n}`] ?? features[n]).find((f) => f !== undefined);
  return {
    height: int(pick('height', 'image_height')),
    width: int(pick('width', 'image_width')),
    channels: int(pick('channels', 'depth', 'image_channels')),
    format: text(pick('format')),
  };
}

/** Raw tensor byte count against shape and dtype (cheap, no decoding). */
function checkRawSize(features: Features): string[] {
  const raw = features['image/raw'] ?? features.image_raw;
  if (raw?.kind !== 'bytes' || raw.values[0] === undefined) return [];
  const shapeFeature = features['image/shape'];
  const shape = shapeFeature?.kind === 'int64' ? shapeFeature.values.map(Number) : null;
  const size = DTYPE_BYTES[text(features['image/dtype']) ?? 'uint8'];
  if (shape === null || size === undefined) return [];
  const expected = shape.reduce((a, b) => a * b, 1) * size;
  return raw.values[0].length === expected ? [] : [`raw data is ${raw.values[0].length} bytes, but shape [${shape.join(', ')}] needs ${expected}`];
}

async function checkImages(features: Features, maxPixels: number): Promise<string[]> {
  const messages: string[] = [];
  for (const key of [...IMAGE_KEYS, ...MAYBE_IMAGE_KEYS]) {
    const feature = features[key];
    if (feature?.kind !== 'bytes') continue;
    for (const value of feature.values) {
      if (MAYBE_IMAGE_KEYS.includes(key) && sniffFormat(value) === null) continue;
      messages.push(...(await checkEncoded(key, value, siblings(features, key), maxPixels)));
    }
  }
  const raw = features['image/raw'] ?? features.image_raw;
  if (raw?.kind === 'bytes' && raw.values[0] !== undefined) {
    const shapeFeature = features['image/shape'];
    let shape: number[] | null = shapeFeature?.kind === 'int64' ? shapeFeature.values.map(Number) : null;
    const dims = siblings(features, features['image/raw'] === undefined ? 'image_raw' : 'image/raw');
    if (shape === null && dims.height !== null && dims.width !== null) shape = [dims.height, dims.width, dims.channels ?? 1];
    const dtype = text(features['image/dtype']) ?? 'uint8';
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) messages.push(`unknown dtype "${dtype}"`);
    else if (shape !== null) {
      const expected = shape.reduce((a, b) => a * b, 1) * size;
      if (raw.values[0].length !== expected) {
        messages.push(`raw tensor is ${raw.values[0].length} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${expected}`);
      }
    }
  }
  return messages;
}

/**
 * One stored image against the rules convert stores by: TensorFlow's decodability (the same
 * checkTfDecodable), the pixel limit before anything is allocated, then a full decode (BMP with
 * the project's own decoder, as sharp's prebuilt libvips has none) and the declared features.
 */
async function checkEncoded(
  key: string,
  bytes: Uint8Array,
  declared: { height: number | null; width: number | null; channels: number | null; format: string | null },
  maxPixels: number,
): Promise<string[]> {
  const messages: string[] = [];
  const sniffed = sniffFormat(bytes);
  if (sniffed === null) return [`${key} is not an image (unrecognised bytes)`];
  const verdict = await checkTfDecodable(bytes, { maxPixels });
  const info = verdict.header;
  if (info === null) return [`${key}: ${verdict.reason ?? 'unreadable'}`];
  if (verdict.problem === 'too-many-pixels') messages.push(`${key}: ${verdict.reason ?? ''}; not decoded`);
  else if (!verdict.decodable) messages.push(`${key} is not decodable by TensorFlow: ${verdict.reason ?? ''}`);
  else {
    try {
      // Decoding every pixel is what catches entropy-coded corruption that headers cannot show.
      if (info.format === 'bmp') decodeBmp(bytes);
      else await loadSharp()(bytes, { failOn: 'truncated', limitInputPixels: maxPixels }).raw().toBuffer({ resolveWithObject: true });
    } catch (error) {
      messages.push(`${key} does not decode: ${(error as Error).message}`);
    }
  }
  if (declared.format !== null) {
    const normalised = FORMAT_ALIASES[declared.format.toLowerCase()];
    if (normalised !== info.format) messages.push(`${key} declares format "${declared.format}" but the bytes are ${info.format}`);
  }
  if (declared.height !== null && declared.height !== info.height) messages.push(`${key} declares height ${declared.height} but is ${info.height}`);
  if (declared.width !== null && declared.width !== info.width) messages.push(`${key} declares width ${declared.width} but is ${info.width}`);
  if (declared.channels !== null && declared.channels !== info.channels) {
    messages.push(`${key} declares ${declared.channels} channels but tf.io.decode_image returns ${info.channels}`);
  }
  return messages;
}
