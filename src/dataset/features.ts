/** Turns a loaded image into the Example features TensorFlow's converters write. */
import { createHash } from 'node:crypto';
import { bytesFeature, int64Feature, type Feature, type Features } from '../example/index.js';
import type { EncodedImage, RawImage } from '../image/index.js';

/** Hex SHA-256 of `bytes`, on the calling thread. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Builds the Inception / Object Detection API image keys for an encoded image, or the raw-tensor
 * keys; label keys are added by the caller. `sha256`: the bytes' hex SHA-256 when known, null to
 * leave image/key/sha256 out (no record carries it), absent to compute it here.
 *
 * @example
 * const features = buildImageFeatures(image, 'cats/1.jpg');
 */
export function buildImageFeatures(image: EncodedImage | RawImage, relPath: string, sha256: string | null = sha256Hex(image.bytes)): Features {
  const features: Record<string, Feature> = {};
  if (image.kind === 'encoded') {
    features['image/encoded'] = bytesFeature(image.bytes);
    features['image/format'] = bytesFeature(image.format);
    features['image/colorspace'] = bytesFeature(image.colorspace);
  } else {
    features['image/raw'] = bytesFeature(image.bytes);
    features['image/shape'] = int64Feature(...image.shape);
    features['image/dtype'] = bytesFeature(image.dtype);
    features['image/layout'] = bytesFeature(image.layout);
    features['image/channel_order'] = bytesFeature(image.channelOrder);
  }
  features['image/height'] = int64Feature(image.height);
  features['image/width'] = int64Feature(image.width);
  features['image/channels'] = int64Feature(image.channels);
  features['image/filename'] = bytesFeature(relPath);
  if (sha256 !== null) features['image/key/sha256'] = bytesFeature(sha256);
  return features;
}

/**
 * The canonical features of a classification record: the image keys (see {@link buildImageFeatures})
 * and the input's label and class text when it has them.
 *
 * @example
 * const canonical = buildLabelledFeatures(image, 'cats/1.jpg', sha256, int64Feature(0), bytesFeature('cats'));
 */
export function buildLabelledFeatures(image: EncodedImage | RawImage, relPath: string, sha256: string | null, label: Feature | null, text: Feature | null): Record<string, Feature> {
  const features: Record<string, Feature> = { ...buildImageFeatures(image, relPath, sha256) };
  if (label !== null) features['image/class/label'] = label;
  if (text !== null) features['image/class/text'] = text;
  return features;
}
