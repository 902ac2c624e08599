/** Progress for people: a bar on a TTY stderr, nothing otherwise (pipes, CI, --quiet). */
import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import type { ConvertProgress } from '../pipeline/index.js';

/** Reports progress; `update` is called once per input file. */
export interface ProgressReporter {
  readonly update: (progress: ConvertProgress) => void;
  readonly stop: () => void;
}

/** Whether a bar may be drawn: stderr is a terminal, CI is unset and the user did not ask for quiet. */
export function progressEnabled(quiet: boolean, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return !quiet && stream.isTTY === true && (env.CI ?? '') === '';
}

/**
 * A reporter drawing files done/total, images/s, MB/s, ETA and skipped count, at most 10 times a
 * second (cli-progress's fps limit), on stderr so stdout stays clean for --json and -o -.
 */
export function createProgressReporter(options: {
  quiet: boolean;
  /** Where the bar goes (default process.stderr); tests pass a fake terminal. */
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (!progressEnabled(options.quiet, stream, options.env ?? process.env)) return { update: () => undefined, stop: () => undefined };
  // Required only here: a run without a terminal never pays for loading it.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  const bar = new cliProgress.SingleBar({
    stream,
    fps: 10,
    hideCursor: true,
    clearOnComplete: true,
    format: '{bar} {value}/{total} files | {rate} img/s | {mbps} MB/s | ETA {eta_formatted} | skipped {skipped}',
  }, cliProgress.Presets.shades_classic);
  const started = process.hrtime.bigint();
  let begun = false;
  return {
    update: (p) => {
      const seconds = Math.max(1e-3, Number(process.hrtime.bigint() - started) / 1e9);
      const payload = {
        rate: Math.round(p.done / seconds),
        mbps: (p.bytesRead / 1048576 / seconds).toFixed(1),
        skipped: p.skipped,
      };
      if (!begun) {
        bar.start(p.total, p.done, payload);
        begun = true;
      } else {
        bar.update(p.done, payload);
      }
    },
    stop: () => {
      if (begun) bar.stop();
    },
  };
}
