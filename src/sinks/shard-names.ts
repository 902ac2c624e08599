/** TFRecord shard file names: how a split's shard files are named, and how to recognise them. */
import type { Compression } from '../record/index.js';

/**
 * How the shard files of a split are named. The TFRecord target takes one; `--tfds-name` (issue 18)
 * brings its own (`NAME-SPLIT.tfrecord-00000-of-00004`).
 */
export interface ShardNaming {
  /** The final name of shard `index` of `total` of split (prefix) `prefix`. */
  readonly fileName: (prefix: string, index: number, total: number, compression: Compression) => string;
  /** Matches any shard file of `prefix`, whatever its count and compression. */
  readonly pattern: (prefix: string) => RegExp;
}

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

/**
 * Matches any shard file of `prefix`, whatever its count and compression.
 *
 * @example
 * shardNamePattern('train').test('train-00001-of-00004.tfrecord.gz'); // true
 */
export function shardNamePattern(prefix: string): RegExp {
  return new RegExp(`^${escapeRegExp(prefix)}-\\d{5,}-of-\\d{5,}\\.tfrecord(?:\\.gz|\\.zz)?$`);
}

/**
 * The naming of TensorFlow's converters: `<prefix>-00000-of-00004.tfrecord[.gz|.zz]`.
 *
 * @example
 * DEFAULT_SHARD_NAMING.fileName('train', 0, 4, 'gzip'); // 'train-00000-of-00004.tfrecord.gz'
 */
export const DEFAULT_SHARD_NAMING: ShardNaming = Object.freeze({ fileName: shardFileName, pattern: shardNamePattern });
