/** Fault injection points for the kill-and-resume, full-disk and interrupt tests (IMG2TFRECORD_FAULT). */

/** Where a fault can be injected: records, shard completion, final renames, staged sidecars, LMDB commits. */
export type FaultPointName = 'record' | 'shard' | 'rename' | 'stage' | 'commit' | 'read';

/**
 * Fault injection for the kill-and-resume and full-disk tests: IMG2TFRECORD_FAULT=<point>:<n>
 * SIGKILLs the process the n-th time it passes <point>; IMG2TFRECORD_FAULT=<point>:<n>:<ERRNO>
 * (e.g. `stage:2:ENOSPC`, `rename:1:EROFS`) throws that file-system error there instead, as a
 * full or read-only disk would; `read:<n>:STALL` makes the n-th input's read never finish, as a
 * read stuck on a dead network disk does (see {@link stallPoint}). Read on each pass (tests set it
 * in-process), except by the per-record points, which read it at a run's start ({@link refreshFaults}).
 * Unset in normal use.
 */
const faultCounts = new Map<string, number>();
let faultSpec: { env: string; match: RegExpExecArray | null } = { env: '', match: null };
function currentFault(): RegExpExecArray | null {
  const env = process.env.IMG2TFRECORD_FAULT ?? '';
  if (env !== faultSpec.env) {
    faultSpec = { env, match: /^(record|shard|rename|stage|commit|read):(\d+)(?::(E[A-Z]+|STALL))?$/.exec(env) };
    faultCounts.clear();
  }
  return faultSpec.match;
}

/**
 * The spec as of the last {@link refreshFaults} (a run's start), for the points passed once per
 * record or file: reading the environment costs ~2 us a time, three times per record. The other
 * points, passed a few times per run, still read it on each pass.
 */
let runFault: RegExpExecArray | null = null;

/**
 * Reads IMG2TFRECORD_FAULT for the per-record points (`record`, `read`) of the run about to start.
 *
 * @example
 * refreshFaults(); // at the start of a run, after a test set process.env.IMG2TFRECORD_FAULT
 */
export function refreshFaults(): void {
  runFault = currentFault();
}

function faultAt(point: FaultPointName): RegExpExecArray | null {
  return point === 'record' || point === 'read' ? runFault : currentFault();
}

export function faultPoint(point: FaultPointName, path?: string): void {
  const fault = faultAt(point);
  if (fault === null || fault[1] !== point) return;
  const n = (faultCounts.get(point) ?? 0) + 1;
  faultCounts.set(point, n);
  if (n !== Number(fault[2]) || fault[3] === 'STALL') return;
  if (fault[3] === undefined) {
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  const error = new Error(`${fault[3]}: injected fault at ${point} ${n}`) as NodeJS.ErrnoException;
  error.code = fault[3];
  if (path !== undefined) error.path = path;
  throw error;
}

/**
 * Fault injection for the interrupt tests: resolves at once, except at the n-th pass through
 * `point` under IMG2TFRECORD_FAULT=<point>:<n>:STALL, where it never resolves.
 */
export function stallPoint(point: FaultPointName, signal?: AbortSignal): Promise<void> {
  const fault = faultAt(point);
  if (fault === null || fault[1] !== point || fault[3] !== 'STALL') return Promise.resolve();
  const n = (faultCounts.get(point) ?? 0) + 1;
  faultCounts.set(point, n);
  if (n !== Number(fault[2])) return Promise.resolve();
  // A timer keeps the process alive while stalled, as a stuck read does; an abort abandons it.
  const timer = setInterval(() => undefined, 60_000);
  signal?.addEventListener('abort', () => clearInterval(timer), { once: true });
  return new Promise(() => undefined);
}

/** Whether the next pass through `point` is the one {@link faultPoint} kills at. */
export function isNextFault(point: 'record'): boolean {
  const fault = faultAt(point);
  return fault !== null && fault[1] === point && fault[3] === undefined && (faultCounts.get(point) ?? 0) + 1 === Number(fault[2]);
}
