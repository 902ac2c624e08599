/** Progress for people: a bar on a TTY stderr, a line every 30 s otherwise (pipes, CI), nothing with --quiet. */
import type { ConvertProgress } from '../convert/convert.js';

/** Reports progress; `update` is called once per input file. */
export interface ProgressReporter {
  readonly update: (progress: ConvertProgress) => void;
  readonly stop: () => void;
}

/** Seconds between progress lines when stderr is not a terminal (`--progress-interval`). */
export const DEFAULT_PROGRESS_INTERVAL = 30;

/** Whether a bar may be drawn: stderr is a terminal, CI is unset and the user did not ask for quiet. */
export function progressEnabled(quiet: boolean, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return !quiet && stream.isTTY === true && (env.CI ?? '') === '';
}

/**
 * Formats a duration in whole seconds: `15s`, `3m05s`, `2h07m`. Rounds first, so 239.6 s is
 * `4m00s`, never `3m60s`.
 *
 * @example
 * formatDuration(239.6); // '4m00s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Rates smoothed over the run: an exponential moving average of per-interval rates, so one slow file does not swing the ETA. */
class RateMeter {
  private lastTime: number;
  private lastFiles = 0;
  private lastBytes = 0;
  fileRate: number | null = null;
  byteRate: number | null = null;

  constructor(start: number) {
    this.lastTime = start;
  }

  /** Takes a sample when at least 0.5 s have passed since the last one. */
  sample(now: number, files: number, bytes: number): void {
    const dt = (now - this.lastTime) / 1000;
    if (dt < 0.5) return;
    const files1 = (files - this.lastFiles) / dt;
    const bytes1 = (bytes - this.lastBytes) / dt;
    // 0.2: about the last five samples count; the first sample is taken as it is.
    this.fileRate = this.fileRate === null ? files1 : 0.8 * this.fileRate + 0.2 * files1;
    this.byteRate = this.byteRate === null ? bytes1 : 0.8 * this.byteRate + 0.2 * bytes1;
    this.lastTime = now;
    this.lastFiles = files;
    this.lastBytes = bytes;
  }

  /** Seconds left: from the bytes left when sizes are known (big and small files differ), else from the files left. */
  eta(p: ConvertProgress): number {
    if (p.bytesTotal > 0 && this.byteRate !== null && this.byteRate > 0) return Math.max(0, p.bytesTotal - p.bytesRead) / this.byteRate;
    if (this.fileRate !== null && this.fileRate > 0) return (p.total - p.done) / this.fileRate;
    return Number.NaN;
  }
}

/** The parts of a progress report, most important first (narrow terminals drop from the end). */
function describeProgress(p: ConvertProgress, meter: RateMeter): string[] {
  return [
    `${p.done}/${p.total} files`,
    `ETA ${formatDuration(meter.eta(p))}`,
    `${meter.fileRate === null ? '--' : Math.round(meter.fileRate)} img/s`,
    `${meter.byteRate === null ? '--' : (meter.byteRate / 1048576).toFixed(1)} MB/s`,
    `skipped ${p.skipped}`,
  ];
}

/**
 * The bar line fitted to `columns`: the bar takes what the text leaves (at least 10 cells), and
 * the least important parts are dropped when even the text does not fit.
 *
 * @example
 * formatBarLine({ total: 10, done: 5, records: 5, skipped: 0, bytesRead: 5, bytesTotal: 10 }, ['5/10 files'], 40);
 */
export function formatBarLine(p: ConvertProgress, parts: readonly string[], columns: number): string {
  // One column spare: writing into the last column makes some terminals wrap.
  const width = Math.max(20, columns) - 1;
  const kept = [...parts];
  let text = kept.join(' | ');
  while (kept.length > 1 && text.length > width) {
    kept.pop();
    text = kept.join(' | ');
  }
  const room = width - text.length - 1;
  if (room < 10) return text.slice(0, width);
  const fraction = p.bytesTotal > 0 ? p.bytesRead / p.bytesTotal : p.total > 0 ? p.done / p.total : 0;
  const cells = Math.min(40, room);
  const full = Math.min(cells, Math.round(cells * Math.min(1, fraction)));
  return `${'█'.repeat(full)}${'░'.repeat(cells - full)} ${text}`;
}

/**
 * A reporter for `convert`, on stderr so stdout stays clean for --json and -o -. On a terminal:
 * a bar redrawn at most 10 times a second, fitted to the width. Elsewhere (pipes, CI logs): one
 * line every `intervalSeconds`, so a long run shows it is alive without flooding the log.
 *
 * @example
 * const progress = createProgressReporter({ quiet: false, intervalSeconds: 60 });
 * await convert(options, { onProgress: progress.update });
 * progress.stop();
 */
export function createProgressReporter(options: {
  quiet: boolean;
  /** Seconds between lines without a terminal (default 30). */
  intervalSeconds?: number;
  /** Where the bar goes (default process.stderr); tests pass a fake terminal. */
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds clock (default performance.now); tests pass a fake one. */
  now?: () => number;
}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: () => undefined, stop: () => undefined };
  const now = options.now ?? ((): number => performance.now());
  const bar = progressEnabled(false, stream, options.env ?? process.env);
  const interval = bar ? 100 : (options.intervalSeconds ?? DEFAULT_PROGRESS_INTERVAL) * 1000;
  const meter = new RateMeter(now());
  let last: ConvertProgress | null = null;
  let drawnAt = now();
  let drawn = false;
  const draw = (): void => {
    if (last === null) return;
    const parts = describeProgress(last, meter);
    if (bar) stream.write(`\r${formatBarLine(last, parts, stream.columns ?? 80)}\x1b[K`);
    else stream.write(`img2tfrecord: ${parts.join(', ')}\n`);
    drawnAt = now();
    drawn = true;
  };
  // Lines also come while a slow file holds up updates; unref'd so it never keeps the process alive.
  const timer = bar ? null : setInterval(() => {
    if (last !== null && now() - drawnAt >= interval) draw();
  }, Math.min(interval, 1000));
  timer?.unref();
  return {
    update: (p) => {
      last = p;
      meter.sample(now(), p.done, p.bytesRead);
      // The bar appears at once; lines only after a first interval (short runs print none).
      if ((bar && !drawn) || now() - drawnAt >= interval) draw();
    },
    stop: () => {
      if (timer !== null) clearInterval(timer);
      if (bar && drawn) stream.write('\r\x1b[K');
    },
  };
}
