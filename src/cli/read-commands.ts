/** The read-side commands: inspect, verify, dump, extract and index. */
import { Command, Option } from 'commander';
import {
  dumpRecords, expandRecordFiles, extractImages, inspectFiles, mergeSummaries, listWorkerPrefixes, summaryFileName, DEFAULT_PREFIX, verifyFiles, writeIndex,
  type BytesDisplay, type InspectReport,
} from '../pipeline/index.js';
import { EXIT } from './exit-codes.js';
import { parseInteger } from './parse.js';
import { formatBytes } from './report.js';

const FILES_HELP = 'TFRecord files, globs or folders (plain, GZIP or ZLIB, detected from the bytes)';

/** Adds the read-side commands to `program`. */
export function registerReadCommands(program: Command): void {
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

  program
    .command('verify')
    .description('Check every frame\'s length and data CRC and that every payload is a tf.train.Example; exit 0 clean, 1 problems found.')
    .argument('<files...>', FILES_HELP)
    .option('--decode', 'also decode every image and check declared height, width, channels and format; raw tensors against shape and dtype')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord verify out/\n  $ img2tfrecord verify out/*.tfrecord --decode\n\nExit codes: 0 clean, 1 problems found, 2 usage error.')
    .action(async (args: string[], flags: { decode?: boolean; json?: boolean }) => {
      const files = await expandRecordFiles(args);
      const report = await verifyFiles(files, {
        decode: flags.decode === true,
        onProblem: flags.json === true ? undefined as never : (p) => process.stderr.write(`${p.message}\n`),
      });
      if (flags.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const note of report.notes) process.stderr.write(`note: ${note}\n`);
        for (const f of report.files) {
          process.stdout.write(`${f.file}: ${f.records} records, ${f.problems === 0 ? 'ok' : `${f.problems} problems`}\n`);
        }
        process.stdout.write(`${report.files.length} files, ${report.records} records, ${report.problems.length} problems\n`);
      }
      process.exitCode = report.problems.length === 0 ? EXIT.OK : EXIT.FAILED;
    });

  program
    .command('dump')
    .description('Print one JSON object per record (JSON Lines); int64 beyond 2^53 as exact strings.')
    .argument('<files...>', FILES_HELP)
    .addOption(new Option('--bytes <mode>', 'how bytes values print (default: UTF-8 text when printable, else length over 64 bytes, else base64)').choices(['base64', 'hex', 'length']))
    .option('--limit <n>', 'stop after N records', parseInteger('--limit', 0))
    .option('--keys <k1,k2>', 'only these keys (comma-separated)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord dump out/train-00000-of-00001.tfrecord --limit 3\n  $ img2tfrecord dump out/ --keys image/filename,image/class/label | jq -r \'.features["image/filename"].values[0]\'')
    .action(async (args: string[], flags: { bytes?: BytesDisplay; limit?: number; keys?: string }) => {
      const keys = flags.keys?.split(',').map((k) => k.trim()).filter((k) => k !== '');
      for await (const record of dumpRecords(await expandRecordFiles(args), {
        bytes: flags.bytes ?? 'auto',
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
        ...(keys === undefined ? {} : { keys }),
      })) {
        if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    });

  program
    .command('extract')
    .description('Write the images back out: at <dir>/<image/filename>, else <dir>/<class>/<record index>.<ext>; raw tensors as PNG or .npy.')
    .argument('<files...>', FILES_HELP)
    .requiredOption('-o, --output <dir>', 'folder to write into (names from records are sanitised to stay inside it)')
    .addOption(new Option('--raw-as <format>', 'how raw tensors are written').choices(['png', 'npy']).default('png'))
    .option('--overwrite', 'replace existing files (default: a colliding name gets a numeric suffix)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord extract out/ -o restored/\n  $ img2tfrecord extract raw.tfrecord -o arrays/ --raw-as npy')
    .action(async (args: string[], flags: { output: string; rawAs: 'png' | 'npy'; overwrite?: boolean }) => {
      const report = await extractImages(await expandRecordFiles(args), flags.output, {
        rawAs: flags.rawAs,
        overwrite: flags.overwrite === true,
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      });
      for (const s of report.skipped) process.stderr.write(`${s.file}: record ${s.recordIndex}: ${s.reason}\n`);
      process.stderr.write(`img2tfrecord: wrote ${report.written} files to ${flags.output}${report.skipped.length > 0 ? `, ${report.skipped.length} records without an image` : ''}\n`);
    });

  program
    .command('index')
    .description('Write a DALI index (<offset> <size> per record, size = 16 + data length) next to each file as <file>.idx.')
    .argument('<files...>', 'plain (uncompressed) TFRecord files, globs or folders')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord index out/*.tfrecord')
    .action(async (args: string[]) => {
      for (const file of await expandRecordFiles(args)) {
        const target = await writeIndex(file);
        process.stderr.write(`${target}\n`);
      }
    });
}

/** Adds `merge-summary`, the last step of a run split over workers. */
export function registerMergeCommand(program: Command): void {
  program
    .command('merge-summary')
    .description('Combine the dataset.<I>-of-<N>.json of every worker into dataset.json (per prefix: <prefix>.dataset.<I>-of-<N>.json into <prefix>.dataset.json) and check that every planned shard exists.')
    .argument('<dir>', 'the output folder all workers wrote to')
    .option('--json', 'print the merged summary on stdout (with several prefixes: an object keyed by prefix)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord merge-summary out/\n\nExit codes: 0 complete, 1 planned shards missing or of the wrong size, 2 usage error (no or inconsistent worker summaries).')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const prefixes = await listWorkerPrefixes(dir);
      const merged: Record<string, unknown> = {};
      let failed = false;
      for (const prefix of prefixes.length === 0 ? [DEFAULT_PREFIX] : prefixes) {
        const { summary, missing } = await mergeSummaries(dir, prefix);
        merged[prefix] = summary;
        const target = `${dir}/${summaryFileName(prefix)}`;
        for (const file of missing) process.stderr.write(`missing or incomplete: ${file}\n`);
        process.stderr.write(missing.length > 0
          ? `img2tfrecord: ${missing.length} planned shard${missing.length === 1 ? '' : 's'} missing or incomplete: ${target} not written (rerun the workers that own them, with --resume)\n`
          : `img2tfrecord: merged ${summary.records} records, ${summary.skipped} skipped, ${summary.shards.length} shards into ${target}\n`);
        failed ||= missing.length > 0;
      }
      const values = Object.values(merged);
      if (flags.json === true) process.stdout.write(`${JSON.stringify(values.length === 1 ? values[0] : merged, null, 2)}\n`);
      process.exitCode = failed ? EXIT.FAILED : EXIT.OK;
    });
}

/** The human `inspect` report. */
export function formatInspect(report: InspectReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    const seq = f.sequenceExamples > 0 ? ` (${f.sequenceExamples} tf.train.SequenceExample)` : '';
    lines.push(`${f.file}: ${f.records} records, ${formatBytes(f.bytes)}${f.compression === 'none' ? '' : `, ${f.compression.toUpperCase()}`}${seq}`);
  }
  lines.push(`total: ${report.files.length} files, ${report.records} records, ${formatBytes(report.bytes)}; schema: ${report.schema ?? 'unknown'}`);
  lines.push('keys:');
  for (const k of report.keys) {
    const count = k.minValues === k.maxValues ? `${k.minValues}` : `${k.minValues}..${k.maxValues}`;
    lines.push(`  ${k.key}  ${k.type}  in ${k.records} records, ${count} value${k.maxValues === 1 ? '' : 's'} each`);
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
