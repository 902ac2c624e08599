/** Object-detection boxes in the record keys TFDS's Sequence({'bbox', 'label'}) reads: objects/bbox and objects/label. */
import { floatFeature, int64Feature, type Features } from '../example/index.js';
import { invalidParameterError } from '../errors.js';

/** One box, normalised to [0, 1], with its 0-based class id (TFDS ClassLabel ids start at 0). */
export interface TfdsBox {
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
  readonly label: number;
}

/**
 * The features TFDS decodes as `objects`: `objects/bbox` (4 floats per box in TFDS's BBox order
 * ymin, xmin, ymax, xmax; a Sequence of a [4] tensor is stored flattened) and `objects/label` (one
 * int64 per box). Not the Object Detection API's `image/object/bbox/*` keys: a TFDS run writes these.
 *
 * @example
 * encodeTfdsObjects([{ xmin: 0.1, ymin: 0.2, xmax: 0.5, ymax: 0.6, label: 0 }]);
 * // { 'objects/bbox': float [0.2, 0.1, 0.6, 0.5], 'objects/label': int64 [0] }
 */
export function encodeTfdsObjects(boxes: readonly TfdsBox[]): Features {
  const coords: number[] = [];
  const labels: number[] = [];
  for (const b of boxes) {
    // BBoxFeature.encode_example refuses these, so a record with one would not load.
    if (!(b.ymin >= 0 && b.xmin >= 0 && b.ymax <= 1 && b.xmax <= 1 && b.ymin <= b.ymax && b.xmin <= b.xmax)) {
      throw invalidParameterError('box', '0 <= min <= max <= 1 on both axes', JSON.stringify(b));
    }
    coords.push(b.ymin, b.xmin, b.ymax, b.xmax);
    labels.push(b.label);
  }
  return { 'objects/bbox': floatFeature(...coords), 'objects/label': int64Feature(...labels) };
}
