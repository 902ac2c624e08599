/** Fails a run fast when its output folder already holds what it would write. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IncompleteRunError, OutputExistsError } from '../errors.js';
import { shardNamePattern } from './shard-names.js';

/**
 * Throws {@link OutputExistsError} when `dir` already holds output of `prefix` (or one of
 * `extraNames`) and `overwrite` is false. Called before any work so a run fails fast.
 *
 * @example
 * await checkOutputFree('out', 'train', ['dataset.json', 'labels.txt'], false);
 */
export async function checkOutputFree(
  dir: string, prefix: string, extraNames: readonly string[], overwrite: boolean, pattern: RegExp = shardNamePattern(prefix),
): Promise<void> {
  if (overwrite) return;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  // Resume sidecars of complete shards: a run was killed before its summary was published.
  const complete = names.filter((name) => name.startsWith('.') && name.endsWith('.json') && pattern.test(name.slice(1, -'.json'.length)));
  if (complete.length > 0) throw new IncompleteRunError(dir, prefix, complete.length);
  const clash = names.sort().find((name) => pattern.test(name) || extraNames.includes(name));
  if (clash !== undefined) throw new OutputExistsError(join(dir, clash));
}
