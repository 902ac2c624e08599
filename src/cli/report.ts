/** Renders a conversion summary for people (stderr). */
import type { ConvertSummary } from '../pipeline/index.js';

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

/** The summary printed on stderr after `convert`. */
export function formatHumanSummary(summary: ConvertSummary, seconds: number): string {
  const lines: string[] = [];
  const bytes = summary.shards.reduce((sum, s) => sum + s.bytes, 0);
  const rate = seconds > 0 ? `${Math.round((summary.records + summary.skipped) / seconds)} images/s` : '';
  const lmdb = summary.options.target === 'caffe-lmdb';
  const unit = lmdb ? 'LMDB database' : 'shard';
  lines.push(
    `img2tfrecord: ${summary.records} records in ${summary.shards.length} ${unit}${summary.shards.length === 1 ? '' : 's'}` +
      ` (${formatBytes(bytes)}) in ${seconds.toFixed(1)} s${rate === '' ? '' : `, ${rate}`}`,
  );
  lines.push(`  found ${summary.found} = ${summary.records} converted + ${summary.skipped} skipped + ${summary.ignored} ignored`);
  // Exit 0 is right (nothing failed), but an empty input is more often a wrong path than intended.
  if (summary.found === 0) lines.push('  warning: no input files were found: check the input path, --include and --exclude');
  if (summary.labels.length > 0) {
    const ids = summary.labelIds;
    const range = ids.length > 0 ? `${ids[0]}..${ids[ids.length - 1]}` : '';
    lines.push(`  ${summary.labels.length} classes (ids ${range}): ${summary.labels.join(', ')}`);
  } else {
    lines.push('  no classes: records carry no label');
  }
  const splits = Object.entries(summary.splits);
  if (splits.length > 1) {
    lines.push(`  splits: ${splits.map(([name, s]) => `${name} ${s.records}`).join(', ')} (seed ${summary.seed})`);
  }
  if (summary.transcoded.count > 0) {
    const why = Object.entries(summary.transcoded.reasons).map(([reason, n]) => `${reason} (${n})`).join('; ');
    lines.push(`  transcoded ${summary.transcoded.count}: ${why}`);
  }
  for (const w of summary.warnings) lines.push(`  note: ${w.path}: ${w.message}`);
  if (lmdb && summary.skipped > 0) {
    // convert_imageset numbers keys by input line, so its skipped lines leave holes; ours do not.
    lines.push(`  keys numbered without gaps: the ${summary.skipped} skipped input${summary.skipped === 1 ? ' takes' : 's take'} no key number`);
  }
  if (summary.errors.length > 0) {
    lines.push(`  skipped ${summary.errors.length}:`);
    for (const e of summary.errors) lines.push(`    ${e.reason.startsWith(e.path) ? e.reason : `${e.path}: ${e.reason}`}`);
  }
  if (summary.ignoredFiles.length > 0) {
    const shown = summary.ignoredFiles.slice(0, 10).map((f) => `${f.path} (${f.reason})`).join(', ');
    const more = summary.ignoredFiles.length > 10 ? `, and ${summary.ignoredFiles.length - 10} more` : '';
    lines.push(`  ignored ${summary.ignoredFiles.length}: ${shown}${more}`);
  }
  for (const shard of summary.shards) {
    lines.push(`  ${shard.file === '-' ? 'stdout' : shard.file}: ${shard.records} records, ${formatBytes(shard.bytes)}`);
  }
  return `${lines.join('\n')}\n`;
}
