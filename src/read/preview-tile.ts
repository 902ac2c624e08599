/** One preview tile: the record's image (encoded or raw tensor) fitted in a square, its boxes, and its caption. */
import type { Feature, Features } from '../example/index.js';
import { decodeKey, formatKey } from '../example/index.js';
import { decodeBmp, loadSharp, sniffFormat } from '../image/index.js';

/** Box colours, by class id (or by class name's order when records carry no ids). */
export const BOX_PALETTE: readonly string[] = Object.freeze([
  '#ff0000', '#00c000', '#0060ff', '#ff9900', '#c000ff', '#00d0d0', '#ff00a0', '#a0a000', '#804000', '#008080',
]);

/** What a tile needs besides the record. */
export interface TileSettings {
  readonly size: number;
  /** Caption strip height; 0 when text cannot be rendered here. */
  readonly captionHeight: number;
  readonly rawShape: readonly number[] | null;
  readonly background: string;
}

/** 8-bit pixels ready for sharp's raw input. */
interface Pixels { readonly data: Buffer; readonly width: number; readonly height: number; readonly channels: 1 | 2 | 3 | 4 }

function text(f: Feature | undefined, i = 0): string | null {
  if (f?.kind !== 'bytes' || f.values[i] === undefined) return null;
  return formatKey(decodeKey(f.values[i] as Uint8Array));
}

function int(f: Feature | undefined, i = 0): number | null {
  if (f === undefined || f.kind === 'bytes' || f.values[i] === undefined) return null;
  return Number(f.values[i]);
}

/**
 * The class a record shows under: its class text, else its label id, else (an Object Detection
 * record) its boxes' classes with their counts, else null.
 *
 * @example
 * previewClassOf(example.features); // 'cat'
 */
export function previewClassOf(features: Features): string | null {
  const name = text(features['image/class/text']);
  if (name !== null) return name;
  for (const key of ['image/class/label', 'label', 'image_class']) {
    const v = int(features[key]);
    if (v !== null) return String(v);
  }
  const boxes = features['image/object/class/text'];
  if (boxes?.kind === 'bytes' && boxes.values.length > 0) {
    const counts = new Map<string, number>();
    for (let i = 0; i < boxes.values.length; i++) {
      const name = text(boxes, i) ?? '';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return [...counts].map(([name, n]) => (n === 1 ? name : `${name} x${n}`)).join(', ');
  }
  return null;
}

function findEncoded(features: Features): Uint8Array | null {
  for (const key of ['image/encoded', 'image', 'encoded', ...Object.keys(features)]) {
    const f = features[key];
    if (f?.kind === 'bytes' && f.values[0] !== undefined && f.values[0].length > 64 && sniffFormat(f.values[0]) !== null) return f.values[0];
  }
  return null;
}

/** The raw tensor's shape in layout order: rawShape, image/shape, or height/width/channels keys. */
function rawShapeOf(features: Features, rawShape: readonly number[] | null, prefixes: readonly string[]): number[] | null {
  if (rawShape !== null) return [...rawShape];
  const shape = features['image/shape'];
  if (shape?.kind === 'int64' && shape.values.length > 0) return shape.values.map(Number);
  for (const p of prefixes) {
    const h = int(features[`${p}height`]);
    const w = int(features[`${p}width`]);
    if (h !== null && w !== null) return [h, w, int(features[`${p}channels`] ?? features[`${p}depth`]) ?? 1];
  }
  return null;
}

function toSamples(bytes: Uint8Array, dtype: string): Float64Array | Uint8Array {
  if (dtype === 'uint8') return bytes;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'uint16' ? 2 : 4;
  const out = new Float64Array(Math.floor(bytes.length / size));
  for (let i = 0; i < out.length; i++) out[i] = size === 2 ? view.readUInt16LE(i * 2) / 257 : view.readFloatLE(i * 4);
  if (dtype === 'float32') {
    // Floats in [0, 1] or [0, 255] scale to bytes; with negatives, the record's own range maps to 0..255.
    let min = 0;
    let max = -Infinity;
    for (const v of out) { min = Math.min(min, v); max = Math.max(max, v); }
    const [low, span] = min < 0 ? [min, (max - min) || 1] : [0, max > 1 ? 255 : 1];
    for (let i = 0; i < out.length; i++) out[i] = ((out[i] as number) - low) * 255 / span;
  }
  return out;
}

/** Raw samples (HWC or CHW, RGB or BGR) to 8-bit HWC RGB for sharp; null when shape and size disagree. */
function rawToPixels(bytes: Uint8Array, shape: readonly number[], dtype: string, layout: string, order: string): Pixels | null {
  const size = dtype === 'uint8' ? 1 : dtype === 'uint16' ? 2 : dtype === 'float32' ? 4 : 0;
  const [a = 1, b = 1, c = 1] = shape;
  const [h, w, ch] = layout === 'chw' ? [b, c, a] : [a, b, c];
  if (size === 0 || shape.length < 2 || shape.length > 3 || ch < 1 || ch > 4 || h * w * ch * size !== bytes.length) return null;
  const src = toSamples(bytes, dtype);
  const out = Buffer.alloc(h * w * ch);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < ch; k++) {
        const sk = order === 'bgr' && ch >= 3 && k < 3 ? 2 - k : k;
        const i = layout === 'chw' ? sk * h * w + y * w + x : (y * w + x) * ch + sk;
        out[(y * w + x) * ch + k] = Math.max(0, Math.min(255, Math.round(Number(src[i] ?? 0))));
      }
    }
  }
  return { data: out, width: w, height: h, channels: ch as Pixels['channels'] };
}

