/** Writes records into an LMDB database that Caffe can read, built in a temp folder and renamed when complete. */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
// node-lmdb, not lmdb-js: lmdb-js's prebuilt binaries write LMDB data format 2, which the LMDB 0.9
// that Caffe links rejects ("MDB_INVALID: File is not an LMDB file"); node-lmdb bundles LMDB
// 0.9.70 and writes format 1, the format of every Caffe database.
import type { Dbi, Env } from 'node-lmdb';
import { loadLmdb } from './lmdb-module.js';
import { InputError, OutputExistsError, OutputWriteError, invalidParameterError } from '../errors.js';
import { faultPoint, type RecordSink, type ShardInfo, type SinkRecord } from './sink.js';

/** Settings of {@link LmdbSink}. */
export interface LmdbSinkSettings {
  /** Final database folder, e.g. out/train_lmdb. */
  readonly dir: string;
  readonly overwrite: boolean;
  /** Records per transaction (Caffe's convert_imageset commits every 1000). */
  readonly commitEvery: number;
  /** Starting map size in bytes, estimated by the caller from the input; it doubles when full. */
  readonly initialMapSize: number;
}

/** LMDB 0.9's compiled-in maximum key size (MDB_MAXKEYSIZE): Caffe's readers have the same limit. */
const MAX_KEY_BYTES = 511;
/** LMDB wants the map size to be a multiple of the OS page size; 64 KiB covers every page size in use. */
const MAP_GRAIN = 64 * 1024;
/** MDB_MAP_FULL, as node-lmdb reports it in the error message. */
const MAP_FULL = /MDB_MAP_FULL|-30792/;

/**
 * Caffe's key: the output position as 8 digits, '_', then the relative path, so LMDB's sorted key
 * order is the conversion order.
 *
 * @example
 * caffeKey(12, 'cat/1.jpg'); // '00000012_cat/1.jpg'
 */
export function caffeKey(position: number, relPath: string): string {
  return `${String(position).padStart(8, '0')}_${relPath}`;
}

interface OpenEnv {
  readonly env: Env;
  readonly dbi: Dbi;
}

/**
 * A sink writing each record's payload (a Datum) under {@link caffeKey} into the unnamed database
 * of an LMDB environment, as Caffe's convert_imageset does. Skipped inputs leave no gap in the
 * numbering. Transactions commit every `commitEvery` records; when the map is full it is doubled
 * and the transaction retried (Caffe dies there instead).
 *
 * @example
 * const sink = new LmdbSink({ dir: 'out/train_lmdb', overwrite: false, commitEvery: 1000, initialMapSize: 2 ** 30 });
 * await sink.write({ payload: encodeDatum(datum), shard: 0, relPath: 'cat/1.jpg' });
 * const [info] = await sink.finish(); // { file: 'train_lmdb', records: 1, bytes: … }
 */
export class LmdbSink implements RecordSink {
  private readonly settings: LmdbSinkSettings;
  private readonly tempDir: string;
  private open: OpenEnv | null = null;
  private mapSize: number;
  private pending: { key: Buffer; value: Buffer }[] = [];
  private count = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  /** How many times the map had to grow (for tests and the curious). */
  growths = 0;

