/** What one shard's inputs came to (a fragment of the summary), and how fragments add up. */
import type { FeatureType } from '../dataset/schema.js';
import { addClass, type ClassSummary, type SkippedFile } from './summary.js';

/** What one shard's inputs came to: kept beside a complete shard so a resumed run can count it. */
export interface ShardFragment {
  records: number;
  errors: SkippedFile[];
  warnings: { path: string; message: string }[];
  transcoded: Record<string, number>;
  classes: Record<string, ClassSummary>;
  keys: Record<string, FeatureType>;
  /** Only in an object-detection run: what the shard's annotations came to. */
  detection?: DetectionTally;
  /**
   * Only in a TFDS run (`--tfds-name`): records per stored image kind, `<format>/<channels>`
   * (e.g. `jpeg/3`), from which features.json declares the Image feature. Absent otherwise, so
   * the resume ledgers of other runs keep their bytes.
   */
  images?: Record<string, number>;
}

/** An object-detection annotation problem or warning, named by the annotation's path and line or index. */
export interface DetectionNote {
  readonly path: string;
  readonly kind: string;
  readonly message: string;
}

/** Boxes of the records: given by the annotations, written, dropped by the geometry, written after clipping. */
export interface DetectionCounts {
  boxes: number;
  kept: number;
  dropped: number;
  clipped: number;
}

/** The object-detection tally of some records: totals, the files whose boxes were dropped or clipped, problems and warnings. */
export interface DetectionTally extends DetectionCounts {
  /** Records without boxes (unannotated inputs). */
  unannotated: number;
  files: ({ path: string } & DetectionCounts)[];
  problems: DetectionNote[];
  warnings: DetectionNote[];
}

/**
 * An empty object-detection tally.
 *
 * @example
 * emptyDetectionTally().boxes; // 0
 */
export function emptyDetectionTally(): DetectionTally {
  return { boxes: 0, kept: 0, dropped: 0, clipped: 0, unannotated: 0, files: [], problems: [], warnings: [] };
}

/**
 * Adds `from` into `into`.
 *
 * @example
 * mergeDetectionTally(total, fragment.detection);
 */
export function mergeDetectionTally(into: DetectionTally, from: DetectionTally): void {
  into.boxes += from.boxes;
  into.kept += from.kept;
  into.dropped += from.dropped;
  into.clipped += from.clipped;
  into.unannotated += from.unannotated;
  into.files.push(...from.files);
  into.problems.push(...from.problems);
  into.warnings.push(...from.warnings);
}

/**
 * A fragment of no records.
 *
 * @example
 * emptyFragment().records; // 0
 */
export function emptyFragment(): ShardFragment {
  return { records: 0, errors: [], warnings: [], transcoded: {}, classes: {}, keys: {} };
}

/**
 * Adds `from` into `into`.
 *
 * @example
 * mergeFragment(total, shardFragment);
 */
export function mergeFragment(into: ShardFragment, from: ShardFragment): void {
  into.records += from.records;
  into.errors.push(...from.errors);
  into.warnings.push(...from.warnings);
  for (const [k, n] of Object.entries(from.transcoded)) into.transcoded[k] = (into.transcoded[k] ?? 0) + n;
  for (const [k, c] of Object.entries(from.classes)) addClass(into.classes, k, c);
  Object.assign(into.keys, from.keys);
  if (from.detection !== undefined) mergeDetectionTally(into.detection ??= emptyDetectionTally(), from.detection);
  if (from.images !== undefined) {
    into.images ??= {};
    for (const [k, n] of Object.entries(from.images)) into.images[k] = (into.images[k] ?? 0) + n;
  }
}
