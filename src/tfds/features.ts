/** TFDS `features.json`: the FeaturesDict of a converted dataset in TFDS's own proto-JSON form. */
import { invalidParameterError } from '../errors.js';

/*
 * Format taken from tensorflow/datasets `tensorflow_datasets/core/proto/feature.proto` (stored
 * commit baaa7af5b8e6f428eddc637056917048fe7b003f, TFDS 4.9.x: Feature with python_class_name and a
 * oneof content; Sequence, BoundingBoxFeature.bbox_format), written as proto3 JSON (lowerCamelCase
 * names, int64 as decimal strings, an unknown dimension as -1) the way `FeatureConnector.to_json`
 * serialises it. ClassLabel names are not in features.json: ClassLabel.save_metadata writes them to
 * `<feature>.labels.txt` (see naming.ts). Fixture copies: fixtures/tfds/.
 */
const FEATURES = 'tensorflow_datasets.core.features';

/** One TFDS feature as proto3 JSON (`tensorflow_datasets.Feature`). */
export type TfdsFeatureJson = { readonly pythonClassName: string } & Readonly<Record<string, unknown>>;

/** What a converted dataset holds, in TFDS terms. */
export interface TfdsFeaturesInput {
  /** The image: shape [height|null, width|null, channels]. */
  readonly image: { readonly height?: number | null; readonly width?: number | null; readonly channels: 1 | 3 | 4; readonly dtype?: 'uint8' | 'uint16'; readonly encodingFormat?: 'png' | 'jpeg' | null };
  /** Class names (ids 0..n-1) or a class count; absent for unlabelled data. */
  readonly label?: { readonly names: readonly string[] } | { readonly numClasses: number };
  /** Add `image/filename` as a Text feature (our tfds schema writes it). */
  readonly filename?: boolean;
  /**
   * Object detection: a Sequence of {bbox: BBoxFeature, label: ClassLabel} under `objects`, plus
   * per-object booleans (`flags`, e.g. VOC's is_difficult, is_truncated; COCO's is_crowd).
   */
  readonly objects?: ({ readonly names: readonly string[] } | { readonly numClasses: number }) & { readonly flags?: readonly string[] };
}

function shape(dims: readonly (number | null)[]): { dimensions: string[] } {
  return { dimensions: dims.map((d) => String(d ?? -1)) };
}

function checkDim(name: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidParameterError(name, 'positive integer or null', value);
  return value;
}

/**
 * A TFDS Image feature: shape [h, w, c] (-1 for a size that varies), dtype, encoding format.
 *
 * @example
 * tfdsImageFeature({ channels: 3, encodingFormat: 'jpeg' });
 * // { pythonClassName: '...image_feature.Image', image: { shape: { dimensions: ['-1', '-1', '3'] }, dtype: 'uint8', encodingFormat: 'jpeg' } }
 */
export function tfdsImageFeature(image: TfdsFeaturesInput['image']): TfdsFeatureJson {
  if (![1, 3, 4].includes(image.channels)) throw invalidParameterError('channels', '1, 3 or 4', image.channels);
  const dims = [checkDim('height', image.height), checkDim('width', image.width), image.channels];
  const dtype = image.dtype ?? 'uint8';
  if (dtype === 'uint16' && image.encodingFormat === 'jpeg') throw invalidParameterError('dtype', 'uint8 for JPEG (TFDS stores uint16 only as PNG)', dtype);
  // Proto3 JSON leaves out empty strings: mixed formats (no one encoding) give no encodingFormat,
  // and TFDS decodes with decode_image whatever the bytes are.
  const content = image.encodingFormat ? { shape: shape(dims), dtype, encodingFormat: image.encodingFormat } : { shape: shape(dims), dtype };
  return { pythonClassName: `${FEATURES}.image_feature.Image`, image: content };
}

/**
 * A TFDS ClassLabel: `numClasses` as an int64 string (the names go to `.labels.txt`).
 *
 * @example
 * tfdsClassLabelFeature(['cat', 'dog']); // { pythonClassName: '...ClassLabel', classLabel: { numClasses: '2' } }
 */
export function tfdsClassLabelFeature(label: readonly string[] | number): TfdsFeatureJson {
  const n = typeof label === 'number' ? label : label.length;
  if (!Number.isSafeInteger(n) || n < 1) throw invalidParameterError('numClasses', 'positive integer', n);
  if (typeof label !== 'number' && new Set(label).size !== label.length) throw invalidParameterError('class names', 'unique names (ClassLabel refuses duplicates)', label.join(','));
  return { pythonClassName: `${FEATURES}.class_label_feature.ClassLabel`, classLabel: { numClasses: String(n) } };
}

