/** Writes the images held in record files back out as files, safely inside one folder. */
import type { Feature, Features } from '../example/index.js';
import { invalidParameterError } from '../errors.js';
import { DEFAULT_MAX_PIXELS, loadSharp, sniffFormat } from '../image/index.js';
import { OutputFolder, UnwritableNameError } from './extract-folder.js';
import { readExamples } from './examples.js';
import { drawRecordBoxes, readRecordBoxes } from './extract-boxes.js';

/** How raw tensors are written. */
export type RawOutput = 'png' | 'npy';

/** Options of {@link extractImages}. */
export interface ExtractOptions {
  readonly rawAs?: RawOutput;
  /** Replace existing files instead of suffixing the new name. */
  readonly overwrite?: boolean;
  /** The shape of every raw tensor (e.g. [28, 28, 1]), over the record's own shape features. */
  readonly rawShape?: readonly number[];
  /** Raw tensors with more pixels (height x width) are reported, not rebuilt (default 268402689, as convert). */
  readonly maxPixels?: number;
  /** Called for every rename: unsafe names (leading '/', drive letters, '..'), long names, clashes. */
  readonly onWarning?: (message: string) => void;
  /** Draw each record's object-detection boxes (image/object/bbox/*) with their class names onto the written image. */
  readonly drawBoxes?: boolean;
}

/**
 * Why a record was not written: 'no-image' (no image feature), 'raw-shape' (raw data with no usable
 * shape), 'raw-size' (shape and data length disagree), 'too-many-pixels', 'unwritable' (its name),
 * 'draw-boxes' (with drawBoxes: the image does not decode to draw on).
 */
export type ExtractProblemKind = 'no-image' | 'raw-shape' | 'raw-size' | 'too-many-pixels' | 'unwritable' | 'draw-boxes';

/** One record {@link extractImages} did not write. */
export interface ExtractSkip {
  readonly file: string;
  readonly recordIndex: number;
  readonly kind: ExtractProblemKind;
  readonly reason: string;
}

/** What {@link extractImages} wrote; every record read is either written or in `skipped`. */
export interface ExtractReport {
  readonly written: number;
  readonly skipped: readonly ExtractSkip[];
  readonly warnings: readonly string[];
}

const EXTENSIONS: Readonly<Record<string, string>> = { jpeg: 'jpg', png: 'png', gif: 'gif', bmp: 'bmp', webp: 'webp', tiff: 'tif' };
/** Every extension that names the format of each extension in {@link EXTENSIONS}. */
const EXTENSION_ALIASES: Readonly<Record<string, readonly string[]>> = {
  jpg: ['jpg', 'jpeg', 'jpe', 'jfif'], png: ['png'], gif: ['gif'], bmp: ['bmp', 'dib'], webp: ['webp'], tif: ['tif', 'tiff'],
};

/** Whether `rel`'s extension names the format whose canonical extension is `ext` (unknown bytes fit any name). */
function nameFitsFormat(rel: string, ext: string): boolean {
  const aliases = EXTENSION_ALIASES[ext];
  if (aliases === undefined) return true;
  const match = /\.([^./]*)$/.exec(rel);
  return match !== null && aliases.includes((match[1] as string).toLowerCase());
}

/**
 * Makes an untrusted record name safe: `/` and `\` separate parts; leading `/`, drive letters,
 * `.`, `..` and empty parts are dropped, so the result always stays inside the output folder.
 *
 * @example
 * sanitizeRelativePath('../../escape.jpg'); // { path: 'escape.jpg', changed: true }
 */
export function sanitizeRelativePath(name: string): { path: string; changed: boolean } {
  const parts = name.replace(/^[A-Za-z]:/, '').split(/[\\/]+/);
  const kept = parts.filter((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\0'));
  const path = kept.join('/');
  return { path, changed: path !== name };
}

function text(feature: Feature | undefined): string | null {
  return feature?.kind === 'bytes' && feature.values.length > 0 ? Buffer.from(feature.values[0] as Uint8Array).toString('utf8') : null;
}

function int(feature: Feature | undefined): bigint | null {
  return feature?.kind === 'int64' && feature.values.length > 0 ? (feature.values[0] as bigint) : null;
}

/** Raw pixels from a record: bytes of `dtype`, with the shape it declares (null: it declares none). */
interface RawImage {
  readonly kind: 'raw';
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly shape: readonly number[] | null;
  readonly dtype: string;
  readonly layout: string;
  readonly order: string;
}

/** Float-list keys that hold a whole image (TFX's MNIST `image_floats`, a Caffe Datum's `float_data`). */
const FLOAT_KEYS = ['image_floats', 'image/floats', 'float_data', 'image/raw', 'image_raw', 'image'];

/** A float list as float32 little-endian bytes, the layout `encodeNpy` and `rawToPng` read. */
function floatBytes(values: readonly number[]): Uint8Array {
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i] as number, i * 4);
  return out;
}

