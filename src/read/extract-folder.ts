/** Places extracted files inside one folder: no link followed out of it, names shortened and de-clashed, nothing half-written. */
import { createHash } from 'node:crypto';
import { link, lstat, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InternalError } from '../errors.js';

/** Longest file name most file systems take (bytes). */
const NAME_MAX = 255;
/** What a shortened name may use, leaving room for a `-N` suffix. */
const NAME_BUDGET = 240;
/** Errors that belong to one name (the record is reported); any other error ends the run. */
const NAME_ERRORS = new Set(['ENAMETOOLONG', 'ENOTDIR', 'EISDIR', 'ELOOP', 'EINVAL', 'EILSEQ']);
/** link() is refused by some file systems (FAT, some network mounts): fall back to a checked rename. */
const NO_LINK = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** A record whose name cannot be written (too long a path, a folder swapped for a link mid-run). */
export class UnwritableNameError extends Error {}

/** Where {@link OutputFolder.write} put a file, and every rename it made on the way. */
export interface Placement {
  /** The path written, relative to the folder, `/`-separated. */
  readonly path: string;
  readonly notes: readonly string[];
}

/**
 * `name` cut to fit in {@link NAME_BUDGET} bytes when over {@link NAME_MAX}: the start of the stem,
 * `~`, 8 hex digits of the SHA-256 of the whole name (so two long names sharing a start stay apart), the extension.
 *
 * @example
 * shortenName('x'.repeat(300) + '.jpg'); // 'xxx…x~1a2b3c4d.jpg', 240 bytes
 */
