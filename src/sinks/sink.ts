/** The RecordSink port: where framed records go (TFRecord shards, a stream, an LMDB), and the records it takes. */

/** One record on its way out, with what a sink needs to place it. */
export interface SinkRecord {
  /** The record's payload, possibly in parts (written and checksummed without joining them). */
  readonly payload: Uint8Array | readonly Uint8Array[];
  /** Planned shard of this record (0-based, non-decreasing within a sink). */
  readonly shard: number;
  /** Path of the source relative to the input: the LMDB key's suffix. */
  readonly relPath: string;
  /**
   * Called once the sink no longer holds the payload's bytes, so their memory may be reused.
   * Optional for a sink to honour (LmdbSink keeps values until its commit and never calls it).
   */
  readonly onWritten?: () => void;
}

/** A finished output file. */
export interface ShardInfo {
  readonly file: string;
  readonly records: number;
  /** Bytes on disk (compressed size under GZIP/ZLIB). */
  readonly bytes: number;
}

/**
 * The output side of a conversion. Records arrive in final order; `completeShard` marks a shard
 * done (so a killed run can resume from it); `finish` makes the output visible under its final
 * names; `abort` removes what this run left unfinished.
 */
export interface RecordSink {
  write(record: SinkRecord): Promise<void>;
  /** Shard `index` has all its records; `meta` (JSON) is kept beside it for a resumed run. */
  completeShard(index: number, meta: unknown): Promise<void>;
  finish(): Promise<readonly ShardInfo[]>;
  abort(): Promise<void>;
}

/** A payload as a list of parts. */
export function asParts(payload: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  return payload instanceof Uint8Array ? [payload] : payload;
}
