/** TFRecord shards: planned shard files written atomically, kept complete for --resume, renamed at the end. */
import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { IncompleteRunError, OutputExistsError } from '../errors.js';
import { readRecordFile, RecordWriter, type Compression } from '../record/index.js';
import { makeFolder, trackTemp, untrackTemp } from '../runtime/publish.js';
import { faultPoint, isNextFault } from '../runtime/faults.js';
import { asParts, type RecordSink, type ShardInfo, type SinkRecord } from './sink.js';

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
}

/** A complete shard reused by a resumed run, with the meta recorded when it was completed. */
export interface KeptShard {
  readonly index: number;
  readonly records: number;
  readonly meta: unknown;
}

/** Bytes buffered before a shard file is written to (one writev per this many bytes). */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

const SUFFIX: Readonly<Record<Compression, string>> = { none: '', gzip: '.gz', zlib: '.zz' };

/**
 * The final name of shard `index` of `total`, as TensorFlow's converters name them.
 *
 * @example
 * shardFileName('train', 0, 4, 'none'); // 'train-00000-of-00004.tfrecord'
 */
export function shardFileName(prefix: string, index: number, total: number, compression: Compression): string {
  return `${prefix}-${pad5(index)}-of-${pad5(total)}.tfrecord${SUFFIX[compression]}`;
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches any shard file of `prefix`, whatever its count and compression. */
export function shardNamePattern(prefix: string): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}-\\d{5,}-of-\\d{5,}\\.tfrecord(?:\\.gz|\\.zz)?$`);
}

/**
 * Throws {@link OutputExistsError} when `dir` already holds output of `prefix` (or one of
 * `extraNames`) and `overwrite` is false. Called before any work so a run fails fast.
 *
 * @example
 * await checkOutputFree('out', 'train', ['dataset.json', 'labels.txt'], false);
 */
export async function checkOutputFree(dir: string, prefix: string, extraNames: readonly string[], overwrite: boolean): Promise<void> {
  if (overwrite) return;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const pattern = shardNamePattern(prefix);
  // Resume sidecars of complete shards: a run was killed before its summary was published.
  const complete = names.filter((name) => name.startsWith('.') && name.endsWith('.json') && pattern.test(name.slice(1, -'.json'.length)));
  if (complete.length > 0) throw new IncompleteRunError(dir, prefix, complete.length);
  const clash = names.sort().find((name) => pattern.test(name) || extraNames.includes(name));
  if (clash !== undefined) throw new OutputExistsError(join(dir, clash));
}

interface OpenShard {
  readonly index: number;
  readonly tempPath: string;
  readonly stream: WriteStream;
  readonly writer: RecordWriter;
}

/** What is recorded beside a complete shard (`.<name>.json`) so a resumed run can trust it. */
interface ShardSidecar {
  readonly fingerprint: string;
  readonly records: number;
  readonly bytes: number;
  readonly meta: unknown;
}


/**
 * Before a 'record' fault: gets the records buffered so far into the temp file, so the kill leaves
 * a half-written shard on disk, as a kill of a long run does (the writer otherwise holds up to 4 MB).
 */
async function flushBeforeFault(stream: WriteStream): Promise<void> {
  while (stream.writableCorked > 0) stream.uncork();
  while (stream.pending || stream.writableLength > 0) await new Promise((resolve) => setTimeout(resolve, 5));
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
  private readonly tempTag = `${process.pid}-${Date.now().toString(36)}`;
  private readonly owns: (index: number) => boolean;
  private readonly completed = new Map<number, { records: number }>();
  private readonly kept = new Map<number, KeptShard>();
  private readonly createdHere: string[] = [];
  private current: OpenShard | null = null;
  private state: 'open' | 'sealed' | 'finished' | 'aborted' = 'open';
  private prepared = false;

  constructor(settings: ShardSinkSettings) {
    this.settings = settings;
    this.owns = settings.owns ?? (() => true);
  }

  private name(index: number): string {
    const { prefix, shardCount, compression } = this.settings;
    return shardFileName(prefix, index, shardCount, compression);
  }

  private paths(index: number): { final: string; complete: string; sidecar: string } {
    const name = this.name(index);
    const { dir } = this.settings;
    return { final: join(dir, name), complete: join(dir, `.${name}.complete`), sidecar: join(dir, `.${name}.json`) };
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
      const name = this.name(index);
      for (const stale of names.filter((n) => n.startsWith(`.${name}.tmp-`))) await rm(join(dir, stale), { force: true });
      const paths = this.paths(index);
      const keep = this.settings.resume === true ? await this.verifyComplete(index) : null;
      if (keep !== null) {
        this.kept.set(index, keep);
      } else {
        await rm(paths.complete, { force: true });
        await rm(paths.sidecar, { force: true });
      }
    }
    return this.kept;
  }

  private async verifyComplete(index: number): Promise<KeptShard | null> {
    const paths = this.paths(index);
    let sidecar: ShardSidecar;
    try {
      sidecar = JSON.parse(await readFile(paths.sidecar, 'utf8')) as ShardSidecar;
    } catch {
      return null;
    }
    if (sidecar.fingerprint !== this.settings.fingerprints?.[index]) return null;
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
    await (this.current as OpenShard).writer.writeParts(asParts(record.payload), record.onWritten);
    if (isNextFault('record')) await flushBeforeFault((this.current as OpenShard).stream);
    faultPoint('record');
  }

  private open(index: number): void {
    const tempPath = join(this.settings.dir, `.${this.name(index)}.tmp-${this.tempTag}`);
    this.createdHere.push(tempPath);
    trackTemp(tempPath);
    // A large buffer lets the writer send many records per writev.
    const stream = createWriteStream(tempPath, { highWaterMark: WRITE_BUFFER_BYTES });
    const writer = new RecordWriter(stream, { compression: this.settings.compression });
    this.current = { index, tempPath, stream, writer };
  }

  async completeShard(index: number, meta: unknown): Promise<void> {
    await this.prepare();
    if (!this.owns(index) || this.kept.has(index) || this.completed.has(index)) return;
    if (this.current === null || this.current.index !== index) {
      if (this.current !== null) throw new Error(`TfrecordShardSink: completing shard ${index} while shard ${this.current.index} is open`);
      this.open(index);
    }
    const current = this.current as OpenShard;
    this.current = null;
    await current.writer.close();
    await syncFile(current.tempPath);
    const paths = this.paths(index);
    this.createdHere.push(paths.complete, paths.sidecar);
    await rename(current.tempPath, paths.complete);
    untrackTemp(current.tempPath);
    const sidecar: ShardSidecar = {
      fingerprint: this.settings.fingerprints?.[index] ?? '',
      records: current.writer.records,
      bytes: (await stat(paths.complete)).size,
      meta,
    };
    await writeFile(paths.sidecar, `${JSON.stringify(sidecar)}\n`);
    this.completed.set(index, { records: current.writer.records });
    faultPoint('shard');
  }

  /**
   * Publishes every shard: {@link seal}, the renames, then {@link settle}. A conversion does the
   * three steps itself, with its sidecars renamed in the same publication.
   */
  async finish(): Promise<readonly ShardInfo[]> {
    const shards = await this.seal();
    for (const { from, to } of await this.plannedMoves()) {
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
    const complete = join(this.settings.dir, `.${file}.complete`);
    return (await exists(complete)) ? complete : join(this.settings.dir, file);
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
    if (overwrite && owned.length === shardCount) await removeStaleShards(dir, prefix, new Set(owned.map((i) => this.name(i))));
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
    if (current !== null) await current.writer.close().catch(() => undefined);
    await this.removeCreated();
  }

  private async removeCreated(): Promise<void> {
    await Promise.all(this.createdHere.map((path) => rm(path, { force: true })));
    for (const path of this.createdHere) untrackTemp(path);
  }
}

/** Flushes a written file to disk, so a full disk shows here and not after the rename. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** After an --overwrite run, older shards of the same prefix with another count would mislead a glob. */
async function removeStaleShards(dir: string, prefix: string, keep: ReadonlySet<string>): Promise<void> {
  const pattern = shardNamePattern(prefix);
  for (const name of await readdir(dir)) {
    if (pattern.test(name) && !keep.has(name)) {
      await rm(join(dir, name), { force: true });
      await rm(join(dir, `${name}.idx`), { force: true });
    }
  }
}