/** The shape of a raw tensor: `rawShape` when given, else `image/shape`, else height/width/channels features. */
function declaredShape(features: Features, rawShape: readonly number[] | null): number[] | null {
  if (rawShape !== null) return [...rawShape];
  const shapeF = features['image/shape'];
  if (shapeF?.kind === 'int64' && shapeF.values.length > 0) return shapeF.values.map(Number);
  const h = int(features['image/height'] ?? features.height);
  const w = int(features['image/width'] ?? features.width);
  const c = int(features['image/channels'] ?? features['image/depth'] ?? features.depth ?? features.channels) ?? 1n;
  return h !== null && w !== null ? [Number(h), Number(w), Number(c)] : null;
}

/** The image bytes of a record: an encoded image, or raw pixels (bytes or a float list) with their shape. */
function findImage(features: Features, rawShape: readonly number[] | null): { kind: 'encoded'; bytes: Uint8Array } | RawImage | null {
  for (const key of ['image/encoded', 'image', 'encoded']) {
    const f = features[key];
    if (f?.kind === 'bytes' && f.values[0] !== undefined && sniffFormat(f.values[0]) !== null) return { kind: 'encoded', bytes: f.values[0] };
  }
  const layout = text(features['image/layout']) ?? 'hwc';
  const order = text(features['image/channel_order']) ?? 'rgb';
  const rawKey = features['image/raw'] === undefined ? 'image_raw' : 'image/raw';
  const raw = features[rawKey];
  if (raw?.kind === 'bytes' && raw.values[0] !== undefined && raw.values[0].length > 0) {
    const shape = declaredShape(features, rawShape);
    return { kind: 'raw', key: rawKey, bytes: raw.values[0], shape, dtype: text(features['image/dtype']) ?? 'uint8', layout, order };
  }
  for (const key of FLOAT_KEYS) {
    const f = features[key];
    if (f?.kind === 'float' && f.values.length > 0) {
      return { kind: 'raw', key, bytes: floatBytes(f.values), shape: declaredShape(features, rawShape), dtype: 'float32', layout, order };
    }
  }
  // Declared raw data with no bytes is a record that lost its pixels, not one without an image.
  if (raw?.kind === 'bytes' && raw.values[0] !== undefined) {
    return { kind: 'raw', key: rawKey, bytes: raw.values[0], shape: declaredShape(features, rawShape), dtype: text(features['image/dtype']) ?? 'uint8', layout, order };
  }
  return null;
}

const DTYPE_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float32: 4 };

/**
 * Why a raw tensor cannot be rebuilt, checked before anything is allocated: a shape that is missing,
 * not 1 to 4 positive integers, or disagrees with the data length, or more pixels than `maxPixels`.
 */
function checkRaw(image: RawImage, maxPixels: number, rawAs: RawOutput): { kind: ExtractProblemKind; reason: string } | null {
  const { shape, dtype } = image;
  if (shape === null) return { kind: 'raw-shape', reason: `${image.key} holds raw data but no shape (no image/shape or height/width features); pass --raw-shape H,W,C` };
  const size = DTYPE_BYTES[dtype];
  if (size === undefined) return { kind: 'raw-shape', reason: `${image.key} has unknown dtype "${dtype}" (expected uint8, uint16 or float32)` };
  if (shape.length < 1 || shape.length > 4 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    return { kind: 'raw-shape', reason: `${image.key} declares shape [${shape.join(', ')}]: expected 1 to 4 positive integers` };
  }
  // BigInt: a hostile shape's product overflows a double's exact range.
  const expected = shape.reduce((total, d) => total * BigInt(d), BigInt(size));
  if (expected !== BigInt(image.bytes.length)) {
    return { kind: 'raw-size', reason: `${image.key} is ${image.bytes.length} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${expected}` };
  }
  const [a = 1, b = 1, c = 1] = shape;
  const [h, w, ch] = image.layout === 'chw' ? [b, c, a] : [a, b, c];
  if (h * w > maxPixels) return { kind: 'too-many-pixels', reason: `${image.key}: ${w}x${h} = ${h * w} pixels exceeds --max-pixels ${maxPixels}` };
  if (rawAs === 'png' && (shape.length > 3 || ch > 4)) {
    return { kind: 'raw-shape', reason: `${image.key} has shape [${shape.join(', ')}]: a PNG takes height, width and 1 to 4 channels (use --raw-as npy)` };
  }
  return null;
}

