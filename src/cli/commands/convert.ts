/** The `convert` command: maps flags to ConvertOptions, runs the conversion, prints the summary. */
import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { join } from 'node:path';
import type { ConvertProgress } from '../../convert/convert.js';
import { removeTempFilesSync } from '../../runtime/publish.js';
import { SUMMARY_FILE, workerSummaryFile, type ConvertSummary } from '../../summary/summary.js';
import { type ConvertOptions } from '../../convert/options/options.js';
import { CONVERT_OPTION_TABLE, type FlagParser, type OptionSpec } from '../../convert/options/option-table.js';
import { EXIT, EXIT_CODES_HELP } from '../exit-codes.js';
import { parseDimensions, parseInteger, parseNumber, parseRgb } from '../parse.js';
import { createProgressReporter } from '../progress.js';
import { formatHumanSummary, plural } from '../report.js';

/** The parsed flags, keyed by commander's attribute names (`--no-auto-orient` -> autoOrient). */
export type ConvertFlags = Readonly<Record<string, unknown>> & {
  readonly output: string;
  readonly manifest?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly progressInterval?: number;
  readonly okIfSkipped?: boolean;
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The flag parser a table row asks for. */
function buildParser(flag: string, parse: FlagParser): (value: string) => unknown {
  switch (parse.kind) {
    case 'integer': return parseInteger(flag, parse.min, parse.max);
    case 'number': return parseNumber(flag, parse.min, parse.max);
    case 'dimensions': return parseDimensions(flag);
    case 'rgb': return parseRgb(flag);
    case 'to-number': return Number;
  }
}

/**
 * The commander option of a table row, keyed by the row's name. Built in the order commander's own
 * `.option()` applies them, so --help reads as before.
 *
 * @example
 * buildFlagOption(CONVERT_OPTION_TABLE.shards).long; // '--shards'
 */
export function buildFlagOption(spec: OptionSpec): Option | null {
  if (spec.flag === null || spec.help === null) return null;
  const option = new Option(spec.flag, spec.help);
  if (spec.required === true) option.makeOptionMandatory();
  if (spec.choices !== undefined) option.choices(spec.choices);
  const long = option.long ?? spec.flag;
  if (spec.parse !== undefined) option.argParser(buildParser(long, spec.parse));
  if (spec.repeatable === true) option.default([]).argParser(collect);
  if (spec.shownDefault !== undefined) option.default(spec.shownDefault);
  return option;
}

/** Every convert flag from the table, with the table row's name. */
function buildFlagOptions(): { readonly key: string; readonly spec: OptionSpec; readonly option: Option }[] {
  const built = [];
  for (const [key, spec] of Object.entries(CONVERT_OPTION_TABLE) as [string, OptionSpec][]) {
    const option = buildFlagOption(spec);
    if (option !== null) built.push({ key, spec, option });
  }
  return built;
}

/** Adds `convert` to `program`. */
export function registerConvertCommand(program: Command): void {
  const command = program
    .command('convert')
    .description('Convert images into TFRecord shards: a folder (each top-level folder a class, or split/class), a manifest, or a list of paths on stdin.')
    .argument('[input]', 'folder of images (each top-level folder a class; train/validation/test folders are splits), or - to read paths from stdin');
  for (const { option } of buildFlagOptions()) command.addOption(option);
  command
    .addHelpText('after', `
Examples:
  $ img2tfrecord convert photos/ -o out/
  $ img2tfrecord convert photos/ -o out/ --shards 8 --compression gzip
  $ img2tfrecord convert photos/ -o out/ --resize 224x224 --encode jpeg --quality 90
  $ img2tfrecord convert photos/ -o - | gsutil cp - gs://bucket/train.tfrecord
  $ img2tfrecord convert photos/ -o out/ --split train=0.8,validation=0.1,test=0.1 --shuffle
  $ img2tfrecord convert photos/ -o out/ --include '**/*.jpg' --exclude '**/thumbs/**'
  $ img2tfrecord convert photos/ -o out/ --json --quiet --ok-if-skipped | jq .records   # CI: exit 0 despite skipped files
  $ img2tfrecord convert --manifest data.csv -o out/ --image-column mask
  $ find photos -name '*.jpg' | img2tfrecord convert - -o out/
  $ img2tfrecord convert photos/ -o out/ --shards 64 --worker 3/8      # then: img2tfrecord merge-summary out/
  $ img2tfrecord convert photos/ -o db/ --target caffe-lmdb --resize 256x256 --fit fill --mean db/mean.binaryproto
${EXIT_CODES_HELP}`)
    .action(async (input: string | undefined, flags: ConvertFlags) => {
      process.exitCode = await runConvert(input, flags);
    });
}

async function readStdinLines(): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/**
 * The library options of the parsed flags: each table row's flag value, through the row's own mapping.
 *
 * @example
 * await toConvertOptions('photos', { output: 'out', shards: 4 }); // { input: 'photos', output: 'out', shards: 4 }
 */
export async function toConvertOptions(input: string | undefined, flags: ConvertFlags): Promise<ConvertOptions> {
  if (flags.manifest !== undefined && input !== undefined) throw new UsageError('give either an input folder or --manifest, not both');
  if (flags.manifest === undefined && input === undefined) throw new UsageError('missing input: a folder, - for paths on stdin, or --manifest <file>');
  const options: Record<string, unknown> = flags.manifest !== undefined ? {} : input === '-' ? { inputList: await readStdinLines() } : { input };
  for (const { key, spec, option } of buildFlagOptions()) {
    if (!spec.library) continue;
    const value = flags[option.attributeName()];
    // A repeatable flag given no times is left out, as if the option were not given.
    if (value === undefined || (spec.repeatable === true && (value as unknown[]).length === 0)) continue;
    options[key] = spec.toLibrary === undefined ? value : spec.toLibrary(value, flags);
  }
  return options as ConvertOptions;
}

async function runConvert(input: string | undefined, flags: ConvertFlags): Promise<number> {
  if (flags.output === '-' && flags.json === true) {
    throw new UsageError('--json cannot be used with -o - (stdout carries the records); the summary goes to stderr');
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second signal does not wait for the run to unwind; its temporary files go now.
      removeTempFilesSync();
      process.exit(signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT);
    }
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const reporter = createProgressReporter({ quiet: flags.quiet === true, ...(flags.progressInterval === undefined ? {} : { intervalSeconds: flags.progressInterval }) });
  let processed = 0;
  const progress = { update: (p: ConvertProgress): void => { processed = p.done; reporter.update(p); }, stop: reporter.stop };
  const started = process.hrtime.bigint();
  let summary: ConvertSummary;
  try {
    // Loaded when run: `--help` and the read commands never load the convert pipeline.
    const { convert } = await import('../../convert/convert.js');
    summary = await convert(await toConvertOptions(input, flags), { signal: controller.signal, onProgress: progress.update });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (flags.json === true) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  // A worker writes its own summary file, and says that one.
  const summaryFile = summary.plan === undefined ? SUMMARY_FILE : workerSummaryFile(summary.plan.worker, summary.plan.workers);
  if (flags.quiet !== true) process.stderr.write(formatHumanSummary(summary, seconds, { processed, summaryFile }));
  else if (summary.skipped > 0) {
    process.stderr.write(`img2tfrecord: ${summary.skipped} of ${plural(summary.found, 'file')} skipped (see ${flags.output === '-' ? 'the --json summary' : join(flags.output, summaryFile)})\n`);
  }
  if (summary.skipped === 0) return EXIT.OK;
  return flags.okIfSkipped === true ? EXIT.OK : EXIT.PARTIAL;
}
