/** merge-summary: combine the workers' summaries of a distributed run into dataset.json. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_PREFIX, summaryFileName } from '../../summary/summary.js';
import { EXIT } from '../exit-codes.js';
import { plural } from '../report.js';
/** Adds `merge-summary`, the last step of a run split over workers. */
export function registerMergeCommand(program: Command): void {
  program
    .command('merge-summary')
    .description('Combine the dataset.<I>-of-<N>.json of every worker into dataset.json (per prefix: <prefix>.dataset.<I>-of-<N>.json into <prefix>.dataset.json) and check that every planned shard exists.')
    .argument('<dir>', 'the output folder all workers wrote to')
    .option('--json', 'print the merged summary on stdout (with several prefixes: an object keyed by prefix)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord merge-summary out/\n\nExit codes: 0 complete, 1 planned shards missing or of the wrong size, 2 usage error (no or inconsistent worker summaries).')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { listWorkerPrefixes, mergeSummaries } = await import('../../summary/merge-summary.js');
      const prefixes = await listWorkerPrefixes(dir);
      const merged: Record<string, unknown> = {};
      let failed = false;
      for (const prefix of prefixes.length === 0 ? [DEFAULT_PREFIX] : prefixes) {
        const { summary, missing } = await mergeSummaries(dir, prefix);
        merged[prefix] = summary;
        const target = join(dir, summaryFileName(prefix));  // `out/` as the README writes it: no `out//`
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
