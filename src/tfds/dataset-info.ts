/** TFDS `dataset_info.json`: the DatasetInfo proto as proto3 JSON, with splits, shard lengths and bytes. */
import { invalidParameterError } from '../errors.js';

/*
 * Format taken from tensorflow/datasets `tensorflow_datasets/core/proto/dataset_info.proto`
 * (stored commit 94184d80a28a836822fd279565f389f71f8faa91, TFDS 4.x: module_name = 15,
 * disable_shuffling = 16) as proto3 JSON: lowerCamelCase names, int64 as decimal strings, empty
 * fields left out. Checked against a dataset_info.json TFDS itself wrote (its test data
 * `testing/test_data/dataset_info/mnist/3.0.1/dataset_info.json`, copied to fixtures/tfds/).
 * `fileFormat` and `releaseNotes` are fields of later TFDS protos than the stored copy; they are
 * written only when asked for (TFDS reads tfrecord when no file format is given).
 */

/** One split as written: its shards' record counts and its total bytes. */
export interface TfdsSplitInput {
  readonly name: string;
  /** Records in each shard, in shard order. */
  readonly shardLengths: readonly number[];
  /** Bytes of the split's shard files. */
  readonly numBytes: number;
}

/** What {@link buildTfdsDatasetInfo} writes. */
export interface TfdsDatasetInfoInput {
  readonly name: string;
  /** Dataset version x.y.z (default 1.0.0). */
  readonly version?: string;
  readonly description?: string;
  readonly citation?: string;
  readonly homepage?: string;
  readonly splits: readonly TfdsSplitInput[];
  /** (input, output) for `as_supervised=True`, e.g. image and label. */
  readonly supervisedKeys?: { readonly input: string; readonly output: string };
  readonly moduleName?: string;
  /** Written as `fileFormat` (newer TFDS protos); leave out for the default tfrecord. */
  readonly fileFormat?: string;
  readonly releaseNotes?: Readonly<Record<string, string>>;
  /** Keep record order (TFDS disable_shuffling). */
  readonly disableShuffling?: boolean;
}

function int64(name: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw invalidParameterError(name, 'non-negative integer', value);
  return String(value);
}

/**
 * The `dataset_info.json` object for a converted dataset (proto3 JSON of tensorflow_datasets.DatasetInfo).
 *
 * @example
 * buildTfdsDatasetInfo({ name: 'my_photos', splits: [{ name: 'train', shardLengths: [29, 28], numBytes: 484845 }] });
 * // { name: 'my_photos', version: '1.0.0', splits: [{ name: 'train', shardLengths: ['29', '28'], numBytes: '484845' }], ... }
 */
export function buildTfdsDatasetInfo(input: TfdsDatasetInfoInput): Record<string, unknown> {
  const version = input.version ?? '1.0.0';
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw invalidParameterError('version', 'x.y.z', version);
  const names = new Set<string>();
  const splits = input.splits.map((s) => {
    if (names.has(s.name)) throw invalidParameterError('split', 'unique split names', s.name);
    names.add(s.name);
    return { name: s.name, shardLengths: s.shardLengths.map((n) => int64('shardLengths', n)), numBytes: int64('numBytes', s.numBytes) };
  });
  // Keys in the order of TFDS's own mnist file (JSON readers ignore order); empty proto3 fields are left out.
  const info: Record<string, unknown> = {};
  if (input.citation) info.citation = input.citation;
  if (input.description) info.description = input.description;
  if (input.homepage) info.location = { urls: [input.homepage] };
  info.name = input.name;
  info.splits = splits;
  if (input.supervisedKeys !== undefined) info.supervisedKeys = { input: input.supervisedKeys.input, output: input.supervisedKeys.output };
  info.version = version;
  if (input.moduleName) info.moduleName = input.moduleName;
  if (input.disableShuffling === true) info.disableShuffling = true;
  if (input.fileFormat) info.fileFormat = input.fileFormat;
  if (input.releaseNotes !== undefined) info.releaseNotes = { ...input.releaseNotes };
  return info;
}
