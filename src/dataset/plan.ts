/** Plans a run before any image is read: each input's split, its place in the output order and its shard. */
import { createHmac } from 'node:crypto';
import { InvalidOptionError, invalidParameterError } from '../errors.js';

/** How records are divided among shard files. */
export type Sharding =
  | { readonly kind: 'count'; readonly shards: number }
  | { readonly kind: 'size'; readonly bytes: number }
  | { readonly kind: 'records'; readonly records: number };

/** An input as the planner sees it. */
export interface PlanInput {
  readonly relPath: string;
  /** Class name, or null when unlabelled. */
  readonly className: string | null;
  /** Bytes on disk: the size-based shard plan is computed from these, so it is known before the run. */
  readonly size: number;
  /** Split fixed by the input itself (pre-split tree, manifest column); null to let `--split` decide. */
  readonly split: string | null;
  /** What `--split` stratifies by when the class is not a folder (a manifest row's label); default the class name. */
  readonly stratum?: string;
}

/** A split's fraction of the data, e.g. train 0.8. */
export interface SplitFraction {
  readonly name: string;
  readonly fraction: number;
}

/** What the planner needs to know. */
export interface PlanSettings {
  readonly sharding: Sharding;
  /** Split fractions from `--split`, or null. */
  readonly splits: readonly SplitFraction[] | null;
  /** Name of the single split when there are no splits (the `--prefix`). */
  readonly defaultSplit: string;
  readonly seed: number;
  readonly shuffle: boolean;
}

/** One split's inputs in output order, and the shard each goes to. */
export interface SplitPlan<T extends PlanInput> {
  readonly name: string;
  readonly inputs: readonly T[];
  /** `shardOf[i]` is the shard of `inputs[i]`; non-decreasing. */
  readonly shardOf: readonly number[];
  readonly shardCount: number;
}

/**
 * Parses `train=0.8,validation=0.1,test=0.1`. Fractions must be positive and sum to 1 (within 1e-6).
 *
 * @example
 * parseSplitSpec('train=0.9,validation=0.1');
 */
export function parseSplitSpec(spec: string): SplitFraction[] {
  const parts = spec.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const out: SplitFraction[] = [];
  for (const part of parts) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_-]*)=(\d*\.?\d+)$/.exec(part);
    if (match === null) throw invalidParameterError('split', 'name=fraction pairs such as train=0.8,validation=0.2', spec);
    const fraction = Number(match[2]);
    if (!(fraction > 0)) throw invalidParameterError(`split fraction of ${match[1]}`, 'number above 0', fraction);
    if (out.some((s) => s.name === match[1])) throw new InvalidOptionError(`Split ${match[1]} is named twice in "${spec}"`);
    out.push({ name: match[1] as string, fraction });
  }
  const sum = out.reduce((s, f) => s + f.fraction, 0);
  if (out.length === 0 || Math.abs(sum - 1) > 1e-6) {
    throw invalidParameterError('split', 'fractions that sum to 1', spec);
  }
  return out;
}

/**
 * A number in [0, 1) from a keyed hash of `text`: the same for the same seed and purpose on every
 * machine, and independent of every other file, which is what keeps splits stable as data grows.
 *
 * @example
 * keyedUnit(0, 'split', 'cat/001.jpg'); // the same number in [0, 1) on every run and machine
 */
