/** Builds Caffe Datum payloads from loaded images and their labels. */
import { encodeDatum, type Datum } from '../datum/index.js';
import type { Feature } from '../example/index.js';
import { DataError } from '../errors.js';
import { loadImage, needsDecode, sniffFormat, type EncodedImage, type ImageContext, type ImageSettings, type RawImage } from '../image/index.js';

/**
 * Loads an image for a Datum. With `--encode jpeg|png`, a file already in that format that needs no
 * transform is stored as it is, as Caffe's convert_imageset does (it re-encodes only when the
 * extension differs or a resize is asked for); everything else goes through the image pipeline.
 *
 * @example
 * const image = await loadDatumImage(bytes, settings.image, { path: 'cat/1.jpg' });
 */
export async function loadDatumImage(bytes: Buffer, settings: ImageSettings, context: ImageContext): Promise<EncodedImage | RawImage> {
  const wanted = settings.encode;
  if ((wanted === 'jpeg' || wanted === 'png') && sniffFormat(bytes) === wanted) {
    const keep: ImageSettings = { ...settings, encode: 'keep' };
    if (!needsDecode(keep)) {
      const image = await loadImage(bytes, keep, context);
      // A CMYK JPEG or an animated PNG is still re-encoded, like any other file needing a change.
      if (image.kind === 'encoded' && image.format === wanted && image.transcoded === null) return image;
    }
  }
  return loadImage(bytes, settings, context);
}

/**
 * A Datum for one image: raw uint8 CHW BGR pixels with channels, height and width, or encoded
 * bytes with `encoded = true` (dims only with `datumDims`, as Caffe leaves them unset). A single
 * int64 label goes to `label`; multi-valued or float labels go to `float_data` when `labelTo` says
 * so.
 *
 * @example
 * const payload = buildDatumPayload(image, int64Feature(3), { datumDims: false, labelTo: 'label' });
 */
export function buildDatumPayload(
  image: EncodedImage | RawImage,
  label: Feature | null,
  options: { readonly datumDims: boolean; readonly labelTo: 'label' | 'float_data' },
): Uint8Array {
  const datum: { -readonly [K in keyof Datum]: Datum[K] } = { data: image.bytes };
  if (image.kind === 'raw' || options.datumDims) {
    datum.channels = image.channels;
    datum.height = image.height;
    datum.width = image.width;
  }
  if (image.kind === 'encoded') datum.encoded = true;
  if (label !== null) {
    if (fitsDatumLabel(label) && options.labelTo === 'label') datum.label = Number(label.values[0]);
    else if (options.labelTo === 'float_data' && label.kind !== 'bytes') datum.floatData = label.values.map(Number);
    else throw new DataError(describeLabelProblem(label));
  }
  return encodeDatum(datum);
}

/** The message for a label Caffe's single int32 cannot hold. */
export function describeLabelProblem(label: Feature): string {
  const shown = label.values.map((v) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : 'text')).join(', ');
  return `Caffe's Datum holds one int32 label, but this label is [${shown}] (${label.kind}); pass --label-to float_data to store it in float_data`;
}

/** Whether a label fits Caffe's single int32 `label` field. */
export function fitsDatumLabel(label: Feature | null): boolean {
  if (label === null) return true;
  if (label.kind !== 'int64' || label.values.length !== 1) return false;
  const value = Number(label.values[0]);
  return value >= -(2 ** 31) && value <= 2 ** 31 - 1;
}
