/** The Target port: one output format of a conversion (TFRecord, Caffe LMDB), chosen once per run. */
import type { Feature, Features } from '../example/index.js';
import type { EncodedImage, ImageContext, ImageSettings, RawImage } from '../image/index.js';
import type { Publication } from '../runtime/publish.js';
import type { KeptShard } from './resume-ledger.js';
import type { RecordSink, ShardInfo } from './sink.js';

/** A split as a target sees it: its name and planned shard count. */
export interface TargetSplit {
  readonly name: string;
  readonly shardCount: number;
}

/** What a target knows of the planned run when it is created. */
export interface TargetPlan {
  /** The splits in plan order. */
  readonly splits: readonly TargetSplit[];
  /** Whether this process writes shard `shard` of split `split` (worker slices). */
  readonly owns: (split: string, shard: number) => boolean;
  /** Per-shard fingerprints of split `split` (a resumed run keeps a shard only on a match). */
  readonly shardFingerprints: (split: string) => readonly string[];
  /** Bytes on disk of every planned input. */
  readonly inputBytes: number;
  /** Stream for `-o -`. */
  readonly stdout: NodeJS.WritableStream;
}

/** Where one input's processing is, named in the message of an unexpected failure. */
export interface StageMarker {
  name: string;
}

/** One input ready to become a record. */
export interface TargetInput {
  readonly relPath: string;
  readonly split: string;
  readonly image: EncodedImage | RawImage;
  /** The input's resolved label feature (class id(s) or floats), or null. */
  readonly label: Feature | null;
  /** Image and label keys under their canonical names, before the schema. */
  readonly canonical: Features;
  /** Manifest columns and second images, kept under their own names. */
  readonly extra: Features;
}

/** One encoded record and what the target observes of it once written. */
export interface TargetRecord {
  readonly payload: Uint8Array | readonly Uint8Array[];
  /** The written keys and their kinds (the summary's schema). */
  readonly keys: readonly (readonly [string, Feature['kind']])[];
  /** Target-specific data handed back to {@link Target.observe} after the write (e.g. pixels for the mean). */
  readonly observed: unknown;
}

/**
 * An output format of a conversion: preflight, output names, sinks, encoding, observation, finish.
 * A new target is a module implementing this and one entry in `convert/targets.ts`.
 */
export interface Target {
  /** Checks the inputs before any work (e.g. labels the format cannot hold). */
  preflight(inputs: Iterable<{ readonly relPath: string; readonly label: Feature | null }>): void;
  /** Names beside the shards that must be free for split `split` (besides its shard files). */
  outputNames(split: string): readonly string[];
  /** Matches the output files of split `split` (what an existing run of it left). */
  outputPattern(split: string): RegExp;
  /** The file holding shard `shard` of `split` (named in a worker's plan). */
  fileName(split: TargetSplit, shard: number): string;
  /** Prepares the sinks; returns, per split, complete shards a resumed run keeps. */
  open(): Promise<ReadonlyMap<string, ReadonlyMap<number, KeptShard>>>;
  /** The sink of split `split`. */
  sink(split: string): RecordSink;
  /** The image stage: a file's bytes -> the image to store. */
  loadImage(bytes: Buffer, settings: ImageSettings, context: ImageContext): Promise<EncodedImage | RawImage>;
  /**
   * Whether records carry canonical key `canonical` (after the schema and --drop-key): work that
   * only feeds a key no record carries is skipped (the SHA-256 of every file for image/key/sha256).
   */
  writesKey(canonical: string): boolean;
  /** Encodes one input into its record (an Example, a Datum). */
  encode(input: TargetInput, context: ImageContext, stage: StageMarker): Promise<TargetRecord>;
  /** Sees each written record in output order (the Caffe mean). */
  observe(input: TargetInput, record: TargetRecord): void;
  /** Finishes every split; stages what must appear with the summary in `publication`. */
  finish(publication: Publication): Promise<Readonly<Record<string, readonly ShardInfo[]>>>;
  /** After the publication: removes ledgers and stale files. */
  settle(): Promise<void>;
  /** Removes what this run left unfinished. */
  abort(): Promise<void>;
}
