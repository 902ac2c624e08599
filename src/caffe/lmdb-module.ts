/** Loads the optional node-lmdb binding on first use, and says in one line how to get it when it is missing or broken. */
import { createRequire } from 'node:module';
import { MissingDependencyError } from '../errors.js';

// The part of node-lmdb's API this project uses, declared here rather than imported from the
// package: node-lmdb is an optionalDependency, and an install without it must still type-check
// (npm test runs tsc) and ship declarations that do not name it.

/** An LMDB environment (a folder holding data.mdb and lock.mdb). */
export interface LmdbEnv {
  open(options: { path: string; mapSize?: number; maxDbs?: number; readOnly?: boolean }): void;
  openDbi(options: { name: null; create?: boolean; keyIsBuffer: true }): LmdbDbi;
  beginTxn(options?: { readOnly?: boolean }): LmdbTxn;
  /** The environment's geometry; `lastPageNumber` is the highest page in use. */
  info(): { mapSize: number; lastPageNumber: number };
  stat(): { pageSize: number };
  resize(size: number): void;
  close(): void;
}

/** One database of an environment. */
export interface LmdbDbi {
  close(): void;
}

/** A transaction: writes stay in LMDB's own (native) dirty pages until commit. */
export interface LmdbTxn {
  putBinary(dbi: LmdbDbi, key: Buffer, value: Buffer, options: { keyIsBuffer: true }): void;
  commit(): void;
  abort(): void;
}

/** A cursor over a database in key order. */
export interface LmdbCursor {
  goToFirst(): Buffer | null;
  goToNext(): Buffer | null;
  /** The current value; valid only until the cursor moves. */
  getCurrentBinary(): Buffer | null;
  close(): void;
}

/** The node-lmdb module, as far as this project uses it. */
export interface LmdbBinding {
  readonly Env: new () => LmdbEnv;
  readonly Cursor: new (txn: LmdbTxn, dbi: LmdbDbi, options: { keyIsBuffer: true }) => LmdbCursor;
}

/** How to get a working binding: it compiles on install where its prebuilt binary (glibc 2.38+) does not load. */
export const LMDB_FIX = 'fix: npm install node-lmdb (it builds from source, which needs a C++ compiler, make and python3)';

let loaded: LmdbBinding | null = null;

/**
 * The node-lmdb module, required on the first call (a TFRecord run never pays for the native
 * binding, and works without it). Missing or unloadable (e.g. `GLIBC_2.38 not found` when its
 * build script was skipped), it throws MissingDependencyError whose one-line message gives the fix.
 *
 * @example
 * const env = new (loadLmdb().Env)();
 */
export function loadLmdb(): LmdbBinding {
  if (loaded !== null) return loaded;
  const require = createRequire(import.meta.url);
  // Test hook: lets the test suite see the message of an install without node-lmdb.
  const name = process.env.IMG2TFRECORD_LMDB_MODULE ?? 'node-lmdb';
  try {
    loaded = require(name) as LmdbBinding;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const missing = err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${name}'`);
    const reason = missing
      ? 'is not installed (it is an optional dependency)'
      : `is installed but does not load (${firstLine(err.message)})`;
    throw new MissingDependencyError(`--target caffe-lmdb and reading LMDB need node-lmdb, which ${reason}; ${LMDB_FIX}`, { cause: error });
  }
  return loaded;
}

function firstLine(message: unknown): string {
  const line = String(message).split('\n')[0] ?? '';
  // The loader names the absolute path of the .node file: the library and symbol are what matter.
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
