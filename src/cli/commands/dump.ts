/** dump: one JSON object per record (JSON Lines). */
import { Option, type Command } from 'commander';
import type { BytesDisplay } from '../../read/dump.js';
import { parseInteger } from '../parse.js';
import { FILES_HELP } from './files.js';

/** Adds `dump` to `program`. */
export function registerDumpCommand(program: Command): void {
  program
    .command('dump')
    .description('Print one JSON object per record (JSON Lines); int64 beyond 2^53 as exact strings.')
    .argument('<files...>', FILES_HELP)
    .addOption(new Option('--bytes <mode>', 'how bytes values print (default: UTF-8 text when printable, else length over 64 bytes, else base64)').choices(['base64', 'hex', 'length']))
    .option('--limit <n>', 'stop after N records', parseInteger('--limit', 0))
    .option('--keys <k1,k2>', 'only these keys (comma-separated)')
    .addHelpText('after', '\nExamples:\n  $ img2tfrecord dump out/train-00000-of-00001.tfrecord --limit 3\n  $ img2tfrecord dump out/ --keys image/filename,image/class/label | jq -r \'.features["image/filename"].values[0]\'')
    .action(async (args: string[], flags: { bytes?: BytesDisplay; limit?: number; keys?: string }) => {
      // Loaded when used: a convert run never pays for the read commands' modules.
      const [{ dumpRecords }, { expandRecordFiles }] = await Promise.all([import('../../read/dump.js'), import('../../sinks/record-files.js')]);
      const keys = flags.keys?.split(',').map((k) => k.trim()).filter((k) => k !== '');
      for await (const record of dumpRecords(await expandRecordFiles(args), {
        bytes: flags.bytes ?? 'auto',
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
        ...(keys === undefined ? {} : { keys }),
      })) {
        if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    });
}
