/** TFRecord shards: planned shard files written atomically, kept complete for --resume, renamed at the end. */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputExistsError } from '../errors.js';
import type { Compression } from '../record/index.js';
import { makeFolder, syncFiles, untrackTemp } from '../runtime/publish.js';
import { faultPoint } from '../runtime/faults.js';
import { asParts, type RecordSink, type ShardInfo, type SinkRecord } from './sink.js';
import { DEFAULT_SHARD_NAMING, type ShardNaming } from './shard-names.js';
import { dropLedgerEntry, findKeptShard, removeShardTemps, shardPaths, writeLedgerEntry, type KeptShard, type ShardPaths } from './resume-ledger.js';
import { ShardFile } from './shard-file.js';

export type { KeptShard } from './resume-ledger.js';
export { shardFileName, shardNamePattern } from './shard-names.js';
export { checkOutputFree } from './output-check.js';

/** Settings of {@link TfrecordShardSink}. */
export interface ShardSinkSettings {
  readonly dir: string;
  readonly prefix: string;
  readonly compression: Compression;
  /** Planned number of shards: known before the run, so names are final from the start. */
  readonly shardCount: number;
  readonly overwrite: boolean;
  /** Shards this process writes; a worker I of N writes the shards whose global index mod N is I. */
  readonly owns?: (index: number) => boolean;
  /** Per-shard fingerprints of planned inputs and options: a complete shard is reused only on a match. */
  readonly fingerprints?: readonly string[];
  /** Reuse complete shards left by an earlier (killed) run. */
  readonly resume?: boolean;
  /** How shard files are named (default: TensorFlow's `<prefix>-00000-of-00004.tfrecord`). */
  readonly naming?: ShardNaming;
}

/**
 * Writes records into their planned shard files. A shard is written under a temporary name,
 * becomes `.<name>.complete` (with a `.<name>.json` sidecar) when complete, and every shard is
 * renamed to `<prefix>-NNNNN-of-MMMMM.tfrecord[.gz|.zz]` only in {@link finish}. Every planned
 * shard is written, even if empty, so `-of-M` never lies. With `resume`, complete shards from a
 * killed run whose fingerprint, size, record count and CRCs match are kept.
 *
 * @example
 * const sink = new TfrecordShardSink({ dir: 'out', prefix: 'train', compression: 'none', shardCount: 2, overwrite: false });
 * await sink.write({ payload, shard: 0, relPath: 'cat/1.jpg' });
 * const shards = await sink.finish();
 */
export class TfrecordShardSink implements RecordSink {
  private readonly settings: ShardSinkSettings;
  private readonly naming: ShardNaming;
  private readonly tempTag = `${process.pid}-${Date.now().toString(36)}`;
  private readonly owns: (index: number) => boolean;
  private readonly completed = new Map<number, { records: number }>();
  private readonly kept = new Map<number, KeptShard>();
  private readonly createdHere: string[] = [];
  private current: ShardFile | null = null;
  private state: 'open' | 'sealed' | 'finished' | 'aborted' = 'open';
  private prepared = false;

  constructor(settings: ShardSinkSettings) {
    this.settings = settings;
    this.naming = settings.naming ?? DEFAULT_SHARD_NAMING;
    this.owns = settings.owns ?? (() => true);
  }

  private name(index: number): string {
    const { prefix, shardCount, compression } = this.settings;
    return this.naming.fileName(prefix, index, shardCount, compression);
  }

  private paths(index: number): ShardPaths {
    return shardPaths(this.settings.dir, this.name(index));
  }

  /**
   * Cleans temp files of killed runs for the owned shards and, with `resume`, finds the complete
   * shards to keep. Returns them so the caller can skip their inputs.
   */
  async prepare(): Promise<ReadonlyMap<number, KeptShard>> {
    if (this.prepared) return this.kept;
    this.prepared = true;
    const { dir, shardCount } = this.settings;
    await makeFolder(dir);
    const names = await readdir(dir);
    for (let index = 0; index < shardCount; index++) {
      if (!this.owns(index)) continue;
      await removeShardTemps(dir, names, this.name(index));
      const paths = this.paths(index);
      const keep = this.settings.resume === true ? await findKeptShard(paths, index, this.settings.fingerprints?.[index]) : null;
      if (keep !== null) this.kept.set(index, keep);
      else await dropLedgerEntry(paths);
    }
    return this.kept;
  }

  async write(record: SinkRecord): Promise<void> {
    if (this.state !== 'open') throw new Error(`TfrecordShardSink.write after ${this.state}`);
    await this.prepare();
    if (!this.owns(record.shard) || this.kept.has(record.shard) || this.completed.has(record.shard)) {
      throw new Error(`TfrecordShardSink: record for shard ${record.shard}, which this run does not write`);
    }
    if (this.current !== null && this.current.index > record.shard) {
      throw new Error(`TfrecordShardSink: record for shard ${record.shard} out of plan order (open: ${this.current.index})`);
    }
    if (this.current === null || this.current.index !== record.shard) {
      if (this.current !== null) throw new Error(`TfrecordShardSink: shard ${this.current.index} was not completed before shard ${record.shard}`);
      this.open(record.shard);
    }
    await (this.current as ShardFile).write(asParts(record.payload), record.onWritten);
  }

