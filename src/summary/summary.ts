/** The run summary (dataset.json): its types, file names and the per-class tally shared by convert and merge-summary. */
import type { FeatureType } from '../dataset/schema.js';
import type { ShardInfo } from '../sinks/sink.js';

/** A file (or manifest row) that was not converted, and why. */
export interface SkippedFile {
  readonly path: string;
  /** Stable kind, e.g. 'truncated', 'too-many-pixels', 'outside-class-folder', 'missing-file', 'unknown-label'. */
  readonly problem: string;
  readonly reason: string;
}

/** Records of one class and the bytes of their frames (uncompressed; a multi-label record counts for each of its classes). */
export interface ClassSummary {
  readonly records: number;
  readonly bytes: number;
}

/** Records and bytes of one split. */
export interface SplitSummary {
  readonly records: number;
  readonly bytes: number;
  readonly shards: readonly ShardInfo[];
  /** Per class name, within this split. */
  readonly classes: Readonly<Record<string, ClassSummary>>;
}

/** Everything a run did, as printed with `--json` and written to `dataset.json`. */
export interface ConvertSummary {
  readonly tool: 'img2tfrecord';
  readonly version: string;
  readonly input: string;
  readonly output: string;
  /** Where the inputs came from: 'folder', 'pre-split folder', 'manifest (csv)', 'list'. */
  readonly source: string;
  /** found = records + skipped + ignored. */
  readonly found: number;
  readonly records: number;
  readonly skipped: number;
  readonly ignored: number;
  readonly errors: readonly SkippedFile[];
  readonly ignoredFiles: readonly { readonly path: string; readonly reason: string }[];
  /** Records whose bytes were re-encoded in `keep` mode, by reason. */
  readonly transcoded: { readonly count: number; readonly reasons: Readonly<Record<string, number>> };
  /** Notes about converted files (dropped animation frames, ...). */
  readonly warnings: readonly { readonly path: string; readonly message: string }[];
  readonly shards: readonly ShardInfo[];
  /** Per split: records, bytes and shards (TFDS keeps shard lengths so readers can plan epochs). */
  readonly splits: Readonly<Record<string, SplitSummary>>;
  /** Records and record bytes per class name, over all splits. */
  readonly classes: Readonly<Record<string, ClassSummary>>;
  /** Class names in id order; ids in `labelIds`. Empty when the input has no classes. */
  readonly labels: readonly string[];
  readonly labelIds: readonly number[];
  readonly labelOffset: number;
  /** The written keys and their types. */
  readonly schema: { readonly name: string; readonly keys: readonly { readonly key: string; readonly type: FeatureType }[] };
  readonly seed: number;
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Only with `annotations`: the detection label map; records with boxes (`annotated`) and without
   * (`unannotated`, including the inputs `--annotated-only` left out, `leftOut`, which are also
   * ignored files); boxes given, written (`kept`), dropped by the geometry and written after
   * clipping, per file for files with a dropped or clipped box; annotation problems (each box
   * left out, annotations naming no input) and warnings (declared sizes that differ).
   */
  readonly annotations?: {
    readonly format: string;
    readonly labels: readonly string[];
    readonly labelIds: readonly number[];
    readonly annotated: number;
    readonly unannotated: number;
    readonly leftOut: number;
    readonly boxes: number;
    readonly kept: number;
    readonly dropped: number;
    readonly clipped: number;
    readonly files: readonly { readonly path: string; readonly boxes: number; readonly kept: number; readonly dropped: number; readonly clipped: number }[];
    readonly problems: readonly { readonly path: string; readonly kind: string; readonly message: string }[];
    readonly warnings: readonly { readonly path: string; readonly kind: string; readonly message: string }[];
  };
  /** Only with `resume`: the complete shards kept from the earlier run, and their records (not read again). */
  readonly resumed?: { readonly shards: number; readonly records: number };
  /** Only in a worker's summary: the plan all workers share, and who writes which shard. */
  readonly plan?: {
    readonly fingerprint: string;
    readonly worker: number;
    readonly workers: number;
    readonly shards: readonly { readonly file: string; readonly worker: number }[];
  };
}

/** Files written next to the shards. */
export const SUMMARY_FILE = 'dataset.json';
export const LABELS_FILE = 'labels.txt';
export const LABEL_MAP_FILE = 'label_map.pbtxt';

/** Adds a class's records and bytes into a per-class tally. */
export function addClass(into: Record<string, ClassSummary>, name: string, add: ClassSummary): void {
  const had = into[name];
  into[name] = { records: (had?.records ?? 0) + add.records, bytes: (had?.bytes ?? 0) + add.bytes };
}

/** The prefix whose run writes plain `dataset.json`. */
export const DEFAULT_PREFIX = 'train';

/**
 * The summary file of a run with shard prefix `prefix`: `dataset.json` for the default prefix
 * (which also covers every split of a `--split` run), `<prefix>.dataset.json` for any other, so
 * runs of several prefixes share one folder.
 *
 * @example
 * summaryFileName('train'); // 'dataset.json'
 * summaryFileName('validation'); // 'validation.dataset.json'
 */
export function summaryFileName(prefix: string): string {
  return prefix === DEFAULT_PREFIX ? SUMMARY_FILE : `${prefix}.${SUMMARY_FILE}`;
}

/**
 * The summary file of worker `index` of `count` (of a run with shard prefix `prefix`).
 *
 * @example
 * workerSummaryFile(2, 8); // 'dataset.2-of-8.json'
 * workerSummaryFile(2, 8, 'validation'); // 'validation.dataset.2-of-8.json'
 */
export function workerSummaryFile(index: number, count: number, prefix: string = DEFAULT_PREFIX): string {
  return `${prefix === DEFAULT_PREFIX ? '' : `${prefix}.`}dataset.${index}-of-${count}.json`;
}
