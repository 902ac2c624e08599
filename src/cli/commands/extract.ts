/** extract: write the images (and raw tensors) of records back out as files. */
import { Option, type Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { parseInteger, parseShape } from '../parse.js';
import { FILES_HELP } from './files.js';

/** How many unwritten records `extract` lists before counting the rest. */
const SHOWN_SKIPS = 20;

/** Adds `extract` to `program`. */
export function registerExtractCommand(program: Command): void {
  program
    .command('extract')
    .description('Write the images back out: at <dir>/<image/filename>, else <dir>/<class>/<record index>.<ext>; raw tensors (bytes or float lists) as PNG or .npy.')
    .argument('<files...>', FILES_HELP)
    .requiredOption('-o, --output <dir>', 'folder to write into (names from records are sanitised to stay inside it; links inside it are never followed)')
    .addOption(new Option('--raw-as <format>', 'how raw tensors are written').choices(['png', 'npy']).default('png'))
    .option('--raw-shape <h,w[,c]>', 'shape of every raw tensor, e.g. 28,28,1 (default: the record\'s image/shape or height/width/depth features)', parseShape('--raw-shape'))
    .option('--max-pixels <n>', 'report raw tensors with more pixels instead of rebuilding them (default 268402689)', parseInteger('--max-pixels', 1))
    .option('--overwrite', 'replace existing files (default: a colliding name gets a numeric suffix)')
    .option('--draw-boxes', 'draw object-detection boxes (image/object/bbox/*) and class names onto the images (re-encoded: JPEG stays JPEG, others become PNG)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord extract out/ -o restored/\n  $ img2tfrecord extract mnist.tfrecord -o arrays/ --raw-as npy --raw-shape 28,28,1\n  $ img2tfrecord extract raccoon.record -o check/ --draw-boxes\n\nExit codes: 0 every record with an image written, 1 nothing written, 3 some records not written (listed), 2 usage error.')
    .action(async (args: string[], flags: { output: string; rawAs: 'png' | 'npy'; rawShape?: number[]; maxPixels?: number; overwrite?: boolean; drawBoxes?: boolean }) => {
      const [{ extractImages }, { expandRecordFiles }] = await Promise.all([import('../../read/extract.js'), import('../../sinks/record-files.js')]);
      const report = await extractImages(await expandRecordFiles(args), flags.output, {
        rawAs: flags.rawAs,
        overwrite: flags.overwrite === true,
        drawBoxes: flags.drawBoxes === true,
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
}