function labelOf(spec: { readonly names: readonly string[] } | { readonly numClasses: number }): readonly string[] | number {
  return 'names' in spec ? spec.names : spec.numClasses;
}

/**
 * A FeaturesDict of named features.
 *
 * @example
 * tfdsFeaturesDict({ image: tfdsImageFeature({ channels: 3 }) });
 */
export function tfdsFeaturesDict(features: Readonly<Record<string, TfdsFeatureJson>>): TfdsFeatureJson {
  const sorted = Object.fromEntries(Object.entries(features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { pythonClassName: `${FEATURES}.features_dict.FeaturesDict`, featuresDict: { features: sorted } };
}

/**
 * A scalar `tf.bool` feature as TFDS declares one given as a dtype (Tensor, shape [], encoding
 * none; tensor_feature.py to_json_content). Records store it as int64 0/1.
 *
 * @example
 * tfdsBoolFeature(); // { pythonClassName: '...tensor_feature.Tensor', tensor: { shape: {}, dtype: 'bool', encoding: 'none' } }
 */
export function tfdsBoolFeature(): TfdsFeatureJson {
  return { pythonClassName: `${FEATURES}.tensor_feature.Tensor`, tensor: { shape: {}, dtype: 'bool', encoding: 'none' } };
}

/**
 * Object-detection objects as TFDS's voc/coco builders declare them:
 * `Sequence({'bbox': BBoxFeature(), 'label': ClassLabel(...), <flag>: tf.bool, ...})`, length unknown (-1).
 *
 * @example
 * tfdsObjectsFeature(['raccoon'], ['is_difficult', 'is_truncated']);
 */
export function tfdsObjectsFeature(label: readonly string[] | number, flags: readonly string[] = []): TfdsFeatureJson {
  const bbox = { pythonClassName: `${FEATURES}.bounding_boxes.BBoxFeature`, boundingBox: { shape: shape([4]), dtype: 'float32' } };
  const inner = tfdsFeaturesDict({ ...Object.fromEntries(flags.map((flag) => [flag, tfdsBoolFeature()])), bbox, label: tfdsClassLabelFeature(label) });
  return { pythonClassName: `${FEATURES}.sequence_feature.Sequence`, sequence: { feature: inner, length: '-1' } };
}

/**
 * The whole `features.json` of a converted dataset: `image` (Image), `label` (ClassLabel) when
 * labelled, `image/filename` (Text) when written, `objects` (Sequence of BBoxFeature + ClassLabel)
 * for object detection. The record keys TFDS then reads are the same names: `image` (encoded bytes),
 * `label` (int64), `image/filename` (bytes), `objects/bbox` (float, 4 per box, ymin xmin ymax xmax)
 * and `objects/label` (int64 per box).
 *
 * @example
 * const json = buildTfdsFeatures({ image: { channels: 3, encodingFormat: 'jpeg' }, label: { names: ['cat', 'dog'] }, filename: true });
 * await writeFile('out/features.json', JSON.stringify(json, null, 4));
 */
export function buildTfdsFeatures(input: TfdsFeaturesInput): TfdsFeatureJson {
  const features: Record<string, TfdsFeatureJson> = { image: tfdsImageFeature(input.image) };
  if (input.label !== undefined) features.label = tfdsClassLabelFeature(labelOf(input.label));
  if (input.filename === true) features['image/filename'] = { pythonClassName: `${FEATURES}.text_feature.Text`, text: {} };
  if (input.objects !== undefined) features.objects = tfdsObjectsFeature(labelOf(input.objects), input.objects.flags);
  return tfdsFeaturesDict(features);
}

/**
 * The `.labels.txt` files a features dict needs: file name -> names, for every ClassLabel given names.
 *
 * @example
 * tfdsLabelFiles({ image: ..., label: { names: ['cat', 'dog'] } }); // Map { 'label.labels.txt' => ['cat', 'dog'] }
 */
export function tfdsLabelFiles(input: TfdsFeaturesInput): Map<string, readonly string[]> {
  const files = new Map<string, readonly string[]>();
  if (input.label !== undefined && 'names' in input.label) files.set('label.labels.txt', input.label.names);
  // A Sequence passes its own name down: the objects' ClassLabel is `objects-label` (naming.ts).
  if (input.objects !== undefined && 'names' in input.objects) files.set('objects-label.labels.txt', input.objects.names);
  return files;
}
