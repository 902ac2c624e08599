/** inspect: summarises record files (keys, types, image formats) without decoding images. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeKey, formatKey } from '../example/index.js';
import { describeEncoded, sniffFormat } from '../image/index.js';
import { openRecordStream, type Compression } from '../record/index.js';
import { isLmdbDir } from '../sinks/record-files.js';
import { readExamples } from './examples.js';
import { matchSchema } from '../dataset/schema.js';
import { compareCodeUnits } from '../runtime/compare.js';
import { boxClassName, readRecordBoxes } from './extract-boxes.js';
import { tallyKey, type KeyTally } from './key-tally.js';

/** Statistics of one feature key over a set of records. */
export interface KeyStats {
  readonly key: string;
  /** 'none' while every occurrence is an empty feature (a Feature with no list set). */
  readonly type: 'bytes' | 'float' | 'int64' | 'mixed' | 'none';
  /** Records that carry the key. */
  readonly records: number;
  readonly minValues: number;
  readonly maxValues: number;
  /** For label-like int64 or short text keys: value -> record count (at most 1000 distinct values kept). */
  readonly histogram?: Readonly<Record<string, number>>;
  /** For keys holding encoded images: format -> count and the range of sizes. */
  readonly images?: {
    readonly formats: Readonly<Record<string, number>>;
    readonly minWidth: number;
    readonly maxWidth: number;
    readonly minHeight: number;
    readonly maxHeight: number;
  };
}

/** What `inspect` reports about one file. */
export interface FileReport {
  readonly file: string;
  /** 'tfrecord', or 'lmdb' for a Caffe LMDB database folder. */
  readonly format: 'tfrecord' | 'lmdb';
  readonly compression: Compression;
  readonly records: number;
  /** Bytes on disk. */
  readonly bytes: number;
  readonly sequenceExamples: number;
}

/** Object-detection boxes over the records that carry `image/object/bbox/*` keys. */
export interface ObjectStats {
  /** Records with box keys (an empty list counts: a negative example). */
  readonly records: number;
  readonly boxes: number;
  /** Boxes per record. */
  readonly min: number;
  readonly median: number;
  readonly max: number;
  /** Class text (else label id) -> boxes, most first. */
  readonly perClass: Readonly<Record<string, number>>;
}

/** The whole `inspect` report. */
export interface InspectReport {
  readonly files: readonly FileReport[];
  readonly records: number;
  readonly bytes: number;
  readonly keys: readonly KeyStats[];
  /** The schema the keys match (inception, mnist, tfds, object-detection), or null. */
  readonly schema: string | null;
  /** Boxes per record and per class, when records carry object-detection keys; else null. */
  readonly objects: ObjectStats | null;
}

const LABEL_KEY = /(^|\/)(label|class|text|species|split)(\/|$)|label/i;
const HISTOGRAM_LIMIT = 1000;

interface MutableStats extends KeyTally {
  histogram: Map<string, number> | null;
  overflow: boolean;
  formats: Map<string, number>;
  minWidth: number;
  maxWidth: number;
  minHeight: number;
  maxHeight: number;
}

/**
 * Summarises record files: records and bytes per file and in total, every key with its type, how
 * many records carry it and the min/max value count, label histograms and image format/size
 * ranges read from headers only (no decoding).
 *
 * @example
 * const report = await inspectFiles(['out/train-00000-of-00001.tfrecord']);
 */
export async function inspectFiles(files: readonly string[]): Promise<InspectReport> {
  const stats = new Map<string, MutableStats>();
  const reports: FileReport[] = [];
  const objects = new ObjectCounter();
  for (const file of files) {
    const lmdb = await isLmdbDir(file);
    const compression = lmdb ? 'none' : (await openRecordStream(file)).compression;
    let records = 0;
    let sequenceExamples = 0;
    for await (const entry of readExamples(file)) {
      records++;
      if (entry.kind === 'sequence-example') sequenceExamples++;
      objects.add(entry.features);
      // The Map, not Object.entries: every key counts, "__proto__" and non-UTF-8 ones included.
      const empty = new Set(entry.example.emptyKeys);
      for (const [rawKey, feature] of entry.example.featureMap) {
        // Shown escaped when not UTF-8; formatKey never gives two keys the same text.
        const key = formatKey(rawKey);
        const kind = empty.has(rawKey) ? 'none' : feature.kind;
        let s = stats.get(key);
        if (s === undefined) {
          s = {
            // Per-object lists (image/object/...) are counted by `objects` instead: a one-value histogram would miss every record with two boxes.
            kind: 'none', records: 0, empty: 0, minCount: Infinity, maxCount: 0, histogram: LABEL_KEY.test(key) && !key.startsWith('image/object/') ? new Map() : null,
            overflow: false, formats: new Map(), minWidth: Infinity, maxWidth: 0, minHeight: Infinity, maxHeight: 0,
          };
          stats.set(key, s);
        }
        const n = feature.values.length;
        tallyKey(s, kind, n);
        if (feature.kind === 'bytes') {
          const first = feature.values[0];
          if (first !== undefined && first.length > 64 && sniffFormat(first) !== null) {
            countImage(s, first);
            continue;
          }
        }
        if (s.histogram !== null && n === 1) {
          const v = feature.values[0];
          // Escaped like keys, so two labels that are not UTF-8 never merge into U+FFFD.
          const label = feature.kind === 'bytes' ? formatKey(decodeKey(v as Uint8Array)) : String(v);
          if (s.histogram.has(label) || s.histogram.size < HISTOGRAM_LIMIT) s.histogram.set(label, (s.histogram.get(label) ?? 0) + 1);
          else s.overflow = true;
        }
      }
    }
    reports.push({ file, format: lmdb ? 'lmdb' : 'tfrecord', compression, records, bytes: (await stat(lmdb ? join(file, 'data.mdb') : file)).size, sequenceExamples });
  }
  const keys = [...stats.entries()].sort(([a], [b]) => compareCodeUnits(a, b)).map(([key, s]) => finishStats(key, s));
  return {
    files: reports,
    records: reports.reduce((n, r) => n + r.records, 0),
    bytes: reports.reduce((n, r) => n + r.bytes, 0),
    keys,
    schema: reports.every((r) => r.format === 'lmdb') && reports.length > 0 ? 'caffe-datum' : matchSchema(keys.map((k) => k.key)),
    objects: objects.finish(),
  };
}

