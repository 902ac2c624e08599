/** inspect: count records and bytes, list the feature keys, label histograms and image formats. */
import type { Command } from 'commander';
import { inspectFiles, type InspectReport } from '../../read/inspect.js';
import { expandRecordFiles } from '../../sinks/record-files.js';
import { formatBytes, plural } from '../report.js';
import { FILES_HELP } from './files.js';

/** Adds `inspect` to `program`. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('Count records and bytes, list every feature key with its type and value counts, label histograms and image formats (no decoding).')
    .argument('<files...>', FILES_HELP)
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord inspect out/\n  $ img2tfrecord inspect "out/train-*.tfrecord.gz" --json | jq .keys')
    .action(async (args: string[], flags: { json?: boolean }) => {
      const report = await inspectFiles(await expandRecordFiles(args));
      process.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
    });
}

/** The human `inspect` report. */
export function formatInspect(report: InspectReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    const seq = f.sequenceExamples > 0 ? ` (${f.sequenceExamples} tf.train.SequenceExample)` : '';
    lines.push(`${f.file}: ${plural(f.records, 'record')}, ${formatBytes(f.bytes)}${f.compression === 'none' ? '' : `, ${f.compression.toUpperCase()}`}${seq}`);
  }
  lines.push(`total: ${plural(report.files.length, 'file')}, ${plural(report.records, 'record')}, ${formatBytes(report.bytes)}; schema: ${report.schema ?? 'unknown'}`);
  if (report.objects !== null) {
    const o = report.objects;
    const classes = Object.entries(o.perClass).map(([c, n]) => `${c} ${n}`).join(', ');
    lines.push(`objects: ${plural(o.boxes, 'box', 'boxes')} in ${plural(o.records, 'record')}; per record min ${o.min}, median ${o.median}, max ${o.max}; per class: ${classes === '' ? 'none' : classes}`);
  }
  lines.push('keys:');
  for (const k of report.keys) {
    const count = k.minValues === k.maxValues ? `${k.minValues}` : `${k.minValues}..${k.maxValues}`;
    lines.push(`  ${k.key}  ${k.type}  in ${plural(k.records, 'record')}, ${count} value${k.maxValues === 1 ? '' : 's'} each`);
    if (k.images !== undefined) {
      const formats = Object.entries(k.images.formats).map(([f, n]) => `${f} ${n}`).join(', ');
      lines.push(`    images: ${formats}; width ${k.images.minWidth}..${k.images.maxWidth}, height ${k.images.minHeight}..${k.images.maxHeight}`);
    }
    if (k.histogram !== undefined) {
      lines.push(`    ${Object.entries(k.histogram).map(([v, n]) => `${v}: ${n}`).join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
