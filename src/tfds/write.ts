/** Writes a TFDS directory's metadata beside its shards: dataset_info.json, features.json, <feature>.labels.txt. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTfdsDatasetInfo, type TfdsDatasetInfoInput } from './dataset-info.js';
import { buildTfdsFeatures, tfdsLabelFiles, type TfdsFeaturesInput } from './features.js';
import { checkTfdsName, formatTfdsLabels } from './naming.js';

/**
 * Writes the files `tfds.builder_from_directory(dir)` reads besides the shards, and returns their
 * names in the order written. Same input, same bytes (keys in a fixed order, no timestamps).
 *
 * @example
 * await writeTfdsMetadata('out', { name: 'my_photos', splits: [{ name: 'train', shardLengths: [29, 28], numBytes: 484845 }],
 *   supervisedKeys: { input: 'image', output: 'label' } }, { image: { channels: 3, encodingFormat: 'jpeg' }, label: { names: ['cat', 'dog'] } });
 * // ['dataset_info.json', 'features.json', 'label.labels.txt']
 */
export async function writeTfdsMetadata(dir: string, info: TfdsDatasetInfoInput, features: TfdsFeaturesInput): Promise<string[]> {
  checkTfdsName(info.name);
  const files: [string, string][] = [
    ['dataset_info.json', `${JSON.stringify(buildTfdsDatasetInfo(info), null, 2)}\n`],
    ['features.json', `${JSON.stringify(buildTfdsFeatures(features), null, 4)}\n`],
  ];
  for (const [name, names] of tfdsLabelFiles(features)) files.push([name, formatTfdsLabels(names)]);
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => name);
}
