/** merge-summary: merges the workers' summaries of a distributed run into one dataset.json. */
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { toOutputError } from '../runtime/publish.js';
import { addClass, DEFAULT_PREFIX, summaryFileName, type ClassSummary, type ConvertSummary, type SkippedFile, type SplitSummary } from './summary.js';
import { compareCodeUnits } from '../runtime/compare.js';

/** The outcome of {@link mergeSummaries}. */
export interface MergeReport {
  readonly summary: ConvertSummary;
  /** Planned shards that are missing or whose size differs from their worker's record (then no dataset.json is written). */
  readonly missing: readonly string[];
}

/** `dataset.<I>-of-<N>.json`, or `<prefix>.dataset.<I>-of-<N>.json` for a run of another prefix. */
const WORKER_SUMMARY = /^(?:([A-Za-z0-9][A-Za-z0-9._-]*)\.)?dataset\.\d+-of-\d+\.json$/;

/**
 * The shard prefixes whose worker summaries are in `dir`, sorted (the default prefix for plain
 * `dataset.<I>-of-<N>.json`).
 *
 * @example
 * await listWorkerPrefixes('out/'); // ['train', 'validation']
 */
export async function listWorkerPrefixes(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => { throw new InputError(`${dir}: folder not found`, { path: dir }); });
  const prefixes = new Set<string>();
  for (const name of names) {
    const match = WORKER_SUMMARY.exec(name);
    if (match !== null) prefixes.add(match[1] ?? DEFAULT_PREFIX);
  }
  return [...prefixes].sort();
}

/**
 * Combines the `dataset.<I>-of-<N>.json` of every worker in `dir` into `dataset.json` (for another
 * `prefix`: `<prefix>.dataset.<I>-of-<N>.json` into `<prefix>.dataset.json`): counts,
 * errors and shards added up, after checking that all N workers are there and ran the same plan,
 * and that every planned shard exists with the size its worker recorded. When one does not,
 * `missing` names it and dataset.json is not written, so it never lists a shard that is not there.
 *
 * @example
 * const { summary, missing } = await mergeSummaries('out/');
 */
