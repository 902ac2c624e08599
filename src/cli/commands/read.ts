/** The read-side commands: inspect, verify, dump, extract and index. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { dumpRecords, type BytesDisplay } from '../../read/dump.js';
import { expandRecordFiles } from '../../sinks/record-files.js';
import { extractImages } from '../../read/extract.js';
import { inspectFiles, type InspectReport } from '../../read/inspect.js';
import { mergeSummaries, listWorkerPrefixes } from '../../summary/merge-summary.js';
import { summaryFileName, DEFAULT_PREFIX } from '../../summary/summary.js';
import { verifyFiles } from '../../read/verify.js';
import { writeIndex } from '../../sinks/index-file.js';
import { EXIT } from '../exit-codes.js';
import { parseInteger } from '../parse.js';
import { formatBytes, plural } from '../report.js';

/** How many unwritten records `extract` lists before counting the rest. */
const SHOWN_SKIPS = 20;

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
    .option('--max-pixels <n>', 'with --decode: report images with more pixels as problems, without decoding them (default 268402689, as convert)', parseInteger('--max-pixels', 1))
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord verify out/\n  $ img2tfrecord verify out/*.tfrecord --decode\n\nExit codes: 0 clean, 1 problems found, 2 usage error.')
    .action(async (args: string[], flags: { decode?: boolean; maxPixels?: number; json?: boolean }) => {
      const files = await expandRecordFiles(args);
      const report = await verifyFiles(files, {
        decode: flags.decode === true,
        ...(flags.maxPixels === undefined ? {} : { maxPixels: flags.maxPixels }),
        onProblem: flags.json === true ? undefined as never : (p) => process.stderr.write(`${p.message}\n`),
      });
      if (flags.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const note of report.notes) process.stderr.write(`note: ${note}\n`);
        for (const f of report.files) {
          process.stdout.write(`${f.file}: ${plural(f.records, 'record')}, ${f.problems === 0 ? 'ok' : plural(f.problems, 'problem')}\n`);
        }
        process.stdout.write(`${plural(report.files.length, 'file')}, ${plural(report.records, 'record')}, ${plural(report.problems.length, 'problem')}\n`);
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
    .description('Write the images back out: at <dir>/<image/filename>, else <dir>/<class>/<record index>.<ext>; raw tensors (bytes or float lists) as PNG or .npy.')
    .argument('<files...>', FILES_HELP)
    .requiredOption('-o, --output <dir>', 'folder to write into (names from records are sanitised to stay inside it; links inside it are never followed)')
    .addOption(new Option('--raw-as <format>', 'how raw tensors are written').choices(['png', 'npy']).default('png'))
    .option('--raw-shape <h,w[,c]>', 'shape of every raw tensor, e.g. 28,28,1 (default: the record\'s image/shape or height/width/depth features)', parseShape('--raw-shape'))
    .option('--max-pixels <n>', 'report raw tensors with more pixels instead of rebuilding them (default 268402689)', parseInteger('--max-pixels', 1))
    .option('--overwrite', 'replace existing files (default: a colliding name gets a numeric suffix)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord extract out/ -o restored/\n  $ img2tfrecord extract mnist.tfrecord -o arrays/ --raw-as npy --raw-shape 28,28,1\n\nExit codes: 0 every record with an image written, 1 nothing written, 3 some records not written (listed), 2 usage error.')
    .action(async (args: string[], flags: { output: string; rawAs: 'png' | 'npy'; rawShape?: number[]; maxPixels?: number; overwrite?: boolean }) => {
      const report = await extractImages(await expandRecordFiles(args), flags.output, {
        rawAs: flags.rawAs,
        overwrite: flags.overwrite === true,
        ...(flags.rawShape === undefined ? {} : { rawShape: flags.rawShape }),
        ...(flags.maxPixels === undefined ? {} : { maxPixels: flags.maxPixels }),
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      });
      // The first few say what went wrong; a million identical lines would bury the summary.
      for (const s of report.skipped.slice(0, SHOWN_SKIPS)) process.stderr.write(`${s.file}: record ${s.recordIndex}: ${s.kind}: ${s.reason}\n`);
      if (report.skipped.length > SHOWN_SKIPS) process.stderr.write(`... and ${report.skipped.length - SHOWN_SKIPS} more records not written\n`);
      const noImage = report.skipped.filter((s) => s.kind === 'no-image').length;
      const failed = report.skipped.length - noImage;
      const parts = [
        `wrote ${report.written} file${report.written === 1 ? '' : 's'} to ${flags.output}`,
        ...(noImage > 0 ? [`${noImage} record${noImage === 1 ? '' : 's'} without an image`] : []),
        ...(failed > 0 ? [`${failed} record${failed === 1 ? '' : 's'} not written (see above)`] : []),
      ];
      process.stderr.write(`img2tfrecord: ${parts.join(', ')}\n`);
      // Records read but nothing written is a failed extract, whatever the reason.
      process.exitCode = report.written === 0 && report.skipped.length > 0 ? EXIT.FAILED : failed > 0 ? EXIT.PARTIAL : EXIT.OK;
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
          : `img2tfrecord: merged ${plural(summary.records, 'record')}, ${summary.skipped} skipped, ${plural(summary.shards.length, 'shard')} into ${target}\n`);
        failed ||= missing.length > 0;
      }
      const values = Object.values(merged);
      if (flags.json === true) process.stdout.write(`${JSON.stringify(values.length === 1 ? values[0] : merged, null, 2)}\n`);
      process.exitCode = failed ? EXIT.FAILED : EXIT.OK;
    });
}

/** Parser for `--raw-shape`: 1 to 4 comma-separated positive integers. */
function parseShape(flag: string): (value: string) => number[] {
  return (value) => {
    const dims = value.split(/[,x×]/).map((d) => d.trim());
    const shape = dims.map(Number);
    if (dims.length > 4 || !dims.every((d) => /^\d+$/.test(d)) || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new InvalidArgumentError(`Expected 1 to 4 comma-separated positive integers such as 28,28,1 for ${flag} but received "${value}".`);
    }
    return shape;
  };
}

/** The human `inspect` report. */
export function formatInspect(report: InspectReport): string {
  const lines: string[] = [];
  for (const f of report.files) {
    const seq = f.sequenceExamples > 0 ? ` (${f.sequenceExamples} tf.train.SequenceExample)` : '';
    lines.push(`${f.file}: ${plural(f.records, 'record')}, ${formatBytes(f.bytes)}${f.compression === 'none' ? '' : `, ${f.compression.toUpperCase()}`}${seq}`);
  }
  lines.push(`total: ${plural(report.files.length, 'file')}, ${plural(report.records, 'record')}, ${formatBytes(report.bytes)}; schema: ${report.schema ?? 'unknown'}`);
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
