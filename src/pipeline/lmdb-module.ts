/** Loads node-lmdb on first use: its native binding is start-up time that a TFRecord run never needs. */
import { createRequire } from 'node:module';
import type NodeLmdb from 'node-lmdb';

let loaded: typeof NodeLmdb | null = null;

/**
 * The node-lmdb module, required on the first call.
 *
 * @example
 * const env = new (loadLmdb().Env)();
 */
export function loadLmdb(): typeof NodeLmdb {
  loaded ??= createRequire(import.meta.url)('node-lmdb') as typeof NodeLmdb;
  return loaded;
}
