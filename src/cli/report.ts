/** Renders a conversion summary for people (stderr). */
import { join } from 'node:path';
import type { ConvertSummary } from '../summary/summary.js';

/** Human-readable byte count (powers of 1024). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Per-file lines shown in the human summary; the rest are counted (all are in dataset.json and --json). */
export const SHOWN_NOTES = 20;

/**
 * A count with its noun in the right number.
 *
 * @example
 * plural(1, 'record'); // '1 record'
 * plural(2, 'class', 'classes'); // '2 classes'
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the CLI knows beyond the summary. */
export interface SummaryContext {
  /** Inputs this run read and processed (not those of shards kept by --resume); default all. */
  readonly processed?: number;
  /** The summary file written (dataset.json, or dataset.I-of-N.json for a worker). */
  readonly summaryFile?: string;
}

/** The class line: `1 class (id 0)`, `3 classes (ids 1..3)`, `2 classes (ids 1, 3)`. */
function describeClasses(names: readonly string[], ids: readonly number[]): string {
  const run = ids.every((id, i) => id === (ids[0] as number) + i);
  const shown = ids.length === 1 ? `id ${ids[0]}` : run ? `ids ${ids[0]}..${ids[ids.length - 1]}` : `ids ${ids.slice(0, SHOWN_NOTES).join(', ')}${ids.length > SHOWN_NOTES ? ', ...' : ''}`;
  return `${plural(names.length, 'class', 'classes')} (${shown}): ${names.join(', ')}`;
}

/** Up to SHOWN_NOTES lines, then a count of the rest and where the full list is (all of them when nothing else holds it). */
function capped(lines: readonly string[], where: string | null): string[] {
  if (where === null || lines.length <= SHOWN_NOTES) return [...lines];
  return [...lines.slice(0, SHOWN_NOTES), `    ... and ${lines.length - SHOWN_NOTES} more (all listed in ${where})`];
}

/** The object-detection lines: classes, records with and without boxes, boxes kept, dropped and clipped, problems and warnings. */
function describeDetection(od: NonNullable<ConvertSummary['annotations']>, where: string | null): string[] {
  const lines = [`  object detection (${od.format}): ${describeClasses(od.labels, od.labelIds)}`];
  const left = od.leftOut > 0 ? `, ${od.leftOut} of them left out by --annotated-only` : '';
  lines.push(`  ${plural(od.annotated, 'record')} with boxes, ${od.unannotated} unannotated${left}`);
  lines.push(`  boxes: ${od.boxes} given = ${od.kept} written (${od.clipped} clipped) + ${od.dropped} dropped + ${od.boxes - od.kept - od.dropped} invalid`);
  lines.push(...capped(od.files.map((f) => `    ${f.path}: ${f.kept} of ${f.boxes} boxes written, ${f.dropped} dropped, ${f.clipped} clipped`), where));
  if (od.problems.length > 0) {
    lines.push(`  ${plural(od.problems.length, 'annotation problem')}:`);
    lines.push(...capped(od.problems.map((p) => `    ${p.kind}: ${p.message}`), where));
  }
  if (od.warnings.length > 0) {
    lines.push(`  ${plural(od.warnings.length, 'annotation warning')}:`);
    lines.push(...capped(od.warnings.map((p) => `    ${p.kind}: ${p.message}`), where));
  }
  return lines;
}

/** The summary printed on stderr after `convert`. */
export function formatHumanSummary(summary: ConvertSummary, seconds: number, context: SummaryContext = {}): string {
  const lines: string[] = [];
  const bytes = summary.shards.reduce((sum, s) => sum + s.bytes, 0);
  const processed = context.processed ?? summary.records + summary.skipped - (summary.resumed?.records ?? 0);
  const rate = seconds > 0 ? `${Math.round(processed / seconds)} images/s` : '';
  const lmdb = summary.options.target === 'caffe-lmdb';
  const toStdout = summary.output === '-';
  const summaryFile = context.summaryFile ?? 'dataset.json';
  // -o - writes no dataset.json and cannot take --json: this summary is the only full list then.
  const where = toStdout ? null : `${join(summary.output, summaryFile)} and --json`;
  lines.push(
    `img2tfrecord: ${plural(summary.records, 'record')} in ${plural(summary.shards.length, lmdb ? 'LMDB database' : 'shard')}` +
      ` (${formatBytes(bytes)}) in ${seconds.toFixed(1)} s${rate === '' ? '' : `, ${rate}`}`,
  );
  lines.push(`  found ${summary.found} = ${summary.records} converted + ${summary.skipped} skipped + ${summary.ignored} ignored`);
  if (summary.resumed !== undefined) {
    lines.push(`  resumed: kept ${plural(summary.resumed.shards, 'complete shard')} (${plural(summary.resumed.records, 'record')}) from the earlier run; converted ${plural(processed, 'input')}`);
  }
  // Exit 0 is right (nothing failed), but an empty input is more often a wrong path than intended.
  if (summary.found === 0) lines.push('  warning: no input files were found: check the input path, --include and --exclude');
  if (summary.annotations !== undefined) lines.push(...describeDetection(summary.annotations, where));
  else if (summary.labels.length > 0) lines.push(`  ${describeClasses(summary.labels, summary.labelIds)}`);
  else lines.push('  no classes: records carry no label');
  const splits = Object.entries(summary.splits);
  if (splits.length > 1) {
    lines.push(`  splits: ${splits.map(([name, s]) => `${name} ${s.records}`).join(', ')} (seed ${summary.seed})`);
  }
  if (summary.transcoded.count > 0) {
    const why = Object.entries(summary.transcoded.reasons).map(([reason, n]) => `${reason} (${n})`).join('; ');
    lines.push(`  transcoded ${summary.transcoded.count}: ${why}`);
  }
  if (summary.warnings.length > 0) {
    lines.push(`  ${plural(summary.warnings.length, 'note')}:`);
    lines.push(...capped(summary.warnings.map((w) => `    ${w.path}: ${w.message}`), where));
  }
  if (lmdb && summary.skipped > 0) {
    // convert_imageset numbers keys by input line, so its skipped lines leave holes; ours do not.
    lines.push(`  keys numbered without gaps: the ${summary.skipped} skipped input${summary.skipped === 1 ? ' takes' : 's take'} no key number`);
  }
  if (summary.errors.length > 0) {
    lines.push(`  skipped ${summary.errors.length}:`);
    lines.push(...capped(summary.errors.map((e) => `    ${e.reason.startsWith(e.path) ? e.reason : `${e.path}: ${e.reason}`}`), where));
  }
  if (summary.ignoredFiles.length > 0) {
    const shown = summary.ignoredFiles.slice(0, 10).map((f) => `${f.path} (${f.reason})`).join(', ');
    const more = summary.ignoredFiles.length > 10 ? `, and ${summary.ignoredFiles.length - 10} more` : '';
    lines.push(`  ignored ${summary.ignoredFiles.length}: ${shown}${more}`);
  }
  const shards = summary.shards.map((shard) => `  ${shard.file === '-' ? 'stdout' : join(summary.output, shard.file)}: ${plural(shard.records, 'record')}, ${formatBytes(shard.bytes)}`);
  lines.push(...(where === null || shards.length <= SHOWN_NOTES ? shards : [...shards.slice(0, SHOWN_NOTES), `  ... and ${shards.length - SHOWN_NOTES} more shards (listed in ${where})`]));
  if (!toStdout) lines.push(`  summary: ${join(summary.output, summaryFile)}`);
  return `${lines.join('\n')}\n`;
}