export function keyedUnit(seed: number, purpose: string, text: string): number {
  const digest = createHmac('sha256', `img2tfrecord/${purpose}/${seed}`).update(text).digest();
  // 48 bits fit a double exactly.
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/**
 * Assigns splits by keyed hash, stratified per class: within each class a file's hash value picks
 * its split from the cumulative fractions, so adding files never moves an existing file. A class
 * with at least as many files as there are splits but none in some split gets the file whose hash
 * lies nearest that split's interval moved there, so every class is represented in every split.
 *
 * @example
 * const splits = assignSplits(inputs, parseSplitSpec('train=0.8,validation=0.2'), 0);
 * splits.get(inputs[0]); // 'train' or 'validation', stable as files are added
 */
export function assignSplits<T extends PlanInput>(inputs: readonly T[], splits: readonly SplitFraction[], seed: number): Map<T, string> {
  const bounds: { name: string; lo: number; hi: number }[] = [];
  let acc = 0;
  for (const [i, s] of splits.entries()) {
    const lo = acc;
    acc = i === splits.length - 1 ? 1 : acc + s.fraction;
    bounds.push({ name: s.name, lo, hi: acc });
  }
  const byClass = new Map<string, { input: T; u: number }[]>();
  for (const input of inputs) {
    const key = input.stratum ?? input.className ?? '';
    const list = byClass.get(key) ?? [];
    list.push({ input, u: keyedUnit(seed, 'split', input.relPath) });
    byClass.set(key, list);
  }
  const result = new Map<T, string>();
  for (const members of byClass.values()) {
    const assigned = new Map<T, string>();
    for (const { input, u } of members) {
      assigned.set(input, (bounds.find((b) => u < b.hi) ?? bounds[bounds.length - 1])?.name as string);
    }
    if (members.length >= bounds.length) {
      for (const b of bounds) {
        if ([...assigned.values()].includes(b.name)) continue;
        // Take from a split that has more than one file, the file nearest this split's interval.
        const counts = new Map<string, number>();
        for (const name of assigned.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
        let best: { input: T; d: number } | null = null;
        for (const { input, u } of members) {
          const from = assigned.get(input) as string;
          if ((counts.get(from) ?? 0) < 2) continue;
          const d = u < b.lo ? b.lo - u : u - b.hi;
          if (best === null || d < best.d || (d === best.d && input.relPath < best.input.relPath)) best = { input, d };
        }
        if (best !== null) assigned.set(best.input, b.name);
      }
    }
    for (const [input, name] of assigned) result.set(input, name);
  }
  return result;
}

/**
 * Plans every split: which inputs, in what order (sorted, or a seeded shuffle), and which shard
 * each goes to. Depends only on paths, classes and file sizes, so every worker of a distributed
 * run computes the same plan.
 *
 * @example
 * const plans = planShards(inputs, { sharding: { kind: 'count', shards: 4 }, splits: null, defaultSplit: 'train', seed: 0, shuffle: false });
 */
export function planShards<T extends PlanInput>(inputs: readonly T[], settings: PlanSettings): SplitPlan<T>[] {
  const free = inputs.filter((i) => i.split === null);
  const hashed = settings.splits === null ? null : assignSplits(free, settings.splits, settings.seed);
  const groups = new Map<string, T[]>();
  // Declared split order first (train, validation, test), then any split named by the input.
  for (const s of settings.splits ?? []) groups.set(s.name, []);
  for (const input of inputs) {
    const name = input.split ?? hashed?.get(input) ?? settings.defaultSplit;
    const list = groups.get(name) ?? [];
    list.push(input);
    groups.set(name, list);
  }
  const plans: SplitPlan<T>[] = [];
  for (const [name, members] of groups) {
    const ordered = settings.shuffle ? shuffleByKey(members, settings.seed) : [...members].sort(byPath);
    const { shardOf, shardCount } = planShardIndices(ordered, settings.sharding);
    plans.push({ name, inputs: ordered, shardOf, shardCount });
  }
  return plans;
}

function byPath(a: PlanInput, b: PlanInput): number {
  return a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;
}

/** A seeded permutation: order by keyed hash, ties (never in practice) by path. */
function shuffleByKey<T extends PlanInput>(members: readonly T[], seed: number): T[] {
  const keyed = members.map((m) => ({ m, k: keyedUnit(seed, 'shuffle', m.relPath) }));
  keyed.sort((a, b) => a.k - b.k || byPath(a.m, b.m));
  return keyed.map((x) => x.m);
}

/** Frame and feature overhead added to a file's size when planning by size (16-byte frame + keys). */
const PLANNED_RECORD_OVERHEAD = 512;

function planShardIndices(ordered: readonly PlanInput[], sharding: Sharding): { shardOf: number[]; shardCount: number } {
  const n = ordered.length;
  switch (sharding.kind) {
    case 'count':
      return { shardOf: ordered.map((_, i) => Math.floor((i * sharding.shards) / Math.max(1, n))), shardCount: sharding.shards };
    case 'records':
      return { shardOf: ordered.map((_, i) => Math.floor(i / sharding.records)), shardCount: Math.max(1, Math.ceil(n / sharding.records)) };
    case 'size': {
      const shardOf: number[] = [];
      let shard = 0;
      let bytes = 0;
      for (const input of ordered) {
        const planned = input.size + PLANNED_RECORD_OVERHEAD;
        if (bytes > 0 && bytes + planned > sharding.bytes) {
          shard++;
          bytes = 0;
        }
        bytes += planned;
        shardOf.push(shard);
      }
      return { shardOf, shardCount: shard + 1 };
    }
  }
}
