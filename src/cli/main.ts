/** The img2tfrecord command line: builds the commands and turns failures into messages and exit codes. */
import { Command, CommanderError } from 'commander';
import { TOOL_VERSION } from '../runtime/version.js';
import { registerConvertCommand } from './commands/convert.js';
import { registerDumpCommand } from './commands/dump.js';
import { registerExtractCommand } from './commands/extract.js';
import { registerIndexCommand } from './commands/index-file.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerMergeCommand } from './commands/merge-summary.js';
import { registerPreviewCommand } from './commands/preview.js';
import { registerVerifyCommand } from './commands/verify.js';
import { describeFailure, EXIT, EXIT_CODES_HELP } from './exit-codes.js';

/** Builds the program; exported so tests can run commands in-process. */
export function buildProgram(): Command {
  const program = new Command('img2tfrecord')
    .description('Turn folders of images into TensorFlow TFRecord files of tf.train.Example records.')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', EXIT_CODES_HELP);
  registerConvertCommand(program);
  registerInspectCommand(program);
  registerVerifyCommand(program);
  registerDumpCommand(program);
  registerExtractCommand(program);
  registerIndexCommand(program);
  registerMergeCommand(program);
  registerPreviewCommand(program);
  return program;
}

/** Runs the CLI with `argv` (user arguments only) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through exitOverride with code 0; commander already printed.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const { code, message } = describeFailure(error);
    if (message !== '') process.stderr.write(`img2tfrecord: ${message}\n`);
    return code;
  }
}
