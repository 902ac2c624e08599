/** Fault injection points for the kill-and-resume, full-disk and interrupt tests (IMG2TFRECORD_FAULT). */

/** Where a fault can be injected: records, shard completion, final renames, staged sidecars, LMDB commits. */
export type FaultPointName = 'record' | 'shard' | 'rename' | 'stage' | 'commit' | 'read';

/**
 * Fault injection for the kill-and-resume and full-disk tests: IMG2TFRECORD_FAULT=<point>:<n>
 * SIGKILLs the process the n-th time it passes <point>; IMG2TFRECORD_FAULT=<point>:<n>:<ERRNO>
 * (e.g. `stage:2:ENOSPC`, `rename:1:EROFS`) throws that file-system error there instead, as a
 * full or read-only disk would; `read:<n>:STALL` makes the n-th input's read never finish, as a
 * read stuck on a dead network disk does (see {@link stallPoint}). Read on each pass (tests set it
 * in-process). Unset in normal use.
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
export function faultPoint(point: FaultPointName, path?: string): void {
  const fault = currentFault();
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
  const fault = currentFault();
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
  const fault = currentFault();
  return fault !== null && fault[1] === point && fault[3] === undefined && (faultCounts.get(point) ?? 0) + 1 === Number(fault[2]);
}
