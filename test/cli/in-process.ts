/** Runs the CLI in this process (no 2.5 s tsx spawn) and captures what the command wrote. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { runCli } from '../../src/cli/main.js';

interface Captured { stdout: string; stderr: string }

const capture = new AsyncLocalStorage<Captured>();
let installed = false;

/**
 * Routes stdout/stderr writes made inside a {@link runInProcess} call into its result. Writes from
 * anywhere else (the test runner's reporter, which also writes to stdout) pass through untouched:
 * the async context tells them apart, so a reporter event is never swallowed.
 */
function installCapture(): void {
  if (installed) return;
  installed = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      const store = capture.getStore();
      if (store === undefined) return original(chunk, ...rest);
      store[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      if (callback !== undefined) process.nextTick(callback);
      return true;
    }) as typeof stream.write;
  }
}

/**
 * `img2tfrecord <args>` in-process: its exit code and output. Commands set process.exitCode, which
 * runCli reads; it is cleared before and after so one call cannot leak into the next (or into the
 * test process's own exit code).
 *
 * @example
 * const { code, stdout } = await runInProcess(['inspect', 'out/', '--spec', 'json']);
 */
export async function runInProcess(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  installCapture();
  const store: Captured = { stdout: '', stderr: '' };
  process.exitCode = undefined;
  try {
    const code = await capture.run(store, () => runCli(args));
    return { code, ...store };
  } finally {
    process.exitCode = undefined;
  }
}
