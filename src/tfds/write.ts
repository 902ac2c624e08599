/** A TFDS directory's metadata beside its shards: dataset_info.json, features.json, <feature>.labels.txt. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTfdsDatasetInfo, type TfdsDatasetInfoInput } from './dataset-info.js';
import { buildTfdsFeatures, tfdsLabelFiles, type TfdsFeaturesInput } from './features.js';
import { checkTfdsName, formatTfdsLabels } from './naming.js';

/** One metadata file: its name in the dataset folder and its text. */
export interface TfdsMetadataFile {
  readonly name: string;
  readonly text: string;
}

/**
 * The files `tfds.builder_from_directory(dir)` reads besides the shards, with their contents, in a
 * fixed order (convert stages them atomically with its other sidecars). Same input, same bytes
 * (keys in a fixed order, no timestamps).
 *
 * @example
 * formatTfdsMetadata({ name: 'my_photos', splits: [{ name: 'train', shardLengths: [29, 28], numBytes: 484845 }] },
 *   { image: { channels: 3, encodingFormat: 'jpeg' }, label: { names: ['cat', 'dog'] } }).map((f) => f.name);
 * // ['dataset_info.json', 'features.json', 'label.labels.txt']
 */
export function formatTfdsMetadata(info: TfdsDatasetInfoInput, features: TfdsFeaturesInput): TfdsMetadataFile[] {
  checkTfdsName(info.name);
  const files: TfdsMetadataFile[] = [
    { name: 'dataset_info.json', text: `${JSON.stringify(buildTfdsDatasetInfo(info), null, 2)}\n` },
    { name: 'features.json', text: `${JSON.stringify(buildTfdsFeatures(features), null, 4)}\n` },
  ];
  for (const [name, names] of tfdsLabelFiles(features)) files.push({ name, text: formatTfdsLabels(names) });
  return files;
}

/**
 * Writes the files of {@link formatTfdsMetadata} into `dir` (plain writes, for library users
 * outside convert) and returns their names in the order written.
 *
 * @example
 * await writeTfdsMetadata('out', { name: 'my_photos', splits: [{ name: 'train', shardLengths: [29, 28], numBytes: 484845 }],
 *   supervisedKeys: { input: 'image', output: 'label' } }, { image: { channels: 3, encodingFormat: 'jpeg' }, label: { names: ['cat', 'dog'] } });
 * // ['dataset_info.json', 'features.json', 'label.labels.txt']
 */
export async function writeTfdsMetadata(dir: string, info: TfdsDatasetInfoInput, features: TfdsFeaturesInput): Promise<string[]> {
  const files = formatTfdsMetadata(info, features);
  for (const file of files) await writeFile(join(dir, file.name), file.text);
  return files.map((file) => file.name);
}
