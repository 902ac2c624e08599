/** Expands the file arguments of the read commands (files, globs, folders) into a sorted list of record files. */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import fg from 'fast-glob';
import { InputError } from '../errors.js';
import { detectCompression, HEADER_BYTES } from '../record/index.js';

/** Sidecar files that sit next to shards but are not records. */
const NOT_RECORDS = /\.(?:idx|json|txt|md|pbtxt|binaryproto|tmp-[^/]*)$|(?:^|\/)\./;

/**
 * Resolves each argument: an existing file is taken as is; a folder contributes every file in it
 * (recursively, except dotfiles and sidecars such as `.idx`, `dataset.json`, `labels.txt`); anything
 * else is a glob. Duplicates are removed; order is sorted within each argument.
 *
 * @example
 * await expandRecordFiles(['out/', 'more/*.tfrecord.gz']);
 */
export async function expandRecordFiles(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    if (!seen.has(file)) {
      seen.add(file);
      out.push(file);
    }
  };
  for (const arg of args) {
    const info = await stat(arg).catch(() => null);
    if (info?.isFile() === true) {
      add(arg);
      continue;
    }
    if (info?.isDirectory() === true) {
      // An LMDB environment is one input, read by the LMDB reader, not a folder of record files.
      if (await isLmdbDir(arg)) {
        add(arg);
        continue;
      }
      const found = await fg('**/*', { cwd: arg, dot: false, onlyFiles: true });
      const files: string[] = [];
      // In a folder, only files whose first bytes are a TFRecord frame or a GZIP/ZLIB stream count;
      // images and other files beside the shards are left alone. LMDB folders inside (a caffe-lmdb
      // output's train_lmdb, validation_lmdb) count as one input each.
      for (const f of found.filter((name) => !NOT_RECORDS.test(name) && !name.endsWith('.mdb')).sort()) {
        if (await looksLikeRecords(join(arg, f))) files.push(f);
      }
      for (const f of found.filter((name) => /(?:^|\/)data\.mdb$/.test(name))) {
        const db = f.slice(0, -'/data.mdb'.length);
        if (db !== '' && !NOT_RECORDS.test(db)) files.push(db);
      }
      files.sort();
      if (files.length === 0) throw new InputError(`${arg}: folder holds no record files`, { path: arg });
      for (const f of files) add(join(arg, f));
      continue;
    }
    const matches = (await fg(arg, { dot: false, onlyFiles: true })).sort();
    if (matches.length === 0) throw new InputError(`${arg}: no such file, folder or glob match`, { path: arg });
    for (const m of matches) add(m);
  }
  return out;
}

async function looksLikeRecords(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEADER_BYTES, 0);
    return bytesRead > 0 && detectCompression(head.subarray(0, bytesRead)) !== 'unknown';
  } finally {
    await handle.close();
  }
}

/**
 * An LMDB environment directory holds data.mdb.
 *
 * @example
 * await isLmdbDir('db/train_lmdb'); // true
 */
export async function isLmdbDir(path: string): Promise<boolean> {
  return stat(join(path, 'data.mdb')).then((s) => s.isFile(), () => false);
}
