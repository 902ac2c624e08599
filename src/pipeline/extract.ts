/** Writes the images held in record files back out as files, safely inside one folder. */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Feature, Features } from '../example/index.js';
import { invalidParameterError } from '../errors.js';
import { loadSharp, sniffFormat } from '../image/index.js';
import { readExamples } from './inspect.js';

/** How raw tensors are written. */
export type RawOutput = 'png' | 'npy';

/** Options of {@link extractImages}. */
export interface ExtractOptions {
  readonly rawAs?: RawOutput;
  /** Replace existing files instead of suffixing the new name. */
  readonly overwrite?: boolean;
  /** Called for names that had to be sanitised (leading '/', drive letters, '..', empty parts). */
  readonly onWarning?: (message: string) => void;
}

/** What {@link extractImages} wrote. */
export interface ExtractReport {
  readonly written: number;
  readonly skipped: readonly { readonly file: string; readonly recordIndex: number; readonly reason: string }[];
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

/** The image bytes of a record: an encoded image, or raw pixels with their shape. */
function findImage(features: Features): { kind: 'encoded'; bytes: Uint8Array } | { kind: 'raw'; bytes: Uint8Array; shape: number[]; dtype: string; layout: string; order: string } | null {
  for (const key of ['image/encoded', 'image', 'encoded']) {
    const f = features[key];
    if (f?.kind === 'bytes' && f.values[0] !== undefined && sniffFormat(f.values[0]) !== null) return { kind: 'encoded', bytes: f.values[0] };
  }
  const raw = features['image/raw'] ?? features.image_raw;
  if (raw?.kind === 'bytes' && raw.values[0] !== undefined) {
    const shapeF = features['image/shape'];
    const layout = text(features['image/layout']) ?? 'hwc';
    let shape = shapeF?.kind === 'int64' ? shapeF.values.map(Number) : null;
    if (shape === null) {
      const h = int(features['image/height'] ?? features.height);
      const w = int(features['image/width'] ?? features.width);
      const c = int(features['image/channels'] ?? features.depth) ?? 1n;
      if (h !== null && w !== null) shape = [Number(h), Number(w), Number(c)];
    }
    if (shape === null) return null;
    return { kind: 'raw', bytes: raw.values[0], shape, dtype: text(features['image/dtype']) ?? 'uint8', layout, order: text(features['image/channel_order']) ?? 'rgb' };
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
  const max = dtype === 'float32' ? (Array.prototype.some.call(src, (v: number) => v > 1) ? 255 : 1) : 0;
  const out = dtype === 'uint16' ? new Uint16Array(n) : new Uint8Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < ch; k++) {
        const srcK = order === 'bgr' && ch >= 3 && k < 3 ? 2 - k : k;
        const i = layout === 'chw' ? srcK * h * w + y * w + x : (y * w + x) * ch + srcK;
        const v = Number(src[i] ?? 0);
        out[(y * w + x) * ch + k] = dtype === 'float32' ? Math.max(0, Math.min(255, Math.round((v * 255) / max))) : v;
      }
    }
  }
  const channels = ch as 1 | 2 | 3 | 4;
  const image = loadSharp()(Buffer.from(out.buffer), { raw: { width: w, height: h, channels } });
  return (dtype === 'uint16' ? image.toColourspace(channels >= 3 ? 'rgb16' : 'grey16') : image).png().toBuffer();
}

/**
 * Writes every record's image to `<dir>/<image/filename>` (so a pass-through convert then extract
 * rebuilds the input tree byte for byte), else `<dir>/<class text or label>/<record index>.<ext>`.
 * Raw tensors become PNG, or `.npy` with `rawAs: 'npy'`. Untrusted names are sanitised (with a
 * warning) and always stay inside `dir`; a name that would collide gets a numeric suffix, and
 * nothing is overwritten without `overwrite`.
 *
 * @example
 * const report = await extractImages(['out/train-00000-of-00001.tfrecord'], 'restored');
 */