  private open(index: number): void {
    const tempPath = join(this.settings.dir, `.${this.name(index)}.tmp-${this.tempTag}`);
    this.createdHere.push(tempPath);
    this.current = new ShardFile(index, tempPath, this.settings.compression);
  }

  async completeShard(index: number, meta: unknown): Promise<void> {
    await this.prepare();
    if (!this.owns(index) || this.kept.has(index) || this.completed.has(index)) return;
    if (this.current === null || this.current.index !== index) {
      if (this.current !== null) throw new Error(`TfrecordShardSink: completing shard ${index} while shard ${this.current.index} is open`);
      this.open(index);
    }
    const current = this.current as ShardFile;
    this.current = null;
    const paths = this.paths(index);
    this.createdHere.push(paths.complete, paths.sidecar);
    const records = await current.completeAs(paths.complete);
    const bytes = (await stat(paths.complete)).size;
    await writeLedgerEntry(paths, { fingerprint: this.settings.fingerprints?.[index] ?? '', records, bytes, meta });
    this.completed.set(index, { records });
    faultPoint('shard');
  }

  /**
   * Publishes every shard: {@link seal}, the renames, then {@link settle}. A conversion does the
   * three steps itself, with its sidecars renamed in the same publication.
   */
  async finish(): Promise<readonly ShardInfo[]> {
    const shards = await this.seal();
    const moves = await this.plannedMoves();
    // On disk before any final name points at them (as Publication.publish does).
    await syncFiles(moves.map((move) => move.from));
    for (const { from, to } of moves) {
      await rename(from, to);
      faultPoint('rename');
    }
    await this.settle();
    return shards;
  }

  /**
   * Completes every owned shard (all written and synced, still under hidden names) and checks that
   * no final name is taken. Returns the shards as they will be published.
   */
  async seal(): Promise<readonly ShardInfo[]> {
    if (this.state !== 'open') throw new Error(`TfrecordShardSink.seal after ${this.state}`);
    await this.prepare();
    const { overwrite, shardCount } = this.settings;
    for (let index = 0; index < shardCount; index++) {
      if (this.owns(index) && !this.kept.has(index) && !this.completed.has(index)) await this.completeShard(index, null);
    }
    this.state = 'sealed';
    const owned = this.ownedShards();
    if (!overwrite && this.settings.resume !== true) {
      for (const index of owned) {
        if (await exists(this.paths(index).final)) {
          await this.removeCreated();
          this.state = 'aborted';
          throw new OutputExistsError(this.paths(index).final);
        }
      }
    }
    const shards: ShardInfo[] = [];
    for (const index of owned) {
      const records = this.kept.get(index)?.records ?? this.completed.get(index)?.records ?? 0;
      shards.push({ file: this.name(index), records, bytes: (await stat(await this.locate(this.name(index)))).size });
    }
    return shards;
  }

  /** Where the bytes of shard file `file` (a sealed shard's name) are now: its hidden complete file, or its final name. */
  async locate(file: string): Promise<string> {
    const paths = shardPaths(this.settings.dir, file);
    return (await exists(paths.complete)) ? paths.complete : paths.final;
  }

  /** The renames that publish the sealed shards (complete file -> final name; a kept final shard has none). */
  async plannedMoves(): Promise<{ readonly from: string; readonly to: string }[]> {
    if (this.state !== 'sealed') throw new Error(`TfrecordShardSink.plannedMoves while ${this.state}`);
    const moves: { from: string; to: string }[] = [];
    for (const index of this.ownedShards()) {
      const paths = this.paths(index);
      if (await exists(paths.complete)) moves.push({ from: paths.complete, to: paths.final });
    }
    return moves;
  }

  /** After the publication: drops the resume sidecars and, with overwrite, older shards of the prefix. */
  async settle(): Promise<void> {
    if (this.state !== 'sealed') throw new Error(`TfrecordShardSink.settle while ${this.state}`);
    this.state = 'finished';
    const { dir, prefix, overwrite, shardCount } = this.settings;
    const owned = this.ownedShards();
    // Sidecars go last: until every shard and the summary are final, a resumed run still needs them.
    for (const index of owned) await rm(this.paths(index).sidecar, { force: true });
    if (overwrite && owned.length === shardCount) await removeStaleShards(dir, this.naming.pattern(prefix), new Set(owned.map((i) => this.name(i))));
  }

  private ownedShards(): number[] {
    return [...Array(this.settings.shardCount).keys()].filter((i) => this.owns(i));
  }

  /** The meta recorded for a kept shard (from an earlier run). */
  keptShards(): ReadonlyMap<number, KeptShard> {
    return this.kept;
  }

  async abort(): Promise<void> {
    if (this.state !== 'open' && this.state !== 'sealed') return;
    this.state = 'aborted';
    const current = this.current;
    this.current = null;
    if (current !== null) await current.close();
    await this.removeCreated();
  }

  private async removeCreated(): Promise<void> {
    await Promise.all(this.createdHere.map((path) => rm(path, { force: true })));
    for (const path of this.createdHere) untrackTemp(path);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** After an --overwrite run, older shards of the same prefix with another count would mislead a glob. */
async function removeStaleShards(dir: string, pattern: RegExp, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir)) {
    if (pattern.test(name) && !keep.has(name)) {
      await rm(join(dir, name), { force: true });
      await rm(join(dir, `${name}.idx`), { force: true });
    }
  }
}
