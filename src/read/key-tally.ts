/** Counts one key's values over records: its type, how many records carry it, the min and max value count. */

/** A key's kind as the records show it: one feature kind, `mixed` when records disagree, `none` while only empty. */
export type TalliedKind = 'bytes' | 'float' | 'int64' | 'mixed' | 'none';

/** What {@link tallyKey} keeps per key (readers add their own fields beside these). */
export interface KeyTally {
  kind: TalliedKind;
  records: number;
  /** Records where the key had no values (until the first non-empty one fixes the kind). */
  empty: number;
  minCount: number;
  maxCount: number;
}

/**
 * Adds one record's feature to a key's tally. An empty feature says nothing of the key's kind,
 * but an empty list of a kind says more than no list at all; records that disagree make it `mixed`.
 *
 * @example
 * const t = { kind: 'none', records: 0, empty: 0, minCount: Infinity, maxCount: 0 };
 * tallyKey(t, 'int64', 1); // t.kind === 'int64', t.minCount === 1
 */
export function tallyKey(t: KeyTally, kind: Exclude<TalliedKind, 'mixed'>, count: number): void {
  if (count > 0) {
    if (t.records === t.empty) t.kind = kind;
    else if (t.kind !== kind) t.kind = 'mixed';
  } else {
    t.empty++;
    if (t.kind === 'none' && kind !== 'none') t.kind = kind;
  }
  t.records++;
  t.minCount = Math.min(t.minCount, count);
  t.maxCount = Math.max(t.maxCount, count);
}