function findRaw(features: Features, rawShape: readonly number[] | null): Pixels | null {
  const layout = text(features['image/layout']) ?? 'hwc';
  const order = text(features['image/channel_order']) ?? 'rgb';
  for (const key of ['image/raw', 'image_raw', 'image']) {
    const f = features[key];
    if (f?.kind !== 'bytes' || f.values[0] === undefined) continue;
    const shape = rawShapeOf(features, rawShape, ['image/', 'image_', '']);
    if (shape === null) continue;
    let bytes: Uint8Array = f.values[0];
    const n = shape.reduce((x, y) => x * y, 1);
    // TFRecorder keeps pixels as URL-safe base64 text.
    if (bytes.length === Math.ceil(n / 3) * 4 && bytes.length !== n) bytes = Buffer.from(Buffer.from(bytes).toString('latin1'), 'base64url');
    const pixels = rawToPixels(bytes, shape, text(features['image/dtype']) ?? 'uint8', layout, order);
    if (pixels !== null) return pixels;
  }
  for (const key of ['image_floats', 'image/floats', 'float_data', 'image/raw', 'image_raw', 'image']) {
    const f = features[key];
    if (f?.kind !== 'float' || f.values.length === 0) continue;
    const shape = rawShapeOf(features, rawShape, ['image/', 'image_', '']);
    if (shape === null) continue;
    const bytes = Buffer.alloc(f.values.length * 4);
    f.values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    const pixels = rawToPixels(bytes, shape, 'float32', layout, order);
    if (pixels !== null) return pixels;
  }
  return null;
}

/** The record's pixels as a sharp instance at stored orientation (TensorFlow ignores EXIF, so boxes do too). */
async function loadPixels(features: Features, rawShape: readonly number[] | null): Promise<{ image: ReturnType<ReturnType<typeof loadSharp>>; width: number; height: number } | null> {
  const sharp = loadSharp();
  const encoded = findEncoded(features);
  if (encoded !== null) {
    if (sniffFormat(encoded) === 'bmp') {
      const bmp = decodeBmp(encoded);
      return { image: sharp(Buffer.from(bmp.data), { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } }), width: bmp.width, height: bmp.height };
    }
    const meta = await sharp(encoded, { animated: false }).metadata();
    if (meta.width === undefined || meta.height === undefined) return null;
    return { image: sharp(encoded, { animated: false }), width: meta.width, height: meta.height };
  }
  const raw = findRaw(features, rawShape);
  if (raw === null) return null;
  return { image: sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }), width: raw.width, height: raw.height };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string)
    // XML 1.0 refuses most control characters: a hostile class name must not break the overlay.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '?');
}

