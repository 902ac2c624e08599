/** inspect: count records and bytes, list the feature keys, label histograms and image formats. */
import { Option, type Command } from 'commander';
import type { InspectReport } from '../../read/inspect.js';
import { UsageError } from '../../errors.js';
import { parseShape } from '../parse.js';
import { formatBytes, plural } from '../report.js';
import { FILES_HELP } from './files.js';

/** Adds `inspect` to `program`. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('Count records and bytes, list every feature key with its type and value counts, label histograms and image formats (no decoding).')
    .argument('<files...>', FILES_HELP)
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--spec <format>', 'print the tf.data parsing spec instead: python (feature_description, parse(), the TFRecordDataset line) or json').choices(['python', 'json']).conflicts('json'))
    .option('--raw-shape <h,w[,c]>', 'with --spec: shape of raw tensors that carry no shape features, e.g. 28,28,1', parseShape('--raw-shape'))
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord inspect out/\n  $ img2tfrecord inspect "out/train-*.tfrecord.gz" --json | jq .keys\n  $ img2tfrecord inspect out/ --spec python > load_dataset.py')
    .action(async (args: string[], flags: { json?: boolean; spec?: 'python' | 'json'; rawShape?: number[] }) => {
      // Loaded when used: a convert run never pays for the read commands' modules.
      const { expandRecordFiles } = await import('../../sinks/record-files.js');
      if (flags.spec !== undefined) return printSpec(await expandRecordFiles(args), flags.spec, flags.rawShape);
      if (flags.rawShape !== undefined) throw new UsageError('--raw-shape applies only with --spec (extract and preview take their own --raw-shape)');
      const { inspectFiles } = await import('../../read/inspect.js');
      const report = await inspectFiles(await expandRecordFiles(args));
      process.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatInspect(report));
    });
}

/** `inspect --spec`: reads every record once for the statistics, then prints the spec as Python or JSON. */
async function printSpec(files: readonly string[], format: 'python' | 'json', rawShape: number[] | undefined): Promise<void> {
  const [{ readExamples }, { gatherSpecStats }, { buildSpec, renderSpecJson }, { renderSpecPython }] = await Promise.all([
    import('../../read/examples.js'), import('../../read/spec.js'), import('../../read/spec-build.js'), import('../../read/spec-python.js'),
  ]);
  const spec = buildSpec(await gatherSpecStats(files, readExamples), rawShape === undefined ? {} : { rawShape });
  process.stdout.write(format === 'python' ? renderSpecPython(spec) : renderSpecJson(spec));
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
