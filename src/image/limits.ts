/** Per-image limits beyond --max-pixels: a working-memory estimate checked before decoding, and a time limit. */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import type SharpModule from 'sharp';
import { ImageError } from '../errors.js';
import type { ImageSettings } from './settings.js';
import { loadSharp } from './sharp.js';
import type { SourceFormat } from './sniff.js';

/** Bytes per sample of each libvips band format (sharp's `metadata().depth`). */
const SAMPLE_BYTES: Readonly<Record<string, number>> = {
  uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4, complex: 8, double: 8, dpcomplex: 16,
};

/**
 * Copies of a raw tensor alive at once: the decoded pixels sharp hands back, the tensor in the
 * stored layout, and the record (Example or Datum) that holds it until it is written.
 */
const RAW_COPIES = 3;

/**
 * The per-image memory budget: 4 bytes x --max-pixels (1 GiB at the default), i.e. one 8-bit RGBA
 * frame at the pixel limit. Raising --max-pixels raises it.
 *
 * @example
 * imageMemoryBudget(resolveImageSettings()); // 1073610756
 */
export function imageMemoryBudget(settings: ImageSettings): number {
  return settings.maxPixels * 4;
}

/** What an image's header says, as far as its working memory goes. */
export interface MemoryFacts {
  readonly width: number;
  readonly height: number;
  /** Bands of the decoded image (sharp's `metadata().channels`). */
  readonly bands: number;
  /** libvips band format (sharp's `metadata().depth`), e.g. 'uchar', 'ushort'. */
  readonly depth: string;
  readonly sourceFormat: SourceFormat;
  /** SVG filter primitives (`<feGaussianBlur>`, ...): librsvg renders each into a surface of its own. */
  readonly svgFilters: number;
}

/**
 * Bytes an image will hold while it is converted: one decoded frame at full size (SVG: a cairo
 * surface per filter primitive, plus the canvas and libvips' copy), and for raw tensors
 * {@link RAW_COPIES} copies of the stored tensor. Compressed output is small beside these and streams.
 *
 * @example
 * estimateImageMemory({ width: 40000, height: 3507, bands: 3, depth: 'uchar', sourceFormat: 'jpeg', svgFilters: 0 },
 *   resolveImageSettings({ encode: 'raw' })); // 1683360000
 */
export function estimateImageMemory(facts: MemoryFacts, settings: ImageSettings): number {
  const { width, height } = facts;
  const bands = Math.max(1, facts.bands);
  const decoded = facts.sourceFormat === 'svg'
    ? width * height * 4 * (2 + 4 * facts.svgFilters)
    : width * height * bands * (SAMPLE_BYTES[facts.depth] ?? 1);
  if (settings.encode !== 'raw') return decoded;
  const [w, h] = storedSize(width, height, settings);
  const channels = settings.channels === 0 ? Math.min(bands, 4) : settings.channels;
  const element = settings.depth === 16 ? 2 : settings.dtype === 'float32' ? 4 : 1;
  return decoded + RAW_COPIES * w * h * channels * element;
}

/** Width and height after --resize / --resize-shorter / --center-crop, as planned (for the estimate). */
function storedSize(width: number, height: number, settings: ImageSettings): [number, number] {
  let [w, h] = [width, height];
  if (settings.resize !== null) {
    const sx = settings.resize.width / w;
    const sy = settings.resize.height / h;
    if (settings.fit === 'inside' || settings.fit === 'outside') {
      let scale = settings.fit === 'inside' ? Math.min(sx, sy) : Math.max(sx, sy);
      if (!settings.enlarge) scale = Math.min(scale, 1);
      [w, h] = [Math.ceil(w * scale), Math.ceil(h * scale)];
    } else [w, h] = [settings.resize.width, settings.resize.height];
  } else if (settings.resizeShorter !== null && (settings.enlarge || Math.min(w, h) > settings.resizeShorter)) {
    const scale = settings.resizeShorter / Math.min(w, h);
    [w, h] = [Math.ceil(w * scale), Math.ceil(h * scale)];
  }
  if (settings.centerCrop !== null) [w, h] = [Math.min(w, settings.centerCrop.width), Math.min(h, settings.centerCrop.height)];
  return [w, h];
}

/**
 * Refuses (ImageError `too-large`) an image whose estimated working memory is over the budget,
 * before a pixel is decoded: an 8 KB JPEG whose SOF claims 40000x3507 would otherwise take 2 GB
 * as a raw Caffe datum.
 *
 * @example
 * checkImageMemory(await sharp(bytes).metadata(), 'jpeg', bytes, settings, { path: 'a.jpg' });
 */
export function checkImageMemory(meta: Metadata, sourceFormat: SourceFormat, bytes: Uint8Array, settings: ImageSettings, context: { readonly path: string }): void {
  const facts: MemoryFacts = {
    width: meta.width ?? 0, height: meta.height ?? 0, bands: meta.channels ?? 3, depth: meta.depth ?? 'uchar',
    sourceFormat, svgFilters: sourceFormat === 'svg' ? countSvgFilters(bytes) : 0,
  };
  const need = estimateImageMemory(facts, settings);
  const budget = imageMemoryBudget(settings);
  if (need > budget) {
    const filters = facts.svgFilters > 0 ? ` with ${facts.svgFilters} SVG filter primitive(s)` : '';
    throw new ImageError('too-large', `${facts.width}x${facts.height}x${facts.bands} ${facts.depth}${filters} needs about ${mib(need)} MiB to convert (${settings.encode}), over the per-image budget of ${mib(budget)} MiB (4 bytes x --max-pixels; raise --max-pixels to allow it)`, { path: context.path });
  }
}

