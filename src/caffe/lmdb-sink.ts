/** Writes records into an LMDB database that Caffe can read, built in a temp folder and renamed when complete. */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
// node-lmdb, not lmdb-js: lmdb-js's prebuilt binaries write LMDB data format 2, which the LMDB 0.9
// that Caffe links rejects ("MDB_INVALID: File is not an LMDB file"); node-lmdb bundles LMDB
// 0.9.70 and writes format 1, the format of every Caffe database.
import { loadLmdb, type LmdbDbi, type LmdbEnv, type LmdbTxn } from './lmdb-module.js';
import { InputError, InternalError, invalidParameterError, OutputExistsError, OutputWriteError } from '../errors.js';
import { isProcessAlive } from '../runtime/publish.js';
import { faultPoint } from '../runtime/faults.js';
import { type RecordSink, type ShardInfo, type SinkRecord } from '../sinks/sink.js';

/** Settings of {@link LmdbSink}. */
export interface LmdbSinkSettings {
  /** Final database folder, e.g. out/train_lmdb. */
  readonly dir: string;
  readonly overwrite: boolean;
  /** Records per transaction (Caffe's convert_imageset commits every 1000). */
  readonly commitEvery: number;
  /**
   * Datum bytes per transaction: a transaction also commits once it holds this many, since LMDB
   * keeps a transaction's pages in memory until it commits (default {@link DEFAULT_COMMIT_BYTES}).
   */
  readonly commitBytes?: number;
  /** Starting map size in bytes, estimated by the caller from the input; it doubles when full. */
  readonly initialMapSize: number;
}

/** Default datum bytes per LMDB transaction: 64 MiB, a few hundred raw 224x224 images. */
export const DEFAULT_COMMIT_BYTES = 64 * 2 ** 20;

/** LMDB 0.9's compiled-in maximum key size (MDB_MAXKEYSIZE): Caffe's readers have the same limit. */
const MAX_KEY_BYTES = 511;
/** LMDB wants the map size to be a multiple of the OS page size; 64 KiB covers every page size in use. */
const MAP_GRAIN = 64 * 1024;
/** MDB_MAP_FULL, as node-lmdb reports it in the error message. */
const MAP_FULL = /MDB_MAP_FULL|-30792/;
/** Room kept for a transaction's own bookkeeping: copied branch pages, the free-page list. */
const TXN_OVERHEAD = 256 * 4096;

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
  readonly env: LmdbEnv;
  readonly dbi: LmdbDbi;
  readonly pageSize: number;
}

/** The transaction being filled, and how much of the map it may take. */
interface OpenTxn {
  readonly txn: LmdbTxn;
  records: number;
  bytes: number;
  /** Upper bound of the pages this transaction allocates, in bytes (see {@link estimatePut}). */
  room: number;
}

/**
 * An upper bound of the map bytes one put takes: a value larger than half a page goes to
 * overflow pages (rounded up to whole pages), smaller ones into leaf pages that splits leave as
 * little as half full; key, node header and the page-rounding slack are counted twice to cover both.
 */
function estimatePut(keyBytes: number, valueBytes: number, pageSize: number): number {
  return 2 * (valueBytes + keyBytes + 64) + 2 * pageSize;
}

/**
 * A sink writing each record's payload (a Datum) under {@link caffeKey} into the unnamed database
 * of an LMDB environment, as Caffe's convert_imageset does. Skipped inputs leave no gap in the
 * numbering. Each record goes into the open transaction as it arrives (LMDB copies it into its
 * pages), so no datum is held here; a transaction commits after `commitEvery` records or
 * `commitBytes` bytes, whichever comes first, which bounds the memory LMDB holds for it. Before a
 * put could overflow the map, the transaction is committed and the map doubled (Caffe dies there).
 *
 * @example
 * const sink = new LmdbSink({ dir: 'out/train_lmdb', overwrite: false, commitEvery: 1000, commitBytes: 64 * 2 ** 20, initialMapSize: 2 ** 30 });
 * await sink.write({ payload: encodeDatum(datum), shard: 0, relPath: 'cat/1.jpg' });
 * const [info] = await sink.finish(); // { file: 'train_lmdb', records: 1, bytes: … }
 */
export class LmdbSink implements RecordSink {
  private readonly settings: Required<LmdbSinkSettings>;
  private readonly tempDir: string;
  private open: OpenEnv | null = null;
  private txn: OpenTxn | null = null;
  private mapSize: number;
  /** Bytes of the map in use after the last commit (pages up to the last one written). */
  private used = 0;
  private count = 0;
  private state: 'open' | 'finished' | 'aborted' = 'open';
  /** How many times the map size doubled (for tests and the curious). */
  growths = 0;
  /** How many transactions were committed (for tests and the curious). */
  commits = 0;

