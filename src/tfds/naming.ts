/** TFDS file names: shard names as `tfds.builder_from_directory` finds them, and the label-names sidecar. */
import { invalidParameterError } from '../errors.js';

/*
 * Format taken from tensorflow/datasets `tensorflow_datasets/core/naming.py` (copyright 2024,
 * TFDS 4.9.x, stored commit 0389eb53a917d3104271259a8965dc09b4b5f6d7):
 * DEFAULT_FILENAME_TEMPLATE = '{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}', shard numbers
 * zero-padded to max(5, digits of the shard count), dataset names `[a-zA-Z]\w*` (snake_case: TFDS
 * lower-cases CamelCase names before it looks for files), split names `(\w|-)+`.
 */
const DATASET_NAME = /^[a-zA-Z]\w*$/;
const SPLIT_NAME = /^[\w-]+$/;

/** TFDS's camelcase_to_snakecase: `MyData` -> `my_data`. */
function toSnakeCase(name: string): string {
  return name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Checks a `--tfds-name` value: TFDS's dataset-name pattern, already in the snake_case TFDS uses for
 * file names (else `tfds.builder_from_directory` would look for other names than the ones written).
 *
 * @example
 * checkTfdsName('my_photos'); // 'my_photos'
 * checkTfdsName('MyPhotos');  // throws: ... for tfdsName ... (use "my_photos")
 */
export function checkTfdsName(name: unknown): string {
  if (typeof name !== 'string' || !DATASET_NAME.test(name)) {
    throw invalidParameterError('tfdsName', 'a letter then letters, digits or _ (TFDS dataset name)', name);
  }
  const snake = toSnakeCase(name);
  if (snake !== name) throw invalidParameterError('tfdsName', `a snake_case TFDS dataset name (use "${snake}")`, name);
  return name;
}

/**
 * A TFDS shard file name: `NAME-SPLIT.tfrecord-00000-of-00004`.
 *
 * @example
 * formatTfdsShardName('my_photos', 'train', 0, 4); // 'my_photos-train.tfrecord-00000-of-00004'
 */
export function formatTfdsShardName(name: string, split: string, index: number, count: number, fileFormat = 'tfrecord'): string {
  checkTfdsName(name);
  if (!SPLIT_NAME.test(split) || !/[a-zA-Z0-9]/.test(split)) throw invalidParameterError('split', 'a TFDS split name (letters, digits, _ and -)', split);
  if (!Number.isSafeInteger(count) || count < 1) throw invalidParameterError('shard count', 'positive integer', count);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw invalidParameterError('shard index', `integer between 0 and ${count - 1}`, index);
  const digits = Math.max(5, String(count).length);
  return `${name}-${split}.${fileFormat}-${String(index).padStart(digits, '0')}-of-${String(count).padStart(digits, '0')}`;
}

/**
 * The file TFDS's ClassLabel reads its names from: `<feature path>.labels.txt`, where a FeaturesDict
 * nesting joins names with `-` and a `/` inside a name becomes `.` (features_dict.py save_metadata).
 *
 * @example
 * tfdsLabelsFileName(['label']);            // 'label.labels.txt'
 * tfdsLabelsFileName(['objects', 'label']); // 'objects-label.labels.txt'
 */
export function tfdsLabelsFileName(path: readonly string[]): string {
  return `${path.map((p) => p.replace(/\//g, '.')).join('-')}.labels.txt`;
}

/**
 * The text of a `.labels.txt` file: one name per line, as ClassLabel writes it.
 *
 * @example
 * formatTfdsLabels(['cat', 'dog']); // 'cat\ndog\n'
 */
export function formatTfdsLabels(names: readonly string[]): string {
  for (const name of names) {
    // ClassLabel strips each line and drops empty ones: such a name would not read back.
    if (name.trim() !== name || name === '' || /[\r\n]/.test(name)) throw invalidParameterError('class name', 'a name without surrounding spaces or line breaks (TFDS strips them)', name);
  }
  return `${names.join('\n')}\n`;
}