/** Counts boxes per record (as a histogram, so memory stays flat) and per class. */
class ObjectCounter {
  private readonly perRecord = new Map<number, number>();
  private readonly perClass = new Map<string, number>();
  private records = 0;
  private boxes = 0;

  add(features: Parameters<typeof readRecordBoxes>[0]): void {
    const boxes = readRecordBoxes(features);
    if (boxes === null) return;
    this.records++;
    this.boxes += boxes.length;
    this.perRecord.set(boxes.length, (this.perRecord.get(boxes.length) ?? 0) + 1);
    for (const box of boxes) {
      const name = boxClassName(box);
      if (this.perClass.has(name) || this.perClass.size < HISTOGRAM_LIMIT) this.perClass.set(name, (this.perClass.get(name) ?? 0) + 1);
    }
  }

  finish(): ObjectStats | null {
    if (this.records === 0) return null;
    const counts = [...this.perRecord].sort(([a], [b]) => a - b);
    return {
      records: this.records,
      boxes: this.boxes,
      min: counts[0]?.[0] ?? 0,
      median: medianOf(counts, this.records),
      max: counts.at(-1)?.[0] ?? 0,
      perClass: Object.fromEntries([...this.perClass].sort(([a, x], [b, y]) => y - x || compareCodeUnits(a, b))),
    };
  }
}

/** The median of a sorted (value, count) histogram over `total` items (the mean of the two middle ones when even). */
function medianOf(counts: readonly (readonly [number, number])[], total: number): number {
  const at = (rank: number): number => {
    let seen = 0;
    for (const [value, n] of counts) {
      seen += n;
      if (rank < seen) return value;
    }
    return 0;
  };
  return (at(Math.floor((total - 1) / 2)) + at(Math.floor(total / 2))) / 2;
}

function countImage(s: MutableStats, bytes: Uint8Array): void {
  s.histogram = null;
  try {
    const info = describeEncoded(bytes);
    s.formats.set(info.format, (s.formats.get(info.format) ?? 0) + 1);
    s.minWidth = Math.min(s.minWidth, info.width);
    s.maxWidth = Math.max(s.maxWidth, info.width);
    s.minHeight = Math.min(s.minHeight, info.height);
    s.maxHeight = Math.max(s.maxHeight, info.height);
  } catch {
    const format = sniffFormat(bytes) ?? 'unknown';
    s.formats.set(format, (s.formats.get(format) ?? 0) + 1);
  }
}

function finishStats(key: string, s: MutableStats): KeyStats {
  const base = { key, type: s.kind, records: s.records, minValues: s.minCount === Infinity ? 0 : s.minCount, maxValues: s.maxCount };
  if (s.formats.size > 0) {
    return {
      ...base,
      images: {
        formats: Object.fromEntries([...s.formats].sort()),
        minWidth: s.minWidth === Infinity ? 0 : s.minWidth,
        maxWidth: s.maxWidth,
        minHeight: s.minHeight === Infinity ? 0 : s.minHeight,
        maxHeight: s.maxHeight,
      },
    };
  }
  // A histogram of mostly-distinct values (file names, ids) says nothing: keep it only for labels.
  if (s.histogram !== null && !s.overflow && s.histogram.size > 0 && s.histogram.size <= Math.max(100, s.records / 2)) {
    const entries = [...s.histogram].sort(([a], [b]) => compareLabels(a, b));
    return { ...base, histogram: Object.fromEntries(entries) };
  }
  return base;
}

function compareLabels(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return compareCodeUnits(a, b);
}

