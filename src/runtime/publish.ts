/** Puts a run's output under its final names all together at the end, or none of it. */
import { rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Img2TfrecordError, OutputWriteError } from '../errors.js';
import { faultPoint } from './faults.js';

/** File-system errors that only writing causes, and how a user would say them. */
const WRITE_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'read-only file system',
};
/** Errors that mean a write failed when they name a path inside the output. */
const OUTPUT_ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'input/output error',
  ENOTDIR: 'a path in it is a file, not a folder',
};

/**
 * The error a user should see for a failure while writing into `output`: a full disk, a read-only
 * file system or a refused permission becomes one {@link OutputWriteError} line naming the
 * folder; anything else is returned as it is.
 *
 * @example
 * throw toOutputError(error, 'out'); // OutputWriteError "cannot write to out: disk full"
 */
export function toOutputError(error: unknown, output: string): unknown {
  if (error instanceof Img2TfrecordError) return error;
  const err = error as NodeJS.ErrnoException | undefined;
  const code = err?.code ?? '';
  const reason = WRITE_ERRORS[code] ?? (isInside(err?.path, output) ? OUTPUT_ERRORS[code] : undefined);
  return reason === undefined ? error : new OutputWriteError(output, reason, { cause: error });
}

function isInside(path: string | undefined, dir: string): boolean {
  if (path === undefined) return false;
  const root = resolve(dir);
  const full = resolve(path);
  return full === root || full.startsWith(root + sep) || root.startsWith(full + sep);
}

/** Temporary files this process has open or staged: removed at once if a second signal ends it. */
const liveTemps = new Set<string>();

/**
 * Creates `dir` and its parents. Node's recursive mkdir reports ENOENT when a parent is on a
 * read-only file system; one level at a time, the real error (EROFS, EACCES) shows.
 *
 * @example
 * await makeFolder('out/train');
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const parent = dirname(resolve(dir));
    if (parent !== resolve(dir)) await makeFolder(parent);
    await mkdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** Records a temporary file so {@link removeTempFilesSync} can remove it. */
export function trackTemp(path: string): void {
  liveTemps.add(path);
}

/** Forgets a temporary file that was renamed or removed. */
export function untrackTemp(path: string): void {
  liveTemps.delete(path);
}

/**
 * Removes every temporary file this process still has, synchronously: for a second SIGINT or
 * SIGTERM, which exits without waiting for the run to unwind.
 *
 * @example
 * process.on('SIGTERM', () => { removeTempFilesSync(); process.exit(143); });
 */
export function removeTempFilesSync(): void {
  for (const path of liveTemps) rmSync(path, { force: true });
  liveTemps.clear();
}

/** One rename of the publication, and how to take it back. */
interface Move {
  readonly from: string;
  readonly to: string;
  /** 'back': rename `to` back to `from` (a shard stays resumable); 'remove': delete `to`. */
  readonly undo: 'back' | 'remove';
}

/**
 * Collects the last files of a run: sidecars are written (and synced) under hidden temporary
 * names first, then {@link publish} renames shards and sidecars to their final names; if any
 * rename fails, those already made are taken back, so a failed run leaves nothing under a final
 * name.
 *
 * @example
 * const publication = new Publication();
 * publication.move('out/.train-00000-of-00001.tfrecord.complete', 'out/train-00000-of-00001.tfrecord');
 * await publication.stage('out/dataset.json', '{}\n');
 * await publication.publish();
 */
export class Publication {
  private readonly moves: Move[] = [];
  /** Sidecars in the order staged; renamed after every shard, so the summary (staged last) is last. */
  private readonly stagedMoves: Move[] = [];
  private readonly staged: string[] = [];

  /** Plans the rename of a complete file (a shard) to its final name. */
  move(from: string, to: string): void {
    this.moves.push({ from, to, undo: 'back' });
  }

  /** Writes `data` for `final` under a temporary name in the same folder (synced to disk by {@link publish}). */
  async stage(final: string, data: string | Uint8Array): Promise<void> {
    const temp = join(dirname(final), `.${basename(final)}.tmp-${process.pid}`);
    await makeFolder(dirname(final));
    await removeDeadTemps(dirname(final), basename(final));
    trackTemp(temp);
    this.staged.push(temp);
    const handle = await open(temp, 'w');
    try {
      faultPoint('stage', temp);
      // Synced by publish, together with the shards.
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    this.stagedMoves.push({ from: temp, to: final, undo: 'remove' });
  }

  /** Makes every planned rename, in order; on a failure takes back the ones made and rethrows. */
  async publish(): Promise<void> {
    const done: Move[] = [];
    try {
      // Every file on disk before any final name points at it, all at once: concurrent fsyncs
      // share the file system's journal commits (one sync after another cost a commit each,
      // ~0.2 s apiece at the end of every run here).
      await syncFiles([...this.moves, ...this.stagedMoves].map((move) => move.from));
      for (const move of [...this.moves, ...this.stagedMoves]) {
        faultPoint('rename', move.to);
        await rename(move.from, move.to);
        untrackTemp(move.from);
        done.push(move);
      }
    } catch (error) {
      for (const move of done.reverse()) {
        await (move.undo === 'back' ? rename(move.to, move.from) : rm(move.to, { force: true })).catch(() => undefined);
      }
      await this.discard();
      throw error;
    }
    await syncFolders(new Set([...this.moves, ...this.stagedMoves].map((m) => dirname(m.to))));
  }

  /** Removes the staged temporary files (after a failure before or during publishing). */
  async discard(): Promise<void> {
    for (const temp of this.staged) {
      await rm(temp, { force: true });
      untrackTemp(temp);
    }
  }
}

/**
 * Removes staged copies of `name` left by killed runs (`.<name>.tmp-<pid>` of a process that no
 * longer exists); a live process's copy, such as a concurrent worker's, is left alone.
 */
async function removeDeadTemps(dir: string, name: string): Promise<void> {
  const stem = `.${name}.tmp-`;
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!entry.startsWith(stem)) continue;
    const pid = Number(entry.slice(stem.length));
    if (Number.isSafeInteger(pid) && pid !== process.pid && !isProcessAlive(pid)) await rm(join(dir, entry), { force: true });
  }
}

/**
 * Whether a process still exists, so a killed run's temporary files can be told from a live one's.
 *
 * @example
 * isProcessAlive(process.pid); // true
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Flushes files to disk, all at once, so a full disk or an I/O error shows before any rename.
 *
 * @example
 * await syncFiles(['out/.train-00000-of-00001.tfrecord.complete', 'out/.dataset.json.tmp-42']);
 */
export async function syncFiles(paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map(async (path) => {
    const handle = await open(path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }));
}

/** Syncs folders so the renames themselves survive a crash; a file system that cannot is fine. */
async function syncFolders(dirs: ReadonlySet<string>): Promise<void> {
  for (const dir of dirs) {
    const handle = await open(dir, 'r').catch(() => null);
    await handle?.sync().catch(() => undefined);
    await handle?.close();
  }
}