export async function mergeSummaries(dir: string, prefix: string = DEFAULT_PREFIX): Promise<MergeReport> {
  const names = (await readdir(dir).catch(() => { throw new InputError(`${dir}: folder not found`, { path: dir }); }))
    .filter((n) => (WORKER_SUMMARY.exec(n)?.[1] ?? (WORKER_SUMMARY.test(n) ? DEFAULT_PREFIX : null)) === prefix);
  if (names.length === 0) throw new InputError(`${dir}: no worker summaries (dataset.<I>-of-<N>.json) to merge`, { path: dir });
  const parts: ConvertSummary[] = [];
  for (const name of names) parts.push(JSON.parse(await readFile(join(dir, name), 'utf8')) as ConvertSummary);
  const first = parts[0] as ConvertSummary;
  const plan = first.plan;
  if (plan === undefined) throw new InputError(`${join(dir, names[0] as string)} is not a worker summary`, { path: dir });
  for (const [i, part] of parts.entries()) {
    if (part.plan?.workers !== plan.workers) {
      throw new InputError(`${names[i]} is from a run of ${part.plan?.workers} workers, ${names[0]} from one of ${plan.workers}`, { path: dir });
    }
    if (part.plan.fingerprint !== plan.fingerprint) {
      throw new InputError(`${names[i]} and ${names[0]} planned different runs (other inputs or options): their plan fingerprints differ`, { path: dir });
    }
  }
  const seen = new Set(parts.map((p) => p.plan?.worker));
  const absent = Array.from({ length: plan.workers }, (_, i) => i).filter((i) => !seen.has(i));
  if (absent.length > 0) throw new InputError(`${dir}: no summary from worker ${absent.join(', ')} of ${plan.workers}`, { path: dir });
  parts.sort((a, b) => (a.plan?.worker ?? 0) - (b.plan?.worker ?? 0));

  const byName = new Map(parts.flatMap((p) => p.shards).map((s) => [s.file, s]));
  const shards = plan.shards.map((s) => byName.get(s.file)).filter((s) => s !== undefined);
  const missing: string[] = [];
  for (const planned of plan.shards) {
    const recorded = byName.get(planned.file);
    const info = await stat(join(dir, planned.file)).catch(() => null);
    if (recorded === undefined || info === null || info.size !== recorded.bytes) missing.push(planned.file);
  }
  const sum = (f: (p: ConvertSummary) => number): number => parts.reduce((n, p) => n + f(p), 0);
  const addCounts = (records: Record<string, number>[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of records) for (const [k, n] of Object.entries(r)) out[k] = (out[k] ?? 0) + n;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareCodeUnits(a, b)));
  };
  const addClasses = (tallies: Readonly<Record<string, ClassSummary>>[]): Record<string, ClassSummary> => {
    const out: Record<string, ClassSummary> = {};
    for (const t of tallies) for (const [k, c] of Object.entries(t)) addClass(out, k, c);
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => compareCodeUnits(a, b)));
  };
  const splits: Record<string, SplitSummary> = {};
  for (const name of Object.keys(first.splits)) {
    const splitShards = shards.filter((s) => parts.some((p) => p.splits[name]?.shards.some((x) => x.file === s.file)));
    splits[name] = {
      records: sum((p) => p.splits[name]?.records ?? 0),
      bytes: splitShards.reduce((n, s) => n + s.bytes, 0),
      shards: splitShards,
      classes: addClasses(parts.map((p) => p.splits[name]?.classes ?? {})),
    };
  }
  const errors: SkippedFile[] = parts.flatMap((p) => p.errors).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const keys = new Map(parts.flatMap((p) => p.schema.keys).map((k) => [k.key, k.type]));
  const { plan: _plan, ...base } = first;
  const summary: ConvertSummary = {
    ...base,
    found: sum((p) => p.found),
    records: sum((p) => p.records),
    skipped: errors.length,
    ignored: sum((p) => p.ignored),
    errors,
    ignoredFiles: parts.flatMap((p) => p.ignoredFiles),
    transcoded: { count: sum((p) => p.transcoded.count), reasons: addCounts(parts.map((p) => p.transcoded.reasons)) },
    warnings: parts.flatMap((p) => p.warnings).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    shards,
    splits,
    classes: addClasses(parts.map((p) => p.classes)),
    schema: { name: first.schema.name, keys: [...keys].sort(([a], [b]) => compareCodeUnits(a, b)).map(([key, type]) => ({ key, type })) },
    ...(first.annotations === undefined ? {} : { annotations: mergeDetection(parts) }),
  };
  if (missing.length > 0) return { summary, missing };
  const target = summaryFileName(prefix);
  const temp = join(dir, `.${target}.tmp-${process.pid}`);
  try {
    await writeFile(temp, `${JSON.stringify(summary, null, 2)}\n`);
    await rename(temp, join(dir, target));
  } catch (error) {
    await rm(temp, { force: true });
    throw toOutputError(error, dir);
  }
  return { summary, missing };
}

/** The workers' object-detection tallies added up (format and label map are the plan's, equal in all). */
function mergeDetection(parts: readonly ConvertSummary[]): NonNullable<ConvertSummary['annotations']> {
  const all = parts.map((p) => p.annotations).filter((a) => a !== undefined);
  const first = all[0] as NonNullable<ConvertSummary['annotations']>;
  const sum = (k: 'annotated' | 'unannotated' | 'leftOut' | 'boxes' | 'kept' | 'dropped' | 'clipped'): number => all.reduce((n, a) => n + a[k], 0);
  return {
    format: first.format,
    labels: first.labels,
    labelIds: first.labelIds,
    annotated: sum('annotated'),
    unannotated: sum('unannotated'),
    leftOut: sum('leftOut'),
    boxes: sum('boxes'),
    kept: sum('kept'),
    dropped: sum('dropped'),
    clipped: sum('clipped'),
    files: all.flatMap((a) => a.files),
    problems: all.flatMap((a) => a.problems),
    warnings: all.flatMap((a) => a.warnings),
  };
}