export async function extractImages(files: readonly string[], dir: string, options: ExtractOptions = {}): Promise<ExtractReport> {
  const rawAs = options.rawAs ?? 'png';
  if (rawAs !== 'png' && rawAs !== 'npy') throw invalidParameterError('rawAs', 'png or npy', rawAs);
  const warnings: string[] = [];
  const skipped: { file: string; recordIndex: number; reason: string }[] = [];
  const used = new Set<string>();
  let written = 0;
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    for await (const entry of readExamples(file)) {
      const image = findImage(entry.features);
      if (image === null) {
        skipped.push({ file, recordIndex: entry.index, reason: 'no image feature' });
        continue;
      }
      let ext: string;
      let bytes: Uint8Array;
      if (image.kind === 'encoded') {
        ext = EXTENSIONS[sniffFormat(image.bytes) ?? ''] ?? 'bin';
        bytes = image.bytes;
      } else if (rawAs === 'npy') {
        ext = 'npy';
        bytes = encodeNpy(image.bytes, image.dtype, image.shape);
      } else {
        ext = 'png';
        bytes = await rawToPng(image.bytes, image.shape, image.dtype, image.layout, image.order);
      }
      const name = text(entry.features['image/filename']);
      let rel: string;
      if (name !== null && name !== '') {
        const safe = sanitizeRelativePath(name);
        if (safe.changed) {
          const message = `${file}: record ${entry.index}: unsafe name "${name}" written as "${safe.path || `${entry.index}.${ext}`}"`;
          warnings.push(message);
          options.onWarning?.(message);
        }
        rel = safe.path === '' ? `${entry.index}.${ext}` : safe.path;
        // Encoded images keep their recorded name (a .JPEG stays .JPEG) unless its extension names
        // another format (a .bmp or .webp transcoded at convert time); raw tensors get their real one.
        if (image.kind === 'raw' || !nameFitsFormat(rel, ext)) rel = `${rel.replace(/\.[^./]*$/, '')}.${ext}`;
      } else {
        const cls = text(entry.features['image/class/text']) ?? int(entry.features['image/class/label'] ?? entry.features.label)?.toString() ?? 'unlabelled';
        const safeCls = sanitizeRelativePath(cls).path || 'unlabelled';
        rel = `${safeCls}/${entry.index}.${ext}`;
      }
      const target = await writeUnique(dir, rel, bytes, options.overwrite === true, used);
      if (target !== rel) {
        const message = `${file}: record ${entry.index}: "${rel}" already taken, written as "${target}"`;
        warnings.push(message);
        options.onWarning?.(message);
      }
      written++;
    }
  }
  return { written, skipped, warnings };
}

/** Writes `bytes` at `dir/rel`, or at `name-1.ext`, `name-2.ext`... when taken (by this run, or on disk without overwrite). */
async function writeUnique(dir: string, rel: string, bytes: Uint8Array, overwrite: boolean, used: Set<string>): Promise<string> {
  const dot = rel.lastIndexOf('.');
  const slash = rel.lastIndexOf('/');
  const [stem, ext] = dot > slash + 1 ? [rel.slice(0, dot), rel.slice(dot)] : [rel, ''];
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? rel : `${stem}-${n}${ext}`;
    if (used.has(candidate)) continue;
    const path = join(dir, ...candidate.split('/'));
    if (!path.startsWith(dir.endsWith(sep) ? dir : dir + sep) && path !== dir) throw new Error(`internal: ${path} escapes ${dir}`);
    await mkdir(dirname(path), { recursive: true });
    if (overwrite) {
      const temp = `${path}.tmp-${process.pid}`;
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(bytes);
      } finally {
        await handle.close();
      }
      await rename(temp, path).catch(async (error: unknown) => {
        await rm(temp, { force: true });
        throw error;
      });
    } else {
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(bytes);
        } finally {
          await handle.close();
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
    }
    used.add(candidate);
    return candidate;
  }
}