  constructor(settings: LmdbSinkSettings) {
    const { commitEvery, commitBytes = DEFAULT_COMMIT_BYTES, initialMapSize } = settings;
    if (!Number.isSafeInteger(commitEvery) || commitEvery < 1) throw invalidParameterError('commitEvery', 'integer of at least 1', commitEvery);
    if (!Number.isSafeInteger(commitBytes) || commitBytes < 1) throw invalidParameterError('commitBytes', 'positive integer (bytes)', commitBytes);
    if (!Number.isSafeInteger(initialMapSize) || initialMapSize < 1) {
      throw invalidParameterError('initialMapSize', 'positive integer (bytes)', initialMapSize);
    }
    // Loaded now, so a missing binding stops a run before any work rather than at its first record.
    loadLmdb();
    this.settings = { ...settings, commitBytes };
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
    this.open = { env, dbi, pageSize: env.stat().pageSize };
    this.measureUsed();
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
    this.put(key, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    this.count++;
    const txn = this.txn as OpenTxn;
    if (txn.records >= this.settings.commitEvery || txn.bytes >= this.settings.commitBytes) this.commit();
  }

  /** Puts one record into the open transaction, first making room in the map if it might not fit. */
  private put(key: Buffer, value: Buffer): void {
    const { env, dbi, pageSize } = this.open as OpenEnv;
    const need = estimatePut(key.length, value.length, pageSize);
    if (this.used + (this.txn?.room ?? TXN_OVERHEAD) + need > this.mapSize) {
      // The map only grows between transactions (mdb_env_set_mapsize needs none open).
      this.commit();
      let doublings = 0;
      while (this.used + TXN_OVERHEAD + need > this.mapSize * 2 ** doublings) doublings++;
      if (doublings > 0) this.growMap(doublings);
    }
    this.txn ??= { txn: env.beginTxn(), records: 0, bytes: 0, room: TXN_OVERHEAD };
    try {
      this.txn.txn.putBinary(dbi, key, value, { keyIsBuffer: true });
    } catch (error) {
      throw this.failTxn(error);
    }
    this.txn.records++;
    this.txn.bytes += value.length;
    this.txn.room += need;
  }

  /** Commits the open transaction, if any, and notes how much of the map is now in use. */
  private commit(): void {
    const open = this.txn;
    if (open === null) return;
    this.txn = null;
    try {
      open.txn.commit();
    } catch (error) {
      // A failed commit has already freed the transaction.
      throw this.describeTxnError(error);
    }
    this.commits++;
    faultPoint('commit');
    this.measureUsed();
  }

  private growMap(doublings: number): void {
    this.mapSize *= 2 ** doublings;
    this.growths += doublings;
    (this.open as OpenEnv).env.resize(this.mapSize);
  }

  private measureUsed(): void {
    const { env, pageSize } = this.open as OpenEnv;
    this.used = (env.info().lastPageNumber + 1) * pageSize;
  }

  /** Aborts the open transaction after a failed put (the put leaves it open) and returns the error to throw. */
  private failTxn(error: unknown): unknown {
    const open = this.txn;
    this.txn = null;
    try {
      open?.txn.abort();
    } catch {
      // already closed
    }
    return this.describeTxnError(error);
  }

  /** The error to throw for a failed put or commit: the records of that transaction are lost, so the run stops. */
  private describeTxnError(error: unknown): unknown {
    if (!MAP_FULL.test(String((error as Error).message))) return toLmdbWriteError(error, this.settings.dir);
    // Room is made before every put from an upper bound of its pages, so this is our own bug.
    return new InternalError(`LMDB map of ${this.mapSize} bytes filled although room was made (${this.used} bytes in use)`, {}, { cause: error });
  }

  async completeShard(): Promise<void> {
    // One database per split: commits already happen every commitEvery records or commitBytes bytes.
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
    const open = this.open;
    const txn = this.txn;
    this.open = null;
    this.txn = null;
    if (open !== null) {
      try {
        txn?.txn.abort();
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
    if (Number.isInteger(pid) && pid !== process.pid && !isProcessAlive(pid)) await rm(join(dirname(dir), name), { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Disk full, I/O and read-only errors of LMDB as one clear line naming the output folder. */
function toLmdbWriteError(error: unknown, dir: string): unknown {
  const message = String((error as Error | undefined)?.message ?? '');
  if (/No space left|ENOSPC|MDB_DISK_FULL/i.test(message)) return new OutputWriteError(dir, 'disk full', { cause: error });
  if (/Input\/output error|EIO\b/i.test(message)) return new OutputWriteError(dir, 'input/output error (is the disk full?)', { cause: error });
  if (/Read-only file system|EROFS/i.test(message)) return new OutputWriteError(dir, 'read-only file system', { cause: error });
  return error;
}
