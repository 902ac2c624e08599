/** Finds the input files under a folder, in a sorted order that never depends on the file system. */
import { readdir as readdirCallback, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import type { Entry as GlobEntry } from 'fast-glob';
import { InputError } from '../errors.js';
import { identifyUnsupported, sniffFormat } from '../image/index.js';
import { compareCodeUnits } from '../runtime/compare.js';
import { walkTree, type ListedEntry } from './walk.js';

/** Extensions taken as images without looking at the bytes (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze([
  'jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'tif', 'tiff', 'svg', 'avif', 'heic', 'heif',
  'ppm', 'pgm', 'pbm', 'pnm', 'pfm', 'pam',
]);
const IMAGE_EXTENSION_SET = new Set(IMAGE_EXTENSIONS);

/** One file found under the input folder (read from `join(input, relPath)`: no path string is kept per file). */
export interface DiscoveredFile {
  /** Path relative to the input folder with `/` separators: the record's `image/filename`. */
  readonly relPath: string;
  /** The top-level folder the file sits under (its class), or null for a file at the root. */
  readonly topDir: string | null;
  /** Bytes on disk, as listed (plans shard sizes before any file is read). */
  readonly size: number;
}

/** What discovery found, split into candidate images and files that are not inputs. */
export interface Discovery {
  readonly images: readonly DiscoveredFile[];
  /** Non-image files, symbolic links that were not followed and second paths to one file, sorted. */
  readonly ignored: readonly { readonly relPath: string; readonly reason: string }[];
  /** Entries that can never be read as an image: `not-a-regular-file`, `broken-link`. */
  readonly problems: readonly DiscoveryProblem[];
}

/** An entry of the input tree that is reported, not read. */
export interface DiscoveryProblem {
  readonly relPath: string;
  readonly problem: 'not-a-regular-file' | 'broken-link';
  readonly reason: string;
}

/** What {@link discoverFiles} needs to know. */
export interface DiscoverSettings {
  readonly input: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly followSymlinks: boolean;
}

/**
 * Lists the images under `settings.input`, sorted by relative path (UTF-16 code unit order).
 *
 * Dotfiles and dot-folders are skipped silently. A file whose extension is not an image
 * extension is still an input when its bytes are an image (so a `.jp2` or an extension-less JPEG
 * is reported or converted rather than lost); otherwise it is listed as ignored.
 *
 * @example
 * const { images, ignored } = await discoverFiles({ input: 'photos', include: [], exclude: [], followSymlinks: false });
 */
export async function discoverFiles(settings: DiscoverSettings): Promise<Discovery> {
  let info;
  try {
    info = await stat(settings.input);
  } catch (error) {
    throw new InputError(`${settings.input}: input folder not found`, { path: settings.input });
  }
  if (!info.isDirectory()) throw new InputError(`${settings.input}: input is not a folder`, { path: settings.input });

  const entries: Entry[] = [];
  const problems: DiscoveryProblem[] = [];
  for await (const batch of listEntries(settings)) {
    for (const entry of batch) {
      const classified = classifyEntry(entry, settings);
      if (classified === null) continue;
      if ('problem' in classified) problems.push(classified);
      else entries.push(classified);
    }
  }
  // Sort on paths only, by code units, so the order is the same on every machine and locale.
  entries.sort((a, b) => compareCodeUnits(a.relPath, b.relPath));
  problems.sort((a, b) => compareCodeUnits(a.relPath, b.relPath));

  const images: DiscoveredFile[] = [];
  const ignored: { relPath: string; reason: string }[] = [];
  const topDirs = new Map<string, string>();
  // Followed links can reach one file by several paths: its own path (no link on the way) is its
  // input, else the first in sorted order.
  const firstPathOf = new Map<string, string>();
  if (settings.followSymlinks) {
    const realInput = realpathSync(settings.input);
    for (const { relPath, identity } of entries) {
      if (identity !== null && !firstPathOf.has(identity) && realOrNull(join(settings.input, relPath)) === join(realInput, relPath)) firstPathOf.set(identity, relPath);
    }
  }
  for (const { relPath, symlink, size, identity } of entries) {
    if (symlink) {
      ignored.push({ relPath, reason: 'symbolic link (pass --follow-symlinks to follow)' });
      continue;
    }
    const first = identity === null ? undefined : firstPathOf.get(identity);
    if (first !== undefined && first !== relPath) {
      ignored.push({ relPath, reason: `same file as ${first} (reached through a symbolic link)` });
      continue;
    }
    if (identity !== null) firstPathOf.set(identity, relPath);
    const ext = extname(relPath).slice(1).toLowerCase();
    if (!IMAGE_EXTENSION_SET.has(ext) && !(await looksLikeImage(join(settings.input, relPath), relPath))) {
      ignored.push({ relPath, reason: ext === '' ? 'not an image (no extension)' : `not an image (.${ext})` });
      continue;
    }
    const slash = relPath.indexOf('/');
    const top = slash === -1 ? null : relPath.slice(0, slash);
    // One string per class folder, not one per file.
    if (top !== null && !topDirs.has(top)) topDirs.set(top, top);
    images.push({ relPath, topDir: top === null ? null : (topDirs.get(top) as string), size });
  }
  return { images, ignored, problems };
}

/**
 * The entries under the input folder. The default walk (no --include, --exclude or
 * --follow-symlinks) is a plain folder walk; patterns and followed links load fast-glob, on first use.
 */
async function* listEntries(settings: DiscoverSettings): AsyncGenerator<readonly ListedEntry[]> {
  if (settings.include.length === 0 && settings.exclude.length === 0 && !settings.followSymlinks) {
    yield* walkTree(settings.input);
    return;
  }
  const { default: fg } = await import('fast-glob');
  const patterns = settings.include.length > 0 ? [...settings.include] : ['**/*'];
  const stream = fg.stream(patterns, {
    cwd: settings.input,
    dot: false,
    onlyFiles: false,
    followSymbolicLinks: settings.followSymlinks,
    ignore: [...settings.exclude],
    objectMode: true,
    suppressErrors: false,
    fs: { readdir: loopSafeReaddir(settings.input) as unknown as typeof readdirCallback },
  });
  for await (const entry of stream as AsyncIterable<GlobEntry>) yield [entry];
}

/** A listed entry that may be an input; `identity` (dev:ino) only when links are followed. */
interface Entry {
  readonly relPath: string;
  readonly symlink: boolean;
  readonly size: number;
  readonly identity: string | null;
}

/**
 * Sorts one listed entry by its type, from the listing and stat only: nothing is opened here, as
 * opening a FIFO waits for a writer and reading a device such as /dev/zero never ends.
 * Null for a folder (fast-glob walks it itself).
 */
function classifyEntry(entry: ListedEntry, settings: DiscoverSettings): Entry | DiscoveryProblem | null {
  const dirent = entry.dirent;
  if (dirent.isDirectory()) return null;
  const relPath = compactString(entry.path);
  const symlink = dirent.isSymbolicLink();
  if (symlink && !settings.followSymlinks) return { relPath, symlink: true, size: 0, identity: null };
  if (!symlink && !dirent.isFile()) return notRegular(relPath, describeType(dirent));
  // Sizes plan the shards. One stat here, not fast-glob's `stats: true`: its walker outruns the
  // consumer and kept a Stats object per queued entry (~2 KB of heap per file at the peak).
  let target: Stats;
  try {
    target = statSync(join(settings.input, entry.path));
  } catch (error) {
    // An unreadable file keeps size 0 and is reported, with its name, when it is read.
    if (!symlink) return { relPath, symlink: false, size: 0, identity: null };
    const loop = (error as NodeJS.ErrnoException).code === 'ELOOP';
    return {
      relPath,
      problem: 'broken-link',
      reason: `${relPath}: ${loop ? 'symbolic link loop' : 'broken symbolic link (its target does not exist)'}`,
    };
  }
  // A followed link to a folder is walked by fast-glob itself; only links to files are inputs here.
  if (target.isDirectory()) return null;
  if (!target.isFile()) return notRegular(relPath, describeType(target));
  const identity = settings.followSymlinks ? `${target.dev}:${target.ino}` : null;
  return { relPath, symlink: false, size: target.size, identity };
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function notRegular(relPath: string, type: string): DiscoveryProblem {
  return { relPath, problem: 'not-a-regular-file', reason: `${relPath}: not a regular file (${type}); not read` };
}

function describeType(info: Pick<Stats, 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a file or folder';
}

/**
 * A readdir for fast-glob that lists a folder as empty when it is one of its own ancestors (a
 * followed link such as `a/loop -> ..`), so a loop is walked once rather than until ELOOP. The
 * test is on ancestors only, so which path is walked never depends on the order of the walk.
 */
function loopSafeReaddir(root: string): (path: string, options: unknown, callback: (error: Error | null, entries?: Dirent[]) => void) => void {
  const chains = new Map<string, readonly string[]>();
  const rootPath = resolve(root);
  return (path, options, callback) => {
    const full = resolve(path);
    let identity: string;
    try {
      const info = statSync(full);
      identity = `${info.dev}:${info.ino}`;
    } catch (error) {
      callback(error as Error);
      return;
    }
    const parent = full === rootPath ? undefined : chains.get(dirname(full));
    if (parent?.includes(identity) === true) {
      callback(null, []);
      return;
    }
    chains.set(full, [...(parent ?? []), identity]);
    readdirCallback(full, options as { withFileTypes: true }, callback);
  };
}

/**
 * A flat copy of `text`. Paths come out of fast-glob and path.join as ropes of their segments
 * (about 400 bytes of heap per file in all, measured); the list of every input is held for the
 * whole run, so each path is kept as one plain string instead (~70 bytes).
 */
function compactString(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** Whether the first bytes are an image: one we convert, or one we name as unsupported (a TGA, an ICO, ...). */
async function looksLikeImage(path: string, name: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const bytes = head.subarray(0, bytesRead);
    return sniffFormat(bytes) !== null || identifyUnsupported(bytes, name) !== null;
  } catch {
    // Unreadable: treat as an input so the error is reported with the file's name.
    return true;
  } finally {
    await handle?.close();
  }
}