function fit(s: string, px: number, fontSize: number): string {
  const max = Math.max(1, Math.floor(px / (fontSize * 0.6)));
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}\u2026`;
}

/** A record's boxes (Object Detection API keys), each with its class text and colour. */
function boxesOf(features: Features): { xmin: number; ymin: number; xmax: number; ymax: number; name: string; colour: string }[] {
  const [xmin, ymin, xmax, ymax] = ['xmin', 'ymin', 'xmax', 'ymax'].map((k) => features[`image/object/bbox/${k}`]);
  if (xmin?.kind !== 'float' || ymin?.kind !== 'float' || xmax?.kind !== 'float' || ymax?.kind !== 'float') return [];
  const n = Math.min(xmin.values.length, ymin.values.length, xmax.values.length, ymax.values.length);
  const labels = features['image/object/class/label'];
  const texts = features['image/object/class/text'];
  const boxes = [];
  for (let i = 0; i < n; i++) {
    const id = int(labels, i);
    const name = text(texts, i) ?? (id === null ? '' : String(id));
    // Colour by id when there is one, else by the name's character codes: the same class, the same colour.
    const index = id ?? [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 0);
    boxes.push({ xmin: xmin.values[i] as number, ymin: ymin.values[i] as number, xmax: xmax.values[i] as number, ymax: ymax.values[i] as number, name, colour: BOX_PALETTE[index % BOX_PALETTE.length] as string });
  }
  return boxes;
}

/** The SVG overlay of a tile: boxes over the image area at (left, top) of dw x dh, then the caption. */
function overlaySvg(features: Features, s: TileSettings, area: { left: number; top: number; width: number; height: number }, caption: string): string {
  const font = 11;
  const parts: string[] = [];
  for (const b of boxesOf(features)) {
    const x = area.left + b.xmin * area.width;
    const y = area.top + b.ymin * area.height;
    const w = Math.max(1, (b.xmax - b.xmin) * area.width);
    const h = Math.max(1, (b.ymax - b.ymin) * area.height);
    parts.push(`<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" fill="none" stroke="${b.colour}" stroke-width="2"/>`);
    if (s.captionHeight > 0 && b.name !== '') {
      parts.push(`<text x="${(x + 2).toFixed(2)}" y="${Math.max(font, y - 2).toFixed(2)}" font-family="sans-serif" font-size="${font}" fill="${b.colour}">${escapeXml(fit(b.name, w + 40, font))}</text>`);
    }
  }
  if (s.captionHeight > 0 && caption !== '') {
    parts.push(`<text x="${s.size / 2}" y="${s.size + s.captionHeight - 5}" font-family="sans-serif" font-size="${font + 1}" fill="#ffffff" text-anchor="middle">${escapeXml(fit(caption, s.size - 4, font + 1))}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s.size}" height="${s.size + s.captionHeight}">${parts.join('')}</svg>`;
}

/**
 * One tile as PNG bytes: the image fitted (letterboxed) in size x size, boxes drawn, the caption
 * under it; a record with no image, or one that does not decode, gets an empty tile and a warning.
 *
 * @example
 * const { png, warning } = await renderTile(example.features, 'cat', { size: 160, captionHeight: 18, rawShape: null, background: '#202020' });
 */
export async function renderTile(features: Features, caption: string, s: TileSettings): Promise<{ png: Buffer; warning: string | null }> {
  const sharp = loadSharp();
  const base = sharp({ create: { width: s.size, height: s.size + s.captionHeight, channels: 3, background: s.background } });
  let loaded: Awaited<ReturnType<typeof loadPixels>> = null;
  let warning: string | null = null;
  try {
    loaded = await loadPixels(features, s.rawShape);
    if (loaded === null) warning = 'no image feature (or a raw tensor with no shape: pass --raw-shape, rawShape in the library)';
  } catch (error) {
    warning = `image does not decode: ${(error as Error).message}`;
  }
  const layers: { input: Buffer; left: number; top: number }[] = [];
  let area = { left: 0, top: 0, width: s.size, height: s.size };
  if (loaded !== null) {
    const scale = Math.min(s.size / loaded.width, s.size / loaded.height);
    const width = Math.max(1, Math.round(loaded.width * scale));
    const height = Math.max(1, Math.round(loaded.height * scale));
    area = { left: Math.floor((s.size - width) / 2), top: Math.floor((s.size - height) / 2), width, height };
    const input = await loaded.image.resize(width, height, { fit: 'fill' }).flatten({ background: s.background }).toColourspace('srgb').png().toBuffer();
    layers.push({ input, left: area.left, top: area.top });
  }
  layers.push({ input: Buffer.from(overlaySvg(features, s, area, caption)), left: 0, top: 0 });
  return { png: await base.composite(layers).png().toBuffer(), warning };
}

/**
 * Whether SVG text renders here (libvips needs a font through fontconfig): draws a white "Ag" on
 * black and looks for any lit pixel.
 *
 * @example
 * if (!(await probeTextRendering())) console.warn('no font: tiles without captions');
 */
export async function probeTextRendering(): Promise<boolean> {
  try {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#000"/><text x="2" y="15" font-family="sans-serif" font-size="14" fill="#fff">Ag</text></svg>';
    const { data } = await loadSharp()(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
    return data.some((v) => v > 64);
  } catch {
    return false;
  }
}
