/** Lists a folder tree the way fast-glob's `**\/*` with `dot: false` does, without loading a glob engine. */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** One listed entry: its path relative to the root with `/` separators, and its directory entry. */
export interface ListedEntry {
  readonly path: string;
  /** What a type test needs (fast-glob's own entries have the same). */
  readonly dirent: Pick<Dirent, 'name' | 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>;
}

/**
 * Yields every entry under `root` whose path has no segment starting with `.`, walking into
 * folders but not into symbolic links; folders themselves are not yielded. One batch per folder:
 * an await per entry cost ~5-10 ms more per 5,000 files, cold. The order is the file system's:
 * callers sort. A folder that disappears during the walk is skipped (fast-glob does the same);
 * any other listing error is thrown as the file system gave it.
 *
 * fast-glob costs ~75 CommonJS modules to load (~35 ms CPU here) and a regular expression match,
 * a duplicate check and a stream push per entry; the plain walk of the default pattern needs none.
 *
 * @example
 * for await (const batch of walkTree('photos')) for (const { path, dirent } of batch) console.log(path, dirent.isFile());
 */
export async function* walkTree(root: string): AsyncGenerator<readonly ListedEntry[]> {
  // Absolute, so a listing error names the folder as discovery always did (EACCES, scandir '/abs/dir').
  const base = resolve(root);
  const waiting: string[] = [''];
  const listing: Promise<Listing>[] = [];
  // A few folders are listed ahead, on libuv's threads, while the caller stats the entries of
  // this one. With a warm cache it changes little (measured); fast-glob listed every known folder at
  // once, and one at a time would make a cold disk or a network file system wait per folder.
  const listAhead = (): void => {
    while (listing.length < LIST_AHEAD && waiting.length > 0) listing.push(listFolder(base, waiting.pop() as string));
  };
  listAhead();
  for (let next = listing.shift(); next !== undefined; next = listing.shift()) {
    const { folder, dirents, error } = await next;
    if (error !== undefined) {
      if (folder !== '' && error.code === 'ENOENT') continue;
      throw error;
    }
    const entries: ListedEntry[] = [];
    for (const dirent of dirents) {
      if (dirent.name.startsWith('.')) continue;
      const path = folder === '' ? dirent.name : `${folder}/${dirent.name}`;
      if (dirent.isDirectory()) waiting.push(path);
      else entries.push({ path, dirent });
    }
    listAhead();
    if (entries.length > 0) yield entries;
  }
}

/** Folders listed at once: enough to hide the thread hand-off, few enough to bound memory. */
const LIST_AHEAD = 4;

/** One folder's listing, or its error: never a rejected promise, which could go unhandled while it waits its turn. */
interface Listing {
  readonly folder: string;
  readonly dirents: readonly Dirent[];
  readonly error?: NodeJS.ErrnoException;
}

function listFolder(root: string, folder: string): Promise<Listing> {
  return readdir(folder === '' ? root : join(root, folder), { withFileTypes: true }).then(
    (dirents) => ({ folder, dirents }),
    (error: NodeJS.ErrnoException) => ({ folder, dirents: [], error }),
  );
}
