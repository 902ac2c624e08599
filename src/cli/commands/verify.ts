/** verify: check every frame and payload (and with --decode every image); exit 1 on problems. */
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { parseInteger } from '../parse.js';
import { plural } from '../report.js';
import { FILES_HELP } from './files.js';

/** Adds `verify` to `program`. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Check every frame\'s length and data CRC and that every payload is a tf.train.Example; exit 0 clean, 1 problems found.')
    .argument('<files...>', FILES_HELP)
    .option('--decode', 'also decode every image and check declared height, width, channels and format; raw tensors against shape and dtype')
    .option('--max-pixels <n>', 'with --decode: report images with more pixels as problems, without decoding them (default 268402689, as convert)', parseInteger('--max-pixels', 1))
    .option('--labels <file>', 'object-detection records: every image/object/class/label and class/text must be in this label map (names with ids from 1, id:name lines, or label_map.pbtxt)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord verify out/\n  $ img2tfrecord verify out/*.tfrecord --decode\n  $ img2tfrecord verify out/ --labels out/label_map.pbtxt\n\nExit codes: 0 clean, 1 problems found, 2 usage error.')
    .action(async (args: string[], flags: { decode?: boolean; maxPixels?: number; labels?: string; json?: boolean }) => {
      const [{ verifyFiles }, { readBoxLabels }, { expandRecordFiles }] = await Promise.all([import('../../read/verify.js'), import('../../read/verify-boxes.js'), import('../../sinks/record-files.js')]);
      const files = await expandRecordFiles(args);
      const labels = flags.labels === undefined ? undefined : await readBoxLabels(flags.labels);
      const report = await verifyFiles(files, {
        decode: flags.decode === true,
        ...(flags.maxPixels === undefined ? {} : { maxPixels: flags.maxPixels }),
        ...(labels === undefined ? {} : { labels }),
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
}