/**
 * A NumPy .npy v1.0 file: magic, header dict padded to 64 bytes, then the values (little-endian).
 *
 * @example
 * encodeNpy(pixels, 'uint8', [28, 28, 1]); // numpy.load() gives a (28, 28, 1) uint8 array
 */
export function encodeNpy(data: Uint8Array, dtype: string, shape: readonly number[]): Buffer {
  const descr = ({ uint8: '|u1', uint16: '<u2', float32: '<f4' } as Record<string, string>)[dtype];
  if (descr === undefined) throw invalidParameterError('dtype', 'uint8, uint16 or float32', dtype);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

/** Raw pixels (any layout/order/dtype we write) back to an 8- or 16-bit HWC RGB buffer for PNG. */
async function rawToPng(bytes: Uint8Array, shape: readonly number[], dtype: string, layout: string, order: string): Promise<Buffer> {
  const [a = 1, b = 1, c = 1] = shape;
  const [h, w, ch] = layout === 'chw' ? [b, c, a] : [a, b, c];
  const n = h * w * ch;
  const src = dtype === 'float32' ? new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 4))
    : dtype === 'uint16' ? new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 2)) : bytes;
  // Floats in [0, 1] or [0, 255] scale to bytes; with negatives (MNIST's x / 255 - 0.5) the
  // record's own range maps to 0..255, since a PNG cannot hold the values themselves (npy can).
  let [low, max] = [0, 0];
  if (dtype === 'float32') {
    const values = src as Float32Array;
    const min = values.reduce((m, v) => Math.min(m, v), 0);
    const top = values.reduce((m, v) => Math.max(m, v), -Infinity);
    [low, max] = min < 0 ? [min, top - min || 1] : [0, top > 1 ? 255 : 1];
  }
  const out = dtype === 'uint16' ? new Uint16Array(n) : new Uint8Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < ch; k++) {
        const srcK = order === 'bgr' && ch >= 3 && k < 3 ? 2 - k : k;
        const i = layout === 'chw' ? srcK * h * w + y * w + x : (y * w + x) * ch + srcK;
        const v = Number(src[i] ?? 0);
        out[(y * w + x) * ch + k] = dtype === 'float32' ? Math.max(0, Math.min(255, Math.round(((v - low) * 255) / max))) : v;
      }
    }
  }
  const channels = ch as 1 | 2 | 3 | 4;
  const image = loadSharp()(Buffer.from(out.buffer), { raw: { width: w, height: h, channels } });
  return (dtype === 'uint16' ? image.toColourspace(channels >= 3 ? 'rgb16' : 'grey16') : image).png().toBuffer();
}

/** The bytes to write for one record and their extension, or why there are none. */
async function encodeRecordImage(
  features: Features, settings: ExtractSettings,
): Promise<{ ext: string; bytes: Uint8Array; raw: boolean } | { kind: ExtractProblemKind; reason: string }> {
  const plain = await encodePlainImage(features, settings);
  if ('kind' in plain || !settings.drawBoxes || plain.ext === 'npy') return plain;
  const boxes = readRecordBoxes(features);
  if (boxes === null || boxes.length === 0) return plain;
  try {
    const drawn = await drawRecordBoxes(plain.bytes, boxes);
    // A drawn image is no longer the stored bytes: it takes the extension of what it now is.
    return { ext: drawn.ext, bytes: drawn.bytes, raw: plain.raw || drawn.ext !== plain.ext };
  } catch (error) {
    return { kind: 'draw-boxes', reason: `cannot draw boxes on the ${plain.ext} image: ${(error as Error).message}` };
  }
}

/** The settings of one extract run. */
interface ExtractSettings { readonly rawAs: RawOutput; readonly rawShape: readonly number[] | null; readonly maxPixels: number; readonly drawBoxes: boolean }

async function encodePlainImage(
  features: Features, settings: ExtractSettings,
): Promise<{ ext: string; bytes: Uint8Array; raw: boolean } | { kind: ExtractProblemKind; reason: string }> {
  const image = findImage(features, settings.rawShape);
  if (image === null) return { kind: 'no-image', reason: 'no image feature' };
  if (image.kind === 'encoded') return { ext: EXTENSIONS[sniffFormat(image.bytes) ?? ''] ?? 'bin', bytes: image.bytes, raw: false };
  const problem = checkRaw(image, settings.maxPixels, settings.rawAs);
  if (problem !== null) return problem;
  const shape = image.shape as readonly number[];
  if (settings.rawAs === 'npy') return { ext: 'npy', bytes: encodeNpy(image.bytes, image.dtype, shape), raw: true };
  return { ext: 'png', bytes: await rawToPng(image.bytes, shape, image.dtype, image.layout, image.order), raw: true };
}

