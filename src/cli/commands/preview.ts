/** preview: a PNG contact sheet of records (images, class texts, object boxes) to look at before training. */
import type { Command } from 'commander';
import { Publication, toOutputError } from '../../runtime/publish.js';
import { EXIT } from '../exit-codes.js';
import { parseInteger, parseShape } from '../parse.js';
import { FILES_HELP } from './files.js';

interface PreviewFlags {
  readonly output: string;
  readonly count: number;
  readonly perClass?: number;
  readonly size: number;
  readonly seed: number;
  readonly rawShape?: number[];
}

/** Adds `preview` to `program`. */
export function registerPreviewCommand(program: Command): void {
  program
    .command('preview')
    .description('Draw a PNG contact sheet of records: each image (raw tensors by their shape) with its class under it and its object boxes, spread over classes and shards, the same for the same seed.')
    .argument('<files...>', `${FILES_HELP}, or Caffe LMDB folders`)
    .requiredOption('-o, --output <file>', 'the PNG to write (replaced atomically if it exists)')
    .option('--count <n>', 'records in the sheet, in a square-ish grid', parseInteger('--count', 1, 10000), 16)
    .option('--per-class <n>', 'at most this many records of one class (default: classes take turns)', parseInteger('--per-class', 1))
    .option('--size <px>', 'tile edge in pixels', parseInteger('--size', 8, 4096), 160)
    .option('--seed <n>', 'which records: another seed, another pick', parseInteger('--seed', 0), 0)
    .option('--raw-shape <h,w[,c]>', 'shape of raw tensors that carry no shape features, e.g. 28,28,1', parseShape('--raw-shape'))
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord preview out/ -o preview.png\n  $ img2tfrecord preview out/ -o preview.png --count 36 --per-class 3 --size 192\n\nExit codes: 0 every tile shows its image, 1 no record or no image to show (nothing written), 3 some tiles blank (listed), 2 usage error.')
    .action(async (args: string[], flags: PreviewFlags) => {
      // Loaded when used: a convert run never pays for the read commands' modules (sharp among them).
      const { expandRecordFiles } = await import('../../sinks/record-files.js');
      process.exitCode = await writePreview(await expandRecordFiles(args), flags);
    });
}

/** Picks, renders and writes the sheet; returns the exit code. */
async function writePreview(files: readonly string[], flags: PreviewFlags): Promise<number> {
  const [{ readExamples }, { loadPreviewRecords, renderPreview }] = await Promise.all([import('../../read/examples.js'), import('../../read/preview.js')]);
  const records = await loadPreviewRecords(files, readExamples, {
    count: flags.count,
    seed: flags.seed,
    ...(flags.perClass === undefined ? {} : { perClass: flags.perClass }),
  });
  if (records.length === 0) {
    process.stderr.write(`img2tfrecord: no records in ${files.join(', ')}: ${flags.output} not written\n`);
    return EXIT.FAILED;
  }
  const sheet = await renderPreview(records.map((r) => r.features), { size: flags.size, ...(flags.rawShape === undefined ? {} : { rawShape: flags.rawShape }) });
  for (const warning of sheet.warnings) if (!warning.startsWith('tile ')) process.stderr.write(`warning: ${warning}\n`);
  for (const { tile, reason } of sheet.blankTiles) {
    const { file, recordIndex } = (records[tile] as (typeof records)[number]).candidate;
    process.stderr.write(`${file}: record ${recordIndex}: ${reason}\n`);
  }
  if (sheet.blankTiles.length === records.length) {
    process.stderr.write(`img2tfrecord: none of the ${records.length} records chosen has an image to show: ${flags.output} not written\n`);
    return EXIT.FAILED;
  }
  // Staged under a temporary name and renamed: a reader never sees half a PNG, a failure leaves the old one.
  const publication = new Publication();
  try {
    await publication.stage(flags.output, sheet.png);
    await publication.publish();
  } catch (error) {
    await publication.discard();
    throw toOutputError(error, flags.output);
  }
  const blank = sheet.blankTiles.length === 0 ? '' : `, ${sheet.blankTiles.length} blank (see above)`;
  process.stderr.write(`img2tfrecord: wrote ${flags.output}: ${records.length} record${records.length === 1 ? '' : 's'} in ${sheet.columns}x${sheet.rows} tiles, ${sheet.width}x${sheet.height} px${blank}\n`);
  return sheet.blankTiles.length === 0 ? EXIT.OK : EXIT.PARTIAL;
}
