/** `preview`: a PNG contact sheet of records (image, class text, boxes), and the deterministic choice of which records. */
import { createHash } from 'node:crypto';
import type { Features } from '../example/index.js';
import { loadSharp } from '../image/index.js';
import { invalidParameterError } from '../errors.js';
import { BOX_PALETTE, previewClassOf, probeTextRendering, renderTile } from './preview-tile.js';

export { BOX_PALETTE, previewClassOf, probeTextRendering };

/** A record that may be shown: where it is and its class (null when it has none). */
export interface PreviewCandidate {
  readonly file: string;
  readonly recordIndex: number;
  readonly classKey: string | null;
}

/** How many records, how many per class, and the seed of the pick. */
export interface PreviewChoice {
  /** Tiles in the sheet (default 16). */
  readonly count?: number;
  /** At most this many records of one class (default: no limit beyond an even spread). */
  readonly perClass?: number;
  readonly seed?: number;
}

function rank(seed: number, ...parts: (string | number)[]): string {
  return createHash('sha256').update(`${seed}\0${parts.join('\0')}`).digest('hex');
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw invalidParameterError(name, 'positive integer', v);
  return v;
}

/**
 * Picks which records to show, deterministically for a seed: classes take turns (in name order),
 * and within a class the files take turns, each file's records in a seeded order, so the sheet
 * spreads over classes and shards. With `perClass`, no class gives more. The result is grouped by
 * class (classes in name order, records without a class last).
 *
 * @example
 * choosePreviewRecords(candidates, { count: 36, perClass: 3, seed: 0 });
 */
export function choosePreviewRecords(candidates: readonly PreviewCandidate[], choice: PreviewChoice = {}): PreviewCandidate[] {
  const count = positiveInt('count', choice.count, 16);
  const perClass = positiveInt('perClass', choice.perClass, Number.MAX_SAFE_INTEGER);
  const seed = choice.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw invalidParameterError('seed', 'integer', seed);
  const byClass = new Map<string, Map<string, PreviewCandidate[]>>();
  for (const c of candidates) {
    const cls = c.classKey ?? '\uffff';
    const files = byClass.get(cls) ?? new Map<string, PreviewCandidate[]>();
    byClass.set(cls, files);
    const list = files.get(c.file) ?? [];
    files.set(c.file, list);
    list.push(c);
  }
  // Each class as one queue: its files interleaved, each file's records in seeded order.
  const queues = [...byClass.keys()].sort().map((cls) => {
    const files = [...(byClass.get(cls) as Map<string, PreviewCandidate[]>).entries()]
      .sort(([a], [b]) => (rank(seed, a) < rank(seed, b) ? -1 : 1))
      .map(([, list]) => [...list].sort((a, b) => (rank(seed, a.file, a.recordIndex) < rank(seed, b.file, b.recordIndex) ? -1 : 1)));
    const queue: PreviewCandidate[] = [];
    for (let i = 0; files.some((f) => i < f.length); i++) for (const f of files) if (i < f.length) queue.push(f[i] as PreviewCandidate);
    return queue.slice(0, perClass);
  });
  const taken = queues.map(() => 0);
  let total = 0;
  for (let round = 0; total < count && queues.some((q, i) => (taken[i] as number) < q.length); round++) {
    queues.forEach((q, i) => {
      if (total < count && (taken[i] as number) < q.length) {
        taken[i] = (taken[i] as number) + 1;
        total++;
      }
    });
  }
  return queues.flatMap((q, i) => q.slice(0, taken[i]));
}


/** How the sheet looks. */
export interface PreviewOptions {
  /** Tile edge in pixels (default 160). */
  readonly size?: number;
  /** Columns (default: ceil(sqrt(records)), so 16 records give 4x4). */
  readonly columns?: number;
  /** `--raw-shape H,W[,C]` for raw tensors that carry no shape features. */
  readonly rawShape?: readonly number[];
  /** Whether text can be drawn (default: probed once with {@link probeTextRendering}); false draws no captions. */
  readonly probeText?: () => Promise<boolean>;
}

/** The sheet and what it could not show. */
export interface PreviewImage {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  /** Tile edge and caption strip height (0 when text could not be drawn). */
  readonly tileSize: number;
  readonly captionHeight: number;
  /** The gap between tiles and around the sheet, in pixels. */
  readonly gap: number;
  /** Tiles left without an image (no image feature, a raw tensor with no shape, bytes that do not decode), with why. */
  readonly blankTiles: readonly { readonly tile: number; readonly reason: string }[];
  /** Everything worth telling a user: no font for captions, and each blank tile (`tile <i>: <why>`). */
  readonly warnings: readonly string[];
}