function countSvgFilters(bytes: Uint8Array): number {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  return text.match(/<(?:[\w-]+:)?fe[A-Z]\w*/g)?.length ?? 0;
}

function mib(bytes: number): number {
  return Math.round(bytes / 2 ** 20);
}

/** Settings of the per-file time limit. */
export interface TimeLimit {
  /** Seconds; 0 = no limit. */
  readonly seconds: number;
}

/**
 * Settles with `work`, or rejects with ImageError `too-slow` after `seconds` (0 = no limit). libvips
 * cannot always be stopped mid-operation (sharp's timeout did not stop a blurred SVG's render), so
 * the timer is what guarantees the run goes on; the work itself is left to finish and its result
 * dropped. Its thread stays busy until then, and the process's exit waits for it (libuv joins its
 * thread pool at exit).
 *
 * One shared timer watches every limited file in flight (armed for the earliest deadline) instead
 * of a timer and an abort listener per file: a pass-through file settles in microseconds, and
 * arming and clearing a timer for each of thousands of them was measurable work on the main thread.
 *
 * @example
 * const image = await raceTimeLimit(loadImage(bytes, settings, context), 60, 'cat.svg');
 */
export function raceTimeLimit<T>(work: Promise<T>, seconds: number, path: string, signal?: AbortSignal): Promise<T> {
  if (seconds <= 0) return work;
  return new Promise<T>((resolve, reject) => {
    const entry: Watched = { deadline: performance.now() + seconds * 1000, seconds, path, signal, reject };
    watchdog.add(entry);
    work.then(
      (value) => { watchdog.remove(entry); resolve(value); },
      (error: unknown) => { watchdog.remove(entry); reject(error); },
    );
  });
}

/** A file under a time limit. */
interface Watched {
  readonly deadline: number;
  readonly seconds: number;
  readonly path: string;
  readonly signal: AbortSignal | undefined;
  readonly reject: (error: unknown) => void;
}

/** The one timer behind {@link raceTimeLimit}: fires at the earliest deadline of the files it watches. */
class Watchdog {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly signals = new WeakSet<AbortSignal>();

  add(entry: Watched): void {
    this.watched.add(entry);
    const { signal } = entry;
    if (signal !== undefined && !this.signals.has(signal)) {
      // Once a run is interrupted (its partial output already removed), the limit alone must not
      // keep the process alive until a stalled file's time is up: one listener per run's signal.
      this.signals.add(signal);
      signal.addEventListener('abort', () => this.updateRef(), { once: true });
    }
    if (entry.deadline < this.timerAt) this.arm(entry.deadline);
    else if (signal?.aborted !== true) this.timer?.ref();
  }

  remove(entry: Watched): void {
    this.watched.delete(entry);
    // The armed timer stays (re-arming per file is the cost this saves): when it fires it finds
    // nothing due and re-arms for what is left. With nothing watched it must not hold the process.
    if (this.watched.size === 0) this.timer?.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const entry of this.watched) {
      if (entry.deadline <= now) {
        this.watched.delete(entry);
        entry.reject(new ImageError('too-slow', `took longer than --file-timeout ${entry.seconds} s; skipped (the limit guards against images that take minutes, such as SVG filters)`, { path: entry.path }));
      } else next = Math.min(next, entry.deadline);
    }
    if (next !== Infinity) this.arm(next);
  }

  private arm(at: number): void {
    this.disarm();
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - performance.now()));
    this.updateRef();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** The timer keeps the process alive while a file of a run that is not interrupted is watched. */
  private updateRef(): void {
    if (this.timer === undefined) return;
    let live = false;
    for (const entry of this.watched) {
      if (entry.signal?.aborted !== true) {
        live = true;
        break;
      }
    }
    if (live) this.timer.ref();
    else this.timer.unref();
  }
}

const watchdog = new Watchdog();

/**
 * sharp's constructor with libvips' own timeout set on every pipeline it makes (whole seconds,
 * rounded up; 0 = none), so a decode that libvips can stop between tiles is stopped, not just abandoned.
 *
 * @example
 * const sharp = timedSharp(60);
 * await sharp(bytes).png().toBuffer(); // fails with "timeout" after 60 s of processing
 */
export function timedSharp(seconds: number): typeof SharpModule {
  const sharp = loadSharp();
  if (seconds <= 0) return sharp;
  const whole = Math.min(3600, Math.max(1, Math.ceil(seconds)));
  const make = (input?: unknown, options?: SharpOptions): Sharp => (sharp as unknown as (i?: unknown, o?: SharpOptions) => Sharp)(input, options).timeout({ seconds: whole });
  return Object.assign(make, sharp) as unknown as typeof SharpModule;
}
