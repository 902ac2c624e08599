/** `inspect --spec`: per-key statistics over every record, and the tf.data parsing spec they imply (as data and JSON). */
import { open, stat } from 'node:fs/promises';
import { formatKey, isNonUtf8Key, decodeKey, type DecodedExample } from '../example/index.js';
import { readHeaderFacts, sniffFormat } from '../image/index.js';
import { detectCompression, type Compression } from '../record/index.js';
import { tallyKey, type KeyTally } from './key-tally.js';

/** Statistics of one feature key over every record read (what the spec is built from). */
export interface SpecKeyStats {
  /** The key as text (escaped when not UTF-8, as `inspect` shows it). */
  readonly key: string;
  /** The key's bytes are not UTF-8: Python cannot name it in a feature_description. */
  readonly nonUtf8: boolean;
  /** 'none' while every occurrence is an empty feature; 'mixed' when records disagree. */
  readonly kind: 'bytes' | 'float' | 'int64' | 'mixed' | 'none';
  /** Records that carry the key (an empty list counts as carried, with 0 values). */
  readonly records: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** For keys whose first value is an encoded image in some record: formats, largest channel count, 16-bit seen. */
  readonly image: { readonly formats: readonly string[]; readonly maxChannels: number; readonly minChannels: number; readonly sixteenBit: boolean } | null;
  /** For bytes keys: shortest and longest first value, and whether every first value looks like base64 text. */
  readonly bytes: { readonly minLength: number; readonly maxLength: number; readonly base64: boolean } | null;
  /** Distinct single values (bytes as text, int64 as decimal) when there are at most 16, else null. */
  readonly values: readonly string[] | null;
}

/** What {@link buildSpec} needs: every key's statistics and the files' compression. */
export interface SpecStats {
  readonly files: readonly { readonly file: string; readonly compression: Compression | 'lmdb' }[];
  readonly records: number;
  /** Records that are tf.train.SequenceExample (their context features are what was counted). */
  readonly sequenceExamples: number;
  readonly keys: readonly SpecKeyStats[];
}

/** One entry of the `feature_description` dict. */
export interface SpecFeature {
  readonly key: string;
  readonly kind: 'fixed' | 'var';
  readonly dtype: 'string' | 'float32' | 'int64';
  /** FixedLenFeature shape: [] for one value per record, [n] for n. Empty for VarLen. */
  readonly shape: readonly number[];
  /** Present when some records lack a fixed-length key: '' / 0 / 0.0, or a list of n of them. */
  readonly defaultValue?: string | number | readonly (string | number)[];
  /** Records that carry the key, of all records. */
  readonly records: number;
}

/** An encoded-image key and how to decode it. */
export interface SpecImage {
  readonly key: string;
  /** decode_image's channels: 1 when every image is grey, 4 when any has alpha, else 3; 3 where a format in the key cannot take that (JPEG 4, GIF 1 or 4, BMP 1). */
  readonly channels: 1 | 3 | 4;
  readonly dtype: 'uint8' | 'uint16';
  readonly formats: readonly string[];
}

/** A raw-tensor key and how to rebuild it. */
export interface SpecRaw {
  readonly key: string;
  /** bytes: decode_raw (after decode_base64 when `base64`); float: already a float32 list. */
  readonly source: 'bytes' | 'float';
  readonly base64: boolean;
  readonly dtype: 'uint8' | 'uint16' | 'float32';
  /** fixed dims (--raw-shape), a shape key (int64 list), height/width[/channels] keys, or null (no reshape). */
  readonly shape: { readonly kind: 'fixed'; readonly dims: readonly number[] } | { readonly kind: 'key'; readonly key: string } | { readonly kind: 'keys'; readonly keys: readonly string[] } | null;
  /** 'chw' tensors are transposed to HWC after the reshape. */
  readonly layout: 'hwc' | 'chw';
  /** 'bgr' tensors have their channel axis reversed to RGB. */
  readonly channelOrder: 'rgb' | 'bgr';
}

/** The whole spec: what `inspect --spec json` prints and `--spec python` renders. */
export interface Spec {
  readonly records: number;
  /** One group per compression, in first-seen order: TFRecordDataset takes one compression_type. */
  readonly datasets: readonly { readonly compressionType: 'GZIP' | 'ZLIB' | null; readonly files: readonly string[] }[];
  /** Caffe LMDB folders read (not loadable by TFRecordDataset; listed so the user knows). */
  readonly lmdb: readonly string[];
  /** The records are tf.train.SequenceExample: parse their context with parse_single_sequence_example. */
  readonly sequenceExample: boolean;
  readonly features: readonly SpecFeature[];
  readonly images: readonly SpecImage[];
  readonly raws: readonly SpecRaw[];
  /** Keys left out of the description, with why. */
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
  readonly notes: readonly string[];
}

/** Options of {@link buildSpec}. */
export interface SpecOptions {
  /** `--raw-shape H,W[,C]`: the shape of raw tensors that carry none. */
  readonly rawShape?: readonly number[];
}

const VALUE_LIMIT = 16;
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

interface MutableKey extends KeyTally {
  nonUtf8: boolean;
  formats: Set<string>;
  maxChannels: number;
  minChannels: number;
  sixteenBit: boolean;
  minLength: number;
  maxLength: number;
  base64: boolean;
  values: Set<string> | null;
}

/**
 * Gathers per-key statistics while walking records. Feed it each record's decoded Example with
 * {@link SpecGatherer.add}, then {@link SpecGatherer.finish}. Pure (no I/O): the caller reads.
 *
 * @example
 * const gatherer = new SpecGatherer();
 * for await (const { example, kind } of readExamples(file)) gatherer.add(example, kind === 'sequence-example');
 * const stats = gatherer.finish([{ file, compression: 'none' }]);
 */
