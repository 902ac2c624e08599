/** Builds a run's summary (dataset.json) from what the run planned and what its shards came to: a pure function. */
import type { LabelMap } from '../dataset/labels.js';
import type { ShardInfo } from '../sinks/sink.js';
import { compareCodeUnits, sortKeys } from '../runtime/compare.js';
import { TOOL_VERSION } from '../runtime/version.js';
import { emptyDetectionTally, emptyFragment, mergeFragment, type DetectionNote, type ShardFragment } from './fragment.js';
import { addClass, type ClassSummary, type ConvertSummary, type SkippedFile, type SplitSummary } from './summary.js';

/** Everything a summary is built from. */
export interface SummaryInput {
  /** The input as named in the summary: the folder, the manifest, or '-' for a list. */
  readonly input: string;
  readonly output: string;
  /** Where the inputs came from: 'folder', 'manifest (csv)', ... */
  readonly source: string;
  readonly seed: number;
  /** The settings as recorded (see describeSettings). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly schemaName: string;
  readonly labelMap: LabelMap | null;
  readonly labelOffset: number;
  /** The splits in plan order. */
  readonly splits: readonly { readonly name: string }[];
  /** The shards written (or kept) per split. */
  readonly shards: Readonly<Record<string, readonly ShardInfo[]>>;
  /** Per split, per shard: what its inputs came to. */
  readonly fragments: ReadonlyMap<string, ReadonlyMap<number, ShardFragment>>;
  /** Up-front problems (manifest rows, unknown labels) and ignored files. */
  readonly problems: readonly SkippedFile[];
  readonly ignored: readonly { readonly relPath: string; readonly reason: string }[];
  /** Whether this process reports the up-front problems: worker 0 of a distributed run, or a plain run. */
  readonly reportsGlobal: boolean;
  /** Inputs in the shards this process owns. */
  readonly ownedInputs: number;
  /** With resume: the complete shards kept and their records. */
  readonly resumed: { readonly shards: number; readonly records: number } | null;
  /** In a worker's summary: the shared plan. */
  readonly plan: NonNullable<ConvertSummary['plan']> | null;
  /** Only in an object-detection run: its format, label map, the problems found before any image, inputs --annotated-only left out. */
  readonly detection?: {
    readonly format: string;
    readonly labelMap: LabelMap;
    readonly problems: readonly DetectionNote[];
    readonly leftOut: number;
  };
}

/**
 * The summary of a run. Shard fragments are added in shard order, so the summary is the same at
 * any concurrency and for a resumed run.
 *
 * @example
 * const summary = buildSummary(input); // summary.records, summary.splits.train.shards, ...
 */
export function buildSummary(input: SummaryInput): ConvertSummary {
  const all = emptyFragment();
  const splits: Record<string, SplitSummary> = {};
  for (const split of input.splits) {
    splits[split.name] = summariseSplit(input.shards[split.name] ?? [], input.fragments.get(split.name), all);
  }
  const errorList = [...(input.reportsGlobal ? input.problems : []), ...all.errors].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ignored = input.reportsGlobal ? input.ignored : [];
  const map = input.labelMap;
  return {
    tool: 'img2tfrecord',
    version: TOOL_VERSION,
    input: input.input,
    output: input.output,
    source: input.source,
    found: input.ownedInputs + (input.reportsGlobal ? input.problems.length + ignored.length : 0),
    records: all.records,
    skipped: errorList.length,
    ignored: ignored.length,
    errors: errorList,
    ignoredFiles: ignored.map((f) => ({ path: f.relPath, reason: f.reason })),
    transcoded: { count: Object.values(all.transcoded).reduce((a, b) => a + b, 0), reasons: sortKeys(all.transcoded) },
    warnings: all.warnings,
    shards: input.splits.flatMap((split) => input.shards[split.name] ?? []),
    splits,
    classes: sortKeys(all.classes),
    labels: map?.names ?? [],
    labelIds: map?.ids ?? [],
    labelOffset: map?.offset ?? input.labelOffset,
    schema: {
      name: input.schemaName,
      keys: Object.entries(all.keys).sort(([a], [b]) => compareCodeUnits(a, b)).map(([key, type]) => ({ key, type })),
    },
    seed: input.seed,
    options: input.options,
    ...(input.detection === undefined ? {} : { annotations: summariseDetection(input, all) }),
    ...(input.resumed === null ? {} : { resumed: input.resumed }),
    ...(input.plan === null ? {} : { plan: input.plan }),
  };
}

/** One split's summary; its fragments are also added into `all`. */
function summariseSplit(shards: readonly ShardInfo[], fragments: ReadonlyMap<number, ShardFragment> | undefined, all: ShardFragment): SplitSummary {
  let records = 0;
  const classes: Record<string, ClassSummary> = {};
  for (const [, fragment] of [...(fragments ?? new Map<number, ShardFragment>())].sort(([a], [b]) => a - b)) {
    if (fragment === null) continue;
    mergeFragment(all, fragment);
    records += fragment.records;
    for (const [k, c] of Object.entries(fragment.classes)) addClass(classes, k, c);
  }
  return { records, bytes: shards.reduce((n, x) => n + x.bytes, 0), shards, classes: sortKeys(classes) };
}

/** The object-detection part of the summary: up-front problems (reported once), then the records' tally. */
function summariseDetection(input: SummaryInput, all: ShardFragment): NonNullable<ConvertSummary['annotations']> {
  const detection = input.detection as NonNullable<SummaryInput['detection']>;
  const tally = all.detection ?? emptyDetectionTally();
  const leftOut = input.reportsGlobal ? detection.leftOut : 0;
  const problems = [...(input.reportsGlobal ? detection.problems : []), ...tally.problems];
  return {
    format: detection.format,
    labels: detection.labelMap.names,
    labelIds: detection.labelMap.ids,
    annotated: all.records - tally.unannotated,
    unannotated: tally.unannotated + leftOut,
    leftOut,
    boxes: tally.boxes,
    kept: tally.kept,
    dropped: tally.dropped,
    clipped: tally.clipped,
    files: tally.files,
    problems,
    warnings: tally.warnings,
  };
}
