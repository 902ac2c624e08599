/** Test helpers for the Caffe LMDB tests: one cursor reader, and the skip reason when node-lmdb is not installed. */
import { loadLmdb } from '../../src/caffe/lmdb-module.js';

/**
 * False when node-lmdb loads, else why the LMDB tests skip: node-lmdb is an optionalDependency,
 * and CI also runs the suite after `npm ci --omit=optional`.
 */
export function lmdbSkipReason(): string | false {
  try {
    loadLmdb();
    return false;
  } catch (error) {
    return `node-lmdb (optional dependency) unavailable: ${(error as Error).message}`;
  }
}

/** Every key and value of the unnamed database, in LMDB's key order, read with the binding itself. */
export function readDb(dir: string): { key: string; value: Buffer }[] {
  const lmdb = loadLmdb();
  const env = new lmdb.Env();
  env.open({ path: dir, readOnly: true });
  const dbi = env.openDbi({ name: null, keyIsBuffer: true });
  const txn = env.beginTxn({ readOnly: true });
  const cursor = new lmdb.Cursor(txn, dbi, { keyIsBuffer: true });
  const rows: { key: string; value: Buffer }[] = [];
  for (let key = cursor.goToFirst(); key !== null; key = cursor.goToNext()) {
    // A copy: the cursor's buffer is only valid until the next move.
    rows.push({ key: key.toString('utf8'), value: Buffer.from(cursor.getCurrentBinary() as Buffer) });
  }
  cursor.close();
  txn.abort();
  dbi.close();
  env.close();
  return rows;
}
