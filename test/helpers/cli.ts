// The one way tests run the CLI. In-process through runCli (no process start: the suite's main
// cost was ~2.5 s per `node --import tsx` spawn), or as a real child process of the compiled
// dist/cli/bin.js (~0.5 s) where one is needed: SIGKILL fault injection, signals, stdin, runs that
// must overlap. `npm test` builds dist/ first; when dist/ is missing or older than src/ (a single
// test file run by hand after an edit), the child runs src/cli/bin.ts through tsx instead, so a
// stale build is never what is tested.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';
import { faultPoint } from '../../src/runtime/faults.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  /** Exit code; null when the child was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as bytes (records from `-o -`). */
  readonly raw: Buffer;
}

export interface CliOptions {
  /** Extra environment variables (CI=true is always set: no progress bar). */
  readonly env?: NodeJS.ProcessEnv;
  /** Text on stdin (child process only). */
  readonly input?: string | Buffer;
  readonly cwd?: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let fresh: boolean | undefined;
/** Whether dist/ is built from today's src/ (`npm test` builds it first): no source file newer than dist/cli/bin.js. */
export function isDistFresh(): boolean {
  if (fresh === undefined) {
    const built = statSync(join(ROOT, 'dist/cli/bin.js'), { throwIfNoEntry: false });
    fresh = built !== undefined && built.mtimeMs >= newestMtime(join(ROOT, 'src'));
  }
  return fresh;
}

let childArgs: string[] | undefined;
/** `node` arguments that start the CLI: the compiled bin when it is up to date, else the sources through tsx. */
function cliCommand(): string[] {
  if (childArgs === undefined) {
    childArgs = isDistFresh() ? [join(ROOT, 'dist/cli/bin.js')] : ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts')];
  }
  return childArgs;
}

/** Runs the CLI as a child process and waits for it (SIGKILL faults, stdin, signals). */
export function spawnCliSync(args: readonly string[], options: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [...cliCommand(), ...args], {
    cwd: options.cwd ?? ROOT, env: { ...process.env, CI: 'true', ...options.env }, maxBuffer: 256 * 1024 * 1024,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

/** Starts the CLI as a child process (for signals, or runs that must overlap). */
export function spawnCli(args: readonly string[], options: CliOptions & { readonly stdio?: SpawnOptions['stdio'] } = {}): ChildProcess {
  return spawn(process.execPath, [...cliCommand(), ...args], {
    cwd: options.cwd ?? ROOT, env: { ...process.env, CI: 'true', ...options.env }, stdio: options.stdio ?? 'ignore',
  });
}

/** Starts the CLI as a child process and resolves with its exit code (null if killed). */
export function spawnCliAsync(args: readonly string[], options: CliOptions = {}): Promise<number | null> {
  return new Promise((resolve, reject) => {
    spawnCli(args, options).on('error', reject).on('exit', resolve);
  });
}

/** Captured output of the in-process run the current async context belongs to. */
const capture = new AsyncLocalStorage<{ stdout: Buffer[]; stderr: Buffer[] }>();

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
  // Copied: a writer may reuse its buffer once the write is acknowledged.
  return Buffer.from(chunk as Uint8Array);
}

/**
 * Routes writes made inside an in-process CLI run to that run's buffers. Writes from anywhere else
 * (the test runner reports to its parent on stdout) go through untouched.
 */
function interceptWrites(stream: NodeJS.WriteStream, pick: (c: { stdout: Buffer[]; stderr: Buffer[] }) => Buffer[]): void {
  const original = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const store = capture.getStore();
    if (store === undefined) return original(chunk, encoding, callback);
    pick(store).push(toBuffer(chunk, encoding));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as NodeJS.WriteStream['write'];
}
interceptWrites(process.stdout, (c) => c.stdout);
interceptWrites(process.stderr, (c) => c.stderr);

let queue: Promise<unknown> = Promise.resolve();

/** Records written to stdout (`-o -`): the sink ends stdout when done, which only a child process survives. */
function writesRecordsToStdout(args: readonly string[]): boolean {
  return args.some((a, i) => ((a === '-o' || a === '--output') && args[i + 1] === '-') || a === '--output=-' || a === '-o-');
}

/**
 * Runs the CLI the cheapest way that is faithful: in-process (runCliInProcess), or as a child
 * process (spawnCliSync) when it reads stdin, writes records to stdout, or is set to be SIGKILLed
 * by an IMG2TFRECORD_FAULT without an errno.
 */
export async function runCliTest(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const fault = options.env?.IMG2TFRECORD_FAULT;
  const killed = fault !== undefined && /^[a-z]+:\d+$/.test(fault);
  if (options.input !== undefined || options.cwd !== undefined || killed || writesRecordsToStdout(args)) return spawnCliSync(args, options);
  return runCliInProcess(args, options);
}

/**
 * Runs the CLI in this process through runCli, capturing stdout, stderr and the exit code. Runs are
 * serialised (the exit code and `env` are process-wide); `env` is set for the run and restored.
 */
export function runCliInProcess(args: readonly string[], options: Omit<CliOptions, 'input' | 'cwd'> = {}): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    const env = { CI: 'true', ...options.env };
    const saved = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
    const savedExitCode = process.exitCode;
    const buffers = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    Object.assign(process.env, env);
    process.exitCode = undefined;
    try {
      const code = await capture.run(buffers, () => runCli(args));
      const raw = Buffer.concat(buffers.stdout);
      return { code, signal: null, stdout: raw.toString('utf8'), stderr: Buffer.concat(buffers.stderr).toString('utf8'), raw };
    } finally {
      process.exitCode = savedExitCode;
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      // Forget this run's fault counts (IMG2TFRECORD_FAULT is read on each pass): the next run counts from 0.
      faultPoint('record');
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}