  constructor(settings: LmdbSinkSettings) {
    const { commitEvery, initialMapSize } = settings;
    if (!Number.isSafeInteger(commitEvery) || commitEvery < 1) throw invalidParameterError('commitEvery', 'integer of at least 1', commitEvery);
    if (!Number.isSafeInteger(initialMapSize) || initialMapSize < 1) {
      throw invalidParameterError('initialMapSize', 'positive integer (bytes)', initialMapSize);
    }
    this.settings = settings;
    this.mapSize = Math.ceil(initialMapSize / MAP_GRAIN) * MAP_GRAIN;
    this.tempDir = join(dirname(settings.dir), `.${basename(settings.dir)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  }

  /** Current map size in bytes (the caller's estimate, doubled once per growth). */
  get currentMapSize(): number {
    return this.mapSize;
  }

  private async openEnv(): Promise<OpenEnv> {
    if (this.open !== null) return this.open;
    // Checked before any work so a run fails fast; checked again at finish for a folder made meanwhile.
    if (!this.settings.overwrite && (await exists(this.settings.dir))) throw new OutputExistsError(this.settings.dir);
    await removeStaleTempDirs(this.settings.dir);
    await mkdir(this.tempDir, { recursive: true });
    const env = new (loadLmdb().Env)();
    // A folder holding data.mdb and lock.mdb, as Caffe's db_lmdb.cpp opens it.
    env.open({ path: this.tempDir, mapSize: this.mapSize, maxDbs: 1 });
    const dbi = env.openDbi({ name: null, create: true, keyIsBuffer: true });
    this.open = { env, dbi };
    return this.open;
  }

  async write(record: SinkRecord): Promise<void> {
    if (this.state !== 'open') throw new Error(`LmdbSink.write after ${this.state}`);
    await this.openEnv();
    const key = Buffer.from(caffeKey(this.count, record.relPath), 'utf8');
    if (key.length > MAX_KEY_BYTES) {
      throw new InputError(`LMDB keys hold at most ${MAX_KEY_BYTES} bytes, and the key of this file is ${key.length}: shorten its path`, {
        path: record.relPath,
      });
    }
    // A Datum arrives whole; parts (if ever) are joined, since LMDB takes one value.
    const payload = record.payload instanceof Uint8Array ? record.payload : Buffer.concat(record.payload);
    this.pending.push({ key, value: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) });
    this.count++;
    if (this.pending.length >= this.settings.commitEvery) this.commit();
  }

  /** Writes the pending records in one transaction, doubling the map and retrying while it is full. */
  private commit(): void {
    const { env, dbi } = this.open as OpenEnv;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    for (;;) {
      const txn = env.beginTxn();
      try {
        for (const { key, value } of batch) txn.putBinary(dbi, key, value, { keyIsBuffer: true });
        txn.commit();
        faultPoint('commit');
        return;
      } catch (error) {
        // A failed put leaves the transaction open; a failed commit has already freed it.
        try {
          txn.abort();
        } catch {
          // already closed by the failed commit
        }
        if (!MAP_FULL.test(String((error as Error).message))) throw toLmdbWriteError(error, this.settings.dir);
        // Nothing of this batch was kept, so the same batch is retried whole under the bigger map.
        this.mapSize *= 2;
        this.growths++;
        env.resize(this.mapSize);
      }
    }
  }

  async completeShard(): Promise<void> {
    // One database per split: commits already happen every commitEvery records.
  }

  async finish(): Promise<readonly ShardInfo[]> {
    if (this.state !== 'open') throw new Error(`LmdbSink.finish after ${this.state}`);
    const { env, dbi } = await this.openEnv();
    this.commit();
    dbi.close();
    env.close();
    this.open = null;
    this.state = 'finished';
    const { dir, overwrite } = this.settings;
    if (await exists(dir)) {
      if (!overwrite) {
        await rm(this.tempDir, { recursive: true, force: true });
        throw new OutputExistsError(dir);
      }
      await rm(dir, { recursive: true, force: true });
    }
    await rename(this.tempDir, dir);
    const bytes = (await stat(join(dir, 'data.mdb'))).size;
    return [{ file: basename(dir), records: this.count, bytes }];
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.pending = [];
    const open = this.open;
    this.open = null;
    if (open !== null) {
      try {
        open.dbi.close();
        open.env.close();
      } catch {
        // closing is best effort: the folder goes either way
      }
    }
    await rm(this.tempDir, { recursive: true, force: true });
  }
}

/**
 * Removes the temp folders of runs that were killed (SIGKILL, power loss) before they could clean
 * up: `.<name>.tmp-<pid>-<time>` whose process no longer runs on this machine. A live run's folder
 * is left alone.
 */
async function removeStaleTempDirs(dir: string): Promise<void> {
  const pattern = new RegExp(`^\\.${basename(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-[0-9a-z]+$`);
  const names = await readdir(dirname(dir)).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) await rm(join(dirname(dir), name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * LMDB reports a full disk as an errno message (`No space left on device`, or `Input/output
 * error` when the write-back of a mapped page fails): one line naming the folder instead.
 */
function toLmdbWriteError(error: unknown, dir: string): unknown {
  const message = String((error as Error | undefined)?.message ?? '');
  if (/No space left|ENOSPC|MDB_DISK_FULL/i.test(message)) return new OutputWriteError(dir, 'disk full', { cause: error });
  if (/Input\/output error|EIO\b/i.test(message)) return new OutputWriteError(dir, 'input/output error (is the disk full?)', { cause: error });
  if (/Read-only file system|EROFS/i.test(message)) return new OutputWriteError(dir, 'read-only file system', { cause: error });
  return error;
}
