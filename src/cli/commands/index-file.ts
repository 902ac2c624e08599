/** index: write a DALI index next to each plain TFRecord file. */
import type { Command } from 'commander';

/** Adds `index` to `program`. */
export function registerIndexCommand(program: Command): void {
  program
    .command('index')
    .description('Write a DALI index (<offset> <size> per record, size = 16 + data length) next to each file as <file>.idx.')
    .argument('<files...>', 'plain (uncompressed) TFRecord files, globs or folders')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord index out/*.tfrecord')
    .action(async (args: string[]) => {
      const [{ writeIndex }, { expandRecordFiles }] = await Promise.all([import('../../sinks/index-file.js'), import('../../sinks/record-files.js')]);
      for (const file of await expandRecordFiles(args)) {
        const target = await writeIndex(file);
        process.stderr.write(`${target}\n`);
      }
    });
}