export class SpecGatherer {
  #keys = new Map<string, MutableKey>();
  #records = 0;
  #sequence = 0;

  /** Counts one record. */
  add(example: Pick<DecodedExample, 'featureMap' | 'emptyKeys'>, sequenceExample = false): void {
    this.#records++;
    if (sequenceExample) this.#sequence++;
    const empty = new Set(example.emptyKeys);
    for (const [rawKey, feature] of example.featureMap) {
      const key = formatKey(rawKey);
      let s = this.#keys.get(key);
      if (s === undefined) {
        s = {
          nonUtf8: isNonUtf8Key(rawKey), kind: 'none', records: 0, empty: 0, minCount: Infinity, maxCount: 0, formats: new Set(), maxChannels: 0,
          minChannels: Infinity, sixteenBit: false, minLength: Infinity, maxLength: 0, base64: true, values: new Set(),
        };
        this.#keys.set(key, s);
      }
      const kind = empty.has(rawKey) ? 'none' : feature.kind;
      const n = feature.values.length;
      tallyKey(s, kind, n);
      if (n === 0) continue;
      if (feature.kind === 'bytes') noteBytes(s, feature.values[0] as Uint8Array, n);
      else if (feature.kind === 'int64' && n === 1) noteValue(s, String(feature.values[0]));
      else s.values = null;
    }
  }

  /** The statistics so far, keys in code-unit order (the same for the same records in any run). */
  finish(files: SpecStats['files']): SpecStats {
    const keys = [...this.#keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, s]) => finishKey(key, s));
    return { files, records: this.#records, sequenceExamples: this.#sequence, keys };
  }
}

function noteValue(s: MutableKey, value: string): void {
  if (s.values === null) return;
  if (s.values.has(value)) return;
  if (s.values.size >= VALUE_LIMIT) s.values = null;
  else s.values.add(value);
}

function noteBytes(s: MutableKey, first: Uint8Array, count: number): void {
  s.minLength = Math.min(s.minLength, first.length);
  s.maxLength = Math.max(s.maxLength, first.length);
  if (first.length > 64 && sniffFormat(first) !== null) {
    s.values = null;
    s.base64 = false;
    try {
      const facts = readHeaderFacts(first);
      s.formats.add(facts.format);
      s.maxChannels = Math.max(s.maxChannels, facts.channels);
      s.minChannels = Math.min(s.minChannels, facts.channels);
      if (facts.format === 'png' && facts.bitDepth === 16) s.sixteenBit = true;
    } catch {
      s.formats.add(sniffFormat(first) ?? 'unknown');
    }
    return;
  }
  // Only the head is checked: a 1 MB value need not be scanned to tell base64 text from pixels.
  if (s.base64 && (first.length % 4 !== 0 || !BASE64_TEXT.test(Buffer.from(first.subarray(0, 256)).toString('latin1')))) s.base64 = false;
  if (count === 1 && first.length <= 64) noteValue(s, formatKey(decodeKey(first)));
  else s.values = null;
}

function finishKey(key: string, s: MutableKey): SpecKeyStats {
  const image = s.formats.size > 0
    ? { formats: [...s.formats].sort(), maxChannels: s.maxChannels, minChannels: s.minChannels === Infinity ? 0 : s.minChannels, sixteenBit: s.sixteenBit }
    : null;
  const bytes = s.kind === 'bytes' && s.maxLength > 0 ? { minLength: s.minLength, maxLength: s.maxLength, base64: s.base64 && image === null } : null;
  const values = s.values === null || s.values.size === 0 ? null : [...s.values].sort();
  return { key, nonUtf8: s.nonUtf8, kind: s.kind, records: s.records, minCount: s.minCount === Infinity ? 0 : s.minCount, maxCount: s.maxCount, image, bytes, values };
}

/**
 * The compression of a record file from its first bytes ('lmdb' for a Caffe LMDB folder).
 *
 * @example
 * await detectFileCompression('out/train-00000-of-00001.tfrecord.gz'); // 'gzip'
 */
export async function detectFileCompression(file: string): Promise<Compression | 'lmdb'> {
  if ((await stat(file)).isDirectory()) return 'lmdb';
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    const detected = detectCompression(head.subarray(0, bytesRead));
    // 'unknown' bytes fail in the reader with its own message; here they count as plain.
    return detected === 'unknown' ? 'none' : detected;
  } finally {
    await handle.close();
  }
}

/** A reader of examples, such as `readExamples` (passed in so this module depends on no read command). */
export type ExampleSource = (file: string) => AsyncIterable<{ readonly example: Pick<DecodedExample, 'featureMap' | 'emptyKeys'>; readonly kind: 'example' | 'sequence-example' }>;

/**
 * Walks every record of the files and gathers the statistics {@link buildSpec} takes.
 *
 * @example
 * import { readExamples } from './examples.js';
 * const stats = await gatherSpecStats(['out/train-00000-of-00001.tfrecord'], readExamples);
 */
export async function gatherSpecStats(files: readonly string[], read: ExampleSource): Promise<SpecStats> {
  const gatherer = new SpecGatherer();
  const described: { file: string; compression: Compression | 'lmdb' }[] = [];
  for (const file of files) {
    described.push({ file, compression: await detectFileCompression(file) });
    for await (const entry of read(file)) gatherer.add(entry.example, entry.kind === 'sequence-example');
  }
  return gatherer.finish(described);
}
