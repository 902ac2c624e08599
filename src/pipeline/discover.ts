/** Finds the input files under a folder, in a sorted order that never depends on the file system. */
import { statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import fg from 'fast-glob';
import { InputError } from '../errors.js';
import { identifyUnsupported, sniffFormat } from '../image/index.js';

/** Extensions taken as images without looking at the bytes (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze([
  'jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'tif', 'tiff', 'svg', 'avif', 'heic', 'heif',
  'ppm', 'pgm', 'pbm', 'pnm', 'pfm', 'pam',
]);
const IMAGE_EXTENSION_SET = new Set(IMAGE_EXTENSIONS);

/** One file found under the input folder. */
export interface DiscoveredFile {
  /** Absolute (or input-joined) path to read from. */
  readonly path: string;
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
  /** Non-image files and symbolic links that were not followed, sorted. */
  readonly ignored: readonly { readonly relPath: string; readonly reason: string }[];
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

  const patterns = settings.include.length > 0 ? [...settings.include] : ['**/*'];
  const stream = fg.stream(patterns, {
    cwd: settings.input,
    dot: false,
    onlyFiles: false,
    followSymbolicLinks: settings.followSymlinks,
    ignore: [...settings.exclude],
    objectMode: true,
    suppressErrors: false,
  });
  const entries: { relPath: string; symlink: boolean; size: number }[] = [];
  for await (const entry of stream as AsyncIterable<fg.Entry>) {
    const dirent = entry.dirent;
    if (dirent.isDirectory()) continue;
    const symlink = dirent.isSymbolicLink();
    let size = 0;
    if (!symlink || settings.followSymlinks) {
      // Sizes plan the shards. One stat here, not fast-glob's `stats: true`: its walker outruns the
      // consumer and kept a Stats object per queued entry (~2 KB of heap per file at the peak).
      const target = statOrNull(join(settings.input, entry.path));
      // A followed link to a folder is walked by fast-glob itself; only links to files are inputs here.
      if (target?.isDirectory() === true || (symlink && target === null)) continue;
      // An unreadable file keeps size 0 and is reported, with its name, when it is read.
      size = target?.size ?? 0;
    }
    entries.push({ relPath: compactString(entry.path), symlink: symlink && !settings.followSymlinks, size });
  }
  // Sort on paths only, by code units, so the order is the same on every machine and locale.
  entries.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));

  const images: DiscoveredFile[] = [];
  const ignored: { relPath: string; reason: string }[] = [];
  const topDirs = new Map<string, string>();
  for (const { relPath, symlink, size } of entries) {
    const path = compactString(join(settings.input, relPath));
    if (symlink) {
      ignored.push({ relPath, reason: 'symbolic link (pass --follow-symlinks to follow)' });
      continue;
    }
    const ext = extname(relPath).slice(1).toLowerCase();
    if (!IMAGE_EXTENSION_SET.has(ext) && !(await looksLikeImage(path, relPath))) {
      ignored.push({ relPath, reason: ext === '' ? 'not an image (no extension)' : `not an image (.${ext})` });
      continue;
    }
    const slash = relPath.indexOf('/');
    const top = slash === -1 ? null : relPath.slice(0, slash);
    // One string per class folder, not one per file.
    if (top !== null && !topDirs.has(top)) topDirs.set(top, top);
    images.push({ path, relPath, topDir: top === null ? null : (topDirs.get(top) as string), size });
  }
  return { images, ignored };
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
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