const GAP = 4;
const CAPTION = 18;
const BACKGROUND = '#202020';

let textWorks: Promise<boolean> | null = null;

/**
 * Renders records as a PNG contact sheet: a grid of tiles (columns x rows), each the record's image
 * letterboxed in `size` x `size` (encoded images decoded at stored orientation; raw tensors by
 * their shape and dtype), object-detection boxes (normalised `image/object/bbox/*`) drawn in
 * {@link BOX_PALETTE} with their class names, and the class text or label under it. Where SVG text
 * does not render (no font), tiles have no caption strip and `warnings` says so. Deterministic.
 *
 * @example
 * const sheet = await renderPreview(records.map((r) => r.features), { size: 192 });
 * await writeFile('preview.png', sheet.png);
 */
export async function renderPreview(records: readonly Features[], options: PreviewOptions = {}): Promise<PreviewImage> {
  const size = positiveInt('size', options.size, 160);
  if (size > 4096) throw invalidParameterError('size', 'integer between 1 and 4096', size);
  const columns = Math.max(1, options.columns === undefined ? Math.ceil(Math.sqrt(records.length)) : positiveInt('columns', options.columns, 1));
  const rows = Math.max(1, Math.ceil(records.length / columns));
  const warnings: string[] = [];
  const blankTiles: { tile: number; reason: string }[] = [];
  // Probed once per process: the answer depends on the machine's fonts, not on the records.
  const text = options.probeText === undefined ? await (textWorks ??= probeTextRendering()) : await options.probeText();
  if (!text) warnings.push('SVG text does not render here (no font found by libvips/fontconfig): tiles have no captions or box names');
  const captionHeight = text ? CAPTION : 0;
  const settings = { size, captionHeight, rawShape: options.rawShape ?? null, background: BACKGROUND };
  const width = GAP + columns * (size + GAP);
  const height = GAP + rows * (size + captionHeight + GAP);
  const layers: { input: Buffer; left: number; top: number }[] = [];
  // One tile at a time: sharp's pool decodes each image with all cores, and memory stays one tile.
  for (const [i, features] of records.entries()) {
    const { png, warning } = await renderTile(features, previewClassOf(features) ?? '', settings);
    if (warning !== null) {
      warnings.push(`tile ${i}: ${warning}`);
      blankTiles.push({ tile: i, reason: warning });
    }
    layers.push({ input: png, left: GAP + (i % columns) * (size + GAP), top: GAP + Math.floor(i / columns) * (size + captionHeight + GAP) });
  }
  const sheet = loadSharp()({ create: { width, height, channels: 3, background: '#000000' } }).composite(layers);
  return { png: await sheet.png().toBuffer(), width, height, columns, rows, tileSize: size, captionHeight, gap: GAP, blankTiles, warnings };
}

/**
 * The candidates of a set of files for {@link choosePreviewRecords}, then the chosen records' features,
 * in two passes over the records (the first keeps three small fields per record, not the images).
 *
 * @example
 * const records = await loadPreviewRecords(files, readExamples, { count: 16, seed: 0 });
 */
export async function loadPreviewRecords(
  files: readonly string[], read: (file: string) => AsyncIterable<{ readonly index: number; readonly features: Features }>, choice: PreviewChoice = {},
): Promise<{ candidate: PreviewCandidate; features: Features }[]> {
  const candidates: PreviewCandidate[] = [];
  for (const file of files) for await (const r of read(file)) candidates.push({ file, recordIndex: r.index, classKey: previewClassOf(r.features) });
  const chosen = choosePreviewRecords(candidates, choice);
  const wanted = new Map(chosen.map((c, i) => [`${c.file}\0${c.recordIndex}`, i]));
  const out: ({ candidate: PreviewCandidate; features: Features } | undefined)[] = new Array(chosen.length);
  for (const file of new Set(chosen.map((c) => c.file))) {
    for await (const r of read(file)) {
      const at = wanted.get(`${file}\0${r.index}`);
      if (at !== undefined) out[at] = { candidate: chosen[at] as PreviewCandidate, features: r.features };
    }
  }
  return out.filter((x): x is { candidate: PreviewCandidate; features: Features } => x !== undefined);
}
