/** The V8 heap settings of the CLI process: a young generation and old-space slack that do not grow with the run. */
import { setFlagsFromString } from 'node:v8';

/**
 * What the CLI sets, and why (measured on pass-through runs of 1,000 and 20,000 files, bench/README.md
 * "RSS growth (issue 16)"):
 * - `--semi-space-growth-factor=1`: V8 doubles the young generation each time as many bytes have
 *   survived scavenges as it holds, so over a long run it grows from 2 to 32 MiB, however little is
 *   live. Kept at its starting size, the run's peak no longer depends on its length.
 * - `--heap-growing-percent=50`: after a full collection the old space may grow to 1.5x what was
 *   live, not V8's 2-4x; what is live grows with the input list, so the slack did too.
 * Cost: more, smaller scavenges; CPU time of a 5,000-file pass-through rose by 0-5 % (alternated
 * medians of 5-7 on a machine at load 3-9: 2.05 -> 2.10 s, 2.40 -> 2.46 s), within its noise.
 */
export const HEAP_FLAGS: readonly string[] = Object.freeze(['--semi-space-growth-factor=1', '--heap-growing-percent=50']);

/**
 * The {@link HEAP_FLAGS} to set, leaving out any whose option the user already gave (in
 * `node` flags or NODE_OPTIONS), or none when IMG2TFRECORD_V8_DEFAULTS=1 asks for V8's own sizing.
 *
 * @example
 * chooseHeapFlags([], {}); // ['--semi-space-growth-factor=1', '--heap-growing-percent=50']
 * chooseHeapFlags(['--heap-growing-percent=80'], {}); // ['--semi-space-growth-factor=1']
 */
export function chooseHeapFlags(execArgv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (env.IMG2TFRECORD_V8_DEFAULTS === '1') return [];
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map(optionName);
  return HEAP_FLAGS.filter((flag) => !given.includes(optionName(flag)));
}

/** `--max_semi_space_size=4` -> `max-semi-space-size` (V8 takes `_` and `-` alike). */
function optionName(flag: string): string {
  return (flag.split('=')[0] as string).replace(/^-+/, '').replace(/_/g, '-');
}

/**
 * Sets the heap flags of {@link chooseHeapFlags} on this process. Both are read by V8 each time it
 * resizes a space, so they take effect when set at startup, before the run allocates.
 *
 * @example
 * applyHeapFlags(); // first thing in the CLI's entry point
 */
export function applyHeapFlags(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): void {
  for (const flag of chooseHeapFlags(execArgv, env)) setFlagsFromString(flag);
}
