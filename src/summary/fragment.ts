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
}
