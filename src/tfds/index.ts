/** TFDS directory output: shard names, features.json, dataset_info.json and label files TFDS reads. */
export { checkTfdsName, formatTfdsShardName, tfdsLabelsFileName, formatTfdsLabels } from './naming.js';
export {
  buildTfdsFeatures, tfdsImageFeature, tfdsClassLabelFeature, tfdsFeaturesDict, tfdsObjectsFeature, tfdsLabelFiles,
} from './features.js';
export type { TfdsFeatureJson, TfdsFeaturesInput } from './features.js';
export { buildTfdsDatasetInfo } from './dataset-info.js';
export type { TfdsDatasetInfoInput, TfdsSplitInput } from './dataset-info.js';
export { encodeTfdsObjects } from './objects.js';
export { formatTfdsMetadata, writeTfdsMetadata } from './write.js';
export type { TfdsMetadataFile } from './write.js';
export type { TfdsBox } from './objects.js';
