/** Object-detection boxes read out of a record (the Object Detection API's keys), and drawn over its image for `extract --draw-boxes`. */
import type { Feature, Features } from '../example/index.js';
import { decodeKey, formatKey } from '../example/index.js';
import { loadSharp, sniffFormat } from '../image/index.js';
import { BOX_PALETTE } from './preview-tile.js';

/** The four normalised box keys, in the order TensorFlow's records list them. */
export const BOX_KEYS = ['xmin', 'xmax', 'ymin', 'ymax'].map((k) => `image/object/bbox/${k}`);
/** The per-object keys whose lists must have one entry per box when present. */
export const PER_OBJECT_KEYS = [
  ...BOX_KEYS, 'image/object/class/label', 'image/object/class/text', 'image/object/difficult', 'image/object/truncated',
  'image/object/view', 'image/object/area', 'image/object/is_crowd',
];

/** One box of a record: normalised corners, its class text and label id when the record has them. */
export interface RecordBox {
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
  readonly text: string | null;
  readonly label: number | null;
}

function valueCount(f: Feature | undefined): number {
  return f === undefined ? 0 : f.values.length;
}

/**
 * The boxes of a record, or null when it has no `image/object/bbox/*` key. Lists of unequal
 * length give as many boxes as the shortest (verify reports the difference).
 *
 * @example
 * readRecordBoxes(entry.features); // [{ xmin: 0.1, ymin: 0.2, xmax: 0.5, ymax: 0.9, text: 'raccoon', label: 1 }]
 */
export function readRecordBoxes(features: Features): RecordBox[] | null {
  const sides = BOX_KEYS.map((k) => features[k]);
  if (sides.every((f) => f === undefined)) return null;
  const [xmin, xmax, ymin, ymax] = sides.map((f) => (f?.kind === 'float' ? f.values : []));
  const texts = features['image/object/class/text'];
  const labels = features['image/object/class/label'];
  const n = Math.min(...sides.map(valueCount));
  const boxes: RecordBox[] = [];
  for (let i = 0; i < n; i++) {
    const t = texts?.kind === 'bytes' ? texts.values[i] : undefined;
    const l = labels?.kind === 'int64' ? labels.values[i] : undefined;
    boxes.push({
      xmin: xmin?.[i] ?? NaN, ymin: ymin?.[i] ?? NaN, xmax: xmax?.[i] ?? NaN, ymax: ymax?.[i] ?? NaN,
      text: t === undefined ? null : formatKey(decodeKey(t)), label: l === undefined ? null : Number(l),
    });
  }
  return boxes;
}

/** What a box is called: its class text, else its label id, else '?'. */
export function boxClassName(box: RecordBox): string {
  return box.text ?? (box.label === null ? '?' : String(box.label));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
}

/** The SVG overlay for an image of width x height: one rectangle per box in its class colour, the class name above it. */
function boxesSvg(boxes: readonly RecordBox[], width: number, height: number): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const font = Math.max(10, Math.round(Math.min(width, height) / 30));
  const parts = boxes.map((b) => {
    // Colour by label id, else by the text's characters, as the preview does: the same class, the same colour.
    const index = b.label ?? [...boxClassName(b)].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 0);
    const colour = BOX_PALETTE[Math.abs(index) % BOX_PALETTE.length] as string;
    const x = b.xmin * width;
    const y = b.ymin * height;
    const w = Math.max(1, (b.xmax - b.xmin) * width);
    const h = Math.max(1, (b.ymax - b.ymin) * height);
    return `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`
      + `<text x="${(x + stroke).toFixed(2)}" y="${Math.max(font, y - stroke).toFixed(2)}" font-family="sans-serif" font-size="${font}" fill="${colour}">${escapeXml(boxClassName(b))}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * The image with its boxes drawn (sharp composite of an SVG overlay), in the image's own format
 * when that is JPEG (quality 95) or PNG, else as PNG; boxes with a non-finite corner are left out.
 * Pixels are drawn at the stored orientation, as TensorFlow decodes them (EXIF is ignored).
 *
 * @example
 * const { bytes, ext } = await drawRecordBoxes(jpegBytes, readRecordBoxes(features) ?? []);
 */
export async function drawRecordBoxes(encoded: Uint8Array, boxes: readonly RecordBox[]): Promise<{ bytes: Buffer; ext: 'jpg' | 'png' }> {
  const sharp = loadSharp();
  // No rotate(): the pixels as stored, the frame the boxes are normalised in.
  const { data, info } = await sharp(encoded, { animated: false }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const drawable = boxes.filter((b) => [b.xmin, b.ymin, b.xmax, b.ymax].every(Number.isFinite));
  const image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .composite([{ input: Buffer.from(boxesSvg(drawable, info.width, info.height)), left: 0, top: 0 }]);
  return sniffFormat(encoded) === 'jpeg'
    ? { bytes: await image.jpeg({ quality: 95 }).toBuffer(), ext: 'jpg' }
    : { bytes: await image.png().toBuffer(), ext: 'png' };
}