/** Where a record goes, relative to the output folder: its sanitised `image/filename`, else `<class>/<index>.<ext>`. */
function chooseName(features: Features, index: number, ext: string, raw: boolean, warn: (message: string) => void): string {
  const name = text(features['image/filename']);
  if (name === null || name === '') {
    const cls = text(features['image/class/text']) ?? int(features['image/class/label'] ?? features.label ?? features.image_class)?.toString() ?? 'unlabelled';
    const safeCls = sanitizeRelativePath(cls).path || 'unlabelled';
    return `${safeCls}/${index}.${ext}`;
  }
  const safe = sanitizeRelativePath(name);
  if (safe.changed) warn(`unsafe name "${name}" written as "${safe.path || `${index}.${ext}`}"`);
  const rel = safe.path === '' ? `${index}.${ext}` : safe.path;
  // Encoded images keep their recorded name (a .JPEG stays .JPEG) unless its extension names
  // another format (a .bmp or .webp transcoded at convert time); raw tensors get their real one.
  return raw || !nameFitsFormat(rel, ext) ? `${rel.replace(/\.[^./]*$/, '')}.${ext}` : rel;
}

function resolveExtractOptions(options: ExtractOptions): ExtractSettings {
  const rawAs = options.rawAs ?? 'png';
  if (rawAs !== 'png' && rawAs !== 'npy') throw invalidParameterError('rawAs', 'png or npy', rawAs);
  const rawShape = options.rawShape ?? null;
  if (rawShape !== null && (!Array.isArray(rawShape) || rawShape.length < 1 || rawShape.length > 4 || !rawShape.every((d) => Number.isSafeInteger(d) && d > 0))) {
    throw invalidParameterError('rawShape', 'array of 1 to 4 positive integers', rawShape);
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw invalidParameterError('maxPixels', `integer between 1 and ${Number.MAX_SAFE_INTEGER}`, maxPixels);
  }
  return { rawAs, rawShape, maxPixels, drawBoxes: options.drawBoxes === true };
}

/**
 * Writes every record's image to `<dir>/<image/filename>` (so a pass-through convert then extract
 * rebuilds the input tree byte for byte), else `<dir>/<class text or label>/<record index>.<ext>`.
 * Raw tensors (bytes, or a float list such as MNIST's `image_floats`) become PNG, or `.npy` with
 * `rawAs: 'npy'`; their shape comes from `rawShape`, else the record's features, and is checked
 * against the data and `maxPixels` before anything is allocated. Untrusted names are sanitised and
 * always stay inside `dir` (no link inside it is followed); a name that is too long, taken, or
 * clashes with a folder is renamed with a warning, and nothing is overwritten without `overwrite`.
 * A record that cannot be written is in `skipped` with a `kind`; the run goes on.
 *
 * @example
 * const report = await extractImages(['mnist.tfrecord'], 'arrays', { rawAs: 'npy', rawShape: [28, 28, 1] });
 * console.log(report.written, report.skipped.length);
 */
export async function extractImages(files: readonly string[], dir: string, options: ExtractOptions = {}): Promise<ExtractReport> {
  const settings = resolveExtractOptions(options);
  const warnings: string[] = [];
  const skipped: ExtractSkip[] = [];
  const folder = await OutputFolder.open(dir);
  let written = 0;
  for (const file of files) {
    for await (const entry of readExamples(file)) {
      const warn = (message: string): void => {
        const full = `${file}: record ${entry.index}: ${message}`;
        warnings.push(full);
        options.onWarning?.(full);
      };
      const image = await encodeRecordImage(entry.features, settings);
      if ('kind' in image) {
        skipped.push({ file, recordIndex: entry.index, kind: image.kind, reason: image.reason });
        continue;
      }
      const rel = chooseName(entry.features, entry.index, image.ext, image.raw, warn);
      try {
        const placed = await folder.write(rel, image.bytes, options.overwrite === true);
        for (const note of placed.notes) warn(note);
        written++;
      } catch (error) {
        if (!(error instanceof UnwritableNameError)) throw error;
        skipped.push({ file, recordIndex: entry.index, kind: 'unwritable', reason: error.message });
      }
    }
  }
  return { written, skipped, warnings };
}
