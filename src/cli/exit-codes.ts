/** The documented exit codes, and the one place errors become them. */
import { CommanderError } from 'commander';
import { Img2TfrecordError, InterruptedError, type InvalidOptionError } from '../errors.js';
import { describeOptionError } from './flag-names.js';

/** Exit codes of every command (documented in --help and the README). */
export const EXIT = Object.freeze({
  /** Everything converted / verified clean. */
  OK: 0,
  /** Failed: nothing usable was written (convert; data found unusable, ERR_DATA), or problems were found (verify). */
  FAILED: 1,
  /** Usage error: bad flag, bad value, missing argument, output that exists without --overwrite. */
  USAGE: 2,
  /** Finished, but some inputs were skipped (listed in the summary); 0 instead with --ok-if-skipped. */
  PARTIAL: 3,
  /** Interrupted by SIGINT (128 + 2) or SIGTERM (128 + 15); partial output removed. */
  SIGINT: 130,
  SIGTERM: 143,
});

export const EXIT_CODES_HELP = `
Exit codes:
  0    all inputs converted (verify: no problems)
  1    failed, no output left behind (also: data that cannot be converted as asked);
       verify: problems found
  2    usage error (bad flag or value, missing input, output exists without --overwrite)
  3    finished, but some inputs were skipped (listed in the summary and dataset.json);
       --ok-if-skipped makes this 0, e.g. for a CI step under set -o pipefail
  130  interrupted by SIGINT (143: SIGTERM); temporary files removed`;

/**
 * Maps an error to the exit code and the message shown to a user (never a stack trace).
 *
 * Policy: USAGE (2) when the command line must change before anything can run: a bad flag or
 * value (ERR_INVALID_OPTION, ERR_USAGE), an input path that is missing or unusable (ERR_INPUT),
 * output in the way (ERR_OUTPUT_EXISTS). FAILED (1) when the command line was fine and the run
 * failed: data found unusable while reading it (ERR_DATA: images of several sizes for --mean, a
 * label Caffe's Datum cannot hold), output that cannot be written, a bug. A data problem is exit 1
 * even when a flag can work around it (--resize, --label-to float_data), so scripts can tell
 * "fix the invocation" from "look at the data".
 */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (error instanceof CommanderError) return { code: EXIT.USAGE, message: '' };
  if (error instanceof Img2TfrecordError) {
    switch (error.code) {
      case 'ERR_INVALID_OPTION':
        return { code: EXIT.USAGE, message: describeOptionError(error as InvalidOptionError) };
      case 'ERR_USAGE':
      // Existing output is a command line to change (another -o, or --overwrite), not a failed run.
      case 'ERR_OUTPUT_EXISTS':
        return { code: EXIT.USAGE, message: error.message };
      case 'ERR_INTERRUPTED':
        return { code: error instanceof InterruptedError && error.signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT, message: error.message };
      case 'ERR_INPUT':
        return { code: EXIT.USAGE, message: error.message };
      case 'ERR_DATA':
        return { code: EXIT.FAILED, message: error.message };
      default:
        return { code: EXIT.FAILED, message: error.message };
    }
  }
  const err = error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOSPC') return { code: EXIT.FAILED, message: `disk full: ${err.message}` };
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return { code: EXIT.FAILED, message: `permission denied: ${err.message}` };
  // Not one of ours: a bug. Show the stack so it can be reported.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: EXIT.FAILED, message: `internal error (please report): ${detail}` };
}
