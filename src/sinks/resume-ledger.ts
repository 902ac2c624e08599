/** The resume ledger of TFRecord shards: a sidecar beside each complete shard, and which shards a resumed run may keep. */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readRecordFile } from '../record/index.js';

/** A complete shard reused by a resumed run, with the meta recorded when it was completed. */
export interface KeptShard {
  readonly index: number;
  readonly records: number;
  readonly meta: unknown;
}

/** What is recorded beside a complete shard (`.<name>.json`) so a resumed run can trust it. */
export interface ShardSidecar {
  readonly fingerprint: string;
  readonly records: number;
  readonly bytes: number;
  readonly meta: unknown;
}

/** The files of one shard: its final name, its hidden complete file and its ledger sidecar. */
export interface ShardPaths {
  readonly final: string;
  readonly complete: string;
  readonly sidecar: string;
}

/**
 * The paths of shard file `name` in `dir`.
 *
 * @example
 * shardPaths('out', 'train-00000-of-00001.tfrecord').sidecar; // 'out/.train-00000-of-00001.tfrecord.json'
 */
export function shardPaths(dir: string, name: string): ShardPaths {
  return { final: join(dir, name), complete: join(dir, `.${name}.complete`), sidecar: join(dir, `.${name}.json`) };
}

/**
 * The complete shard at `paths` if its sidecar's fingerprint, size and record count match and its
 * CRCs verify (the hidden complete file or the final one), else null.
 *
 * @example
 * const kept = await findKeptShard(shardPaths('out', name), 0, fingerprint);
 */
export async function findKeptShard(paths: ShardPaths, index: number, fingerprint: string | undefined): Promise<KeptShard | null> {
  let sidecar: ShardSidecar;
  try {
    sidecar = JSON.parse(await readFile(paths.sidecar, 'utf8')) as ShardSidecar;
  } catch {
    return null;
  }
  if (sidecar.fingerprint !== fingerprint) return null;
  for (const file of [paths.complete, paths.final]) {
    const info = await stat(file).catch(() => null);
    if (info === null || info.size !== sidecar.bytes) continue;
    try {
      let records = 0;
      for await (const _ of readRecordFile(file)) records++;
      if (records === sidecar.records) return { index, records, meta: sidecar.meta };
    } catch {
      // A shard that does not verify is rewritten.
    }
  }
  return null;
}

/** Removes the temp files killed runs left for shard file `name` (`.<name>.tmp-*`), given the folder's `names`. */
export async function removeShardTemps(dir: string, names: readonly string[], name: string): Promise<void> {
  for (const stale of names.filter((n) => n.startsWith(`.${name}.tmp-`))) await rm(join(dir, stale), { force: true });
}

/** Forgets a shard in the ledger: its hidden complete file and its sidecar go. */
export async function dropLedgerEntry(paths: ShardPaths): Promise<void> {
  await rm(paths.complete, { force: true });
  await rm(paths.sidecar, { force: true });
}

/**
 * Records a complete shard in the ledger: its sidecar, written after the shard's bytes are synced.
 *
 * @example
 * await writeLedgerEntry(paths, { fingerprint, records: 10, bytes: 4096, meta: null });
 */
export async function writeLedgerEntry(paths: ShardPaths, sidecar: ShardSidecar): Promise<void> {
  await writeFile(paths.sidecar, `${JSON.stringify(sidecar)}\n`);
}