export function shortenName(name: string, keepExtension = true): string {
  if (Buffer.byteLength(name) <= NAME_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const match = keepExtension ? /\.[^.]{1,16}$/.exec(name) : null;
  const ext = match !== null && Buffer.byteLength(match[0]) <= 32 ? match[0] : '';
  let budget = NAME_BUDGET - Buffer.byteLength(ext) - 9;
  let stem = '';
  for (const ch of name.slice(0, name.length - ext.length)) {
    budget -= Buffer.byteLength(ch);
    if (budget < 0) break;
    stem += ch;
  }
  return `${stem}~${hash}${ext}`;
}

function suffixed(name: string, n: number, keepExtension: boolean): string {
  if (n === 0) return name;
  const dot = keepExtension ? name.lastIndexOf('.') : -1;
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  return shortenName(`${stem}-${n}${ext}`, keepExtension);
}

function joinRel(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

async function lstatKind(path: string): Promise<'missing' | 'folder' | 'file' | 'symbolic link' | 'special file'> {
  try {
    const s = await lstat(path);
    return s.isSymbolicLink() ? 'symbolic link' : s.isDirectory() ? 'folder' : s.isFile() ? 'file' : 'special file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

function isNameError(error: unknown): boolean {
  return NAME_ERRORS.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * The output folder of `extract`. Every folder on a record's path is checked with lstat (a link or a
 * file where a folder is wanted gets a `-N` sibling instead, never followed), the real path of the
 * parent is checked against the folder's before each write, and files are written to a temporary
 * name and then linked or renamed into place, so no final name ever holds half a file.
 *
 * @example
 * const folder = await OutputFolder.open('restored');
 * const { path, notes } = await folder.write('cat/1.jpg', bytes, false);
 */
export class OutputFolder {
  /** Requested folder (relative) -> the folder actually used, so one record's rename holds for the rest. */
  private readonly folders = new Map<string, string>([['', '']]);
  /** Files written by this run: never replaced, even with overwrite. */
  private readonly used = new Set<string>();
  private temps = 0;

  private constructor(readonly root: string, private readonly realRoot: string) {}

  /** Creates (if needed) and opens `dir`; `./x`, `x//y`, `x/.` and `/a/../b` all name one folder. */
  static async open(dir: string): Promise<OutputFolder> {
    const root = resolve(dir);
    await mkdir(root, { recursive: true });
    return new OutputFolder(root, await realpath(root));
  }

  /**
   * Writes `bytes` at `rel` (`/`-separated, already sanitised: no empty, `.` or `..` parts), or at a
   * renamed path when a part is too long, taken by this run, or (without `overwrite`) already on disk.
   * Throws {@link UnwritableNameError} when this one name cannot be written.
   */
  async write(rel: string, bytes: Uint8Array, overwrite: boolean): Promise<Placement> {
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0') || p.includes('\\'))) {
      throw new InternalError(`unsanitised name "${rel}"`);
    }
    const notes: string[] = [];
    try {
      const folder = await this.placeFolder(parts.slice(0, -1), notes);
      const name = parts[parts.length - 1] as string;
      const short = shortenName(name);
      if (short !== name) notes.push(`name over ${NAME_MAX} bytes "${rel}" shortened to "${joinRel(folder, short)}"`);
      const path = await this.placeFile(folder, short, bytes, overwrite);
      const wanted = joinRel(folder, short);
      if (path !== wanted) notes.push(`"${wanted}" already taken, written as "${path}"`);
      return { path, notes };
    } catch (error) {
      if (isNameError(error)) throw new UnwritableNameError(`cannot write "${rel}": ${(error as Error).message}`);
      throw error;
    }
  }

  /** The folder for `parts`, created as needed; a part taken by a file or link gets a `-N` sibling. */
  private async placeFolder(parts: readonly string[], notes: string[]): Promise<string> {
    let requested = '';
    let actual = '';
    for (const part of parts) {
      requested = joinRel(requested, part);
      const known = this.folders.get(requested);
      if (known !== undefined) {
        actual = known;
        continue;
      }
      const short = shortenName(part, false);
      let found: string | null = null;
      let blocker = '';
      for (let n = 0; found === null; n++) {
        const candidate = joinRel(actual, suffixed(short, n, false));
        if (this.used.has(candidate)) {
          blocker = 'file';
          continue;
        }
        const abs = join(this.root, ...candidate.split('/'));
        let kind = await lstatKind(abs);
        if (kind === 'missing') {
          await mkdir(abs).catch((error: unknown) => {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          });
          kind = await lstatKind(abs);
        }
        if (kind === 'folder') found = candidate;
        else if (blocker === '') blocker = kind;
      }
      if (short !== part) notes.push(`folder name over ${NAME_MAX} bytes "${requested}" shortened to "${joinRel(actual, short)}"`);
      if (found !== joinRel(actual, short)) notes.push(`folder "${joinRel(actual, short)}" is a ${blocker} in the output folder, written as "${found}"`);
      this.folders.set(requested, found);
      actual = found;
    }
    return actual;
  }

  /** Writes to a temporary name in `folder`, then moves it to the first free candidate name. */
  private async placeFile(folder: string, name: string, bytes: Uint8Array, overwrite: boolean): Promise<string> {
    const dir = folder === '' ? this.root : join(this.root, ...folder.split('/'));
    const expected = folder === '' ? this.realRoot : join(this.realRoot, ...folder.split('/'));
    // A folder we checked may have been swapped for a link since: its real path would show it.
    if (await realpath(dir) !== expected) throw new UnwritableNameError(`folder "${folder}" now leads outside the output folder`);
    const temp = await this.writeTemp(dir, bytes);
    try {
      for (let n = 0; ; n++) {
        const candidate = joinRel(folder, suffixed(name, n, true));
        if (this.used.has(candidate)) continue;
        const target = join(this.root, ...candidate.split('/'));
        if (await this.moveInto(temp, target, overwrite)) {
          this.used.add(candidate);
          return candidate;
        }
      }
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Whether `temp` now also sits at `target`: rename replaces a file or a link itself (never its target); link never replaces. */
  private async moveInto(temp: string, target: string, overwrite: boolean): Promise<boolean> {
    if (overwrite) {
      const kind = await lstatKind(target);
      if (kind === 'folder' || kind === 'special file') return false;
      await rename(temp, target);
      return true;
    }
    try {
      await link(temp, target);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return false;
      if (!NO_LINK.has(code)) throw error;
    }
    if (await lstatKind(target) !== 'missing') return false;
    await rename(temp, target);
    return true;
  }

  private async writeTemp(dir: string, bytes: Uint8Array): Promise<string> {
    for (;;) {
      const temp = join(dir, `.img2tfrecord-tmp-${process.pid}-${this.temps++}`);
      let handle;
      try {
        handle = await open(temp, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      try {
        await handle.writeFile(bytes);
      } catch (error) {
        await handle.close();
        await rm(temp, { force: true });
        throw error;
      }
      await handle.close();
      return temp;
    }
  }
}
