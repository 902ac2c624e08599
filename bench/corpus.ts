/** Builds (once, cached) the deterministic bench corpus of 60-150 KB JPEGs cut from the photos in fixtures/. */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { copyFile, link, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { createRandom, formatBytes, hashString, listFiles, median, readEnvInt, runPool } from './util.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_DIR = resolve(BENCH_DIR, '..');
/** Cache root; gitignored. */
export const CORPUS_ROOT = join(BENCH_DIR, '.corpus');
/** Bump when the generation recipe changes, so stale corpora are rebuilt rather than trusted. */
const RECIPE_VERSION = 5;
const CLASS_COUNT = 12;
const MIN_BYTES = 60 * 1024;
const MAX_BYTES = 150 * 1024;
/** Sources are decoded once and kept as raw pixels; these caps bound that memory (~240 MB worst case). */
const SOURCE_MAX_SIDE = 1280;
const SOURCE_MAX_COUNT = 48;
/** Path segments that mark deliberately bad fixtures: never use them as photos. */
const BAD_SEGMENT = /^(broken|corrupt\w*|bad|invalid|truncated?)$/i;

/** What a built corpus holds; stored as its stamp so a rerun can skip the build. */
export interface CorpusInfo {
  readonly version: number;
  readonly dir: string;
  readonly count: number;
  readonly classes: number;
  readonly totalBytes: number;
  readonly minBytes: number;
  readonly medianBytes: number;
  readonly maxBytes: number;
  /** Files whose size fell outside 60-150 KB after the size search (should be 0 or near it). */
  readonly outOfRange: number;
  readonly sourceKey: string;
  readonly sources: readonly string[];
  readonly buildSeconds: number;
}

interface Source {
  readonly rel: string;
  readonly pixels: Buffer;
  readonly width: number;
  readonly height: number;
}

interface SourceCandidate {
  readonly rel: string;
  readonly path: string;
  readonly strict: boolean;
}

/** Directory that holds the corpus of `count` files. */
export function corpusDir(count: number): string {
  return join(CORPUS_ROOT, `files-${count}`);
}

/** Relative path of file `index` inside a corpus: the class folder depends only on the index. */
function corpusFileName(index: number): string {
  return `class_${String(index % CLASS_COUNT).padStart(2, '0')}/img_${String(index).padStart(6, '0')}.jpg`;
}

/** Root scanned for source photos; BENCH_SOURCE_DIR overrides it (for trying the builder elsewhere). */
function sourceRoot(): string {
  return resolve(process.env['BENCH_SOURCE_DIR'] ?? join(REPO_DIR, 'fixtures'));
}

/**
 * Picks the photo-like JPEG/PNG files under the source root, sorted.
 * Strict pass: >= 16 KB, >= 200 px a side, not a palette image, >= 3 colour channels, histogram entropy >= 6
 * (rules out scanned documents, line art and test patterns). If nothing passes, any decodable JPEG/PNG will do.
 */
async function findSources(root: string): Promise<SourceCandidate[]> {
  const rels = await listFiles(root, (rel) => /\.(jpe?g|png)$/i.test(rel) && !rel.split('/').some((part) => BAD_SEGMENT.test(part)));
  const probed = await runPool(rels, availableParallelism(), async (rel): Promise<SourceCandidate | undefined> => {
    const path = join(root, rel);
    try {
      const size = (await stat(path)).size;
      // A tiny default pixel limit keeps decompression bombs in fixtures from stalling the build.
      const image = sharp(path, { limitInputPixels: 50_000_000, failOn: 'error' });
      const meta = await image.metadata();
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      if (width < 32 || height < 32) return undefined;
      const stats = await sharp(path, { limitInputPixels: 50_000_000 }).resize(256, 256, { fit: 'inside' }).stats();
      const strict = size >= 16 * 1024 && Math.min(width, height) >= 200 && meta.isPalette !== true
        && (meta.channels ?? 0) >= 3 && stats.entropy >= 6 && meta.space !== 'b-w';
      return { rel, path, strict };
    } catch {
      return undefined; // Undecodable: not a source.
    }
  });
  const usable = probed.filter((candidate): candidate is SourceCandidate => candidate !== undefined);
  const strict = usable.filter((candidate) => candidate.strict);
  const chosen = strict.length > 0 ? strict : usable;
  if (chosen.length <= SOURCE_MAX_COUNT) return chosen;
  // Evenly spaced pick keeps variety (and determinism) when fixtures grow large.
  return Array.from({ length: SOURCE_MAX_COUNT }, (_, i) => chosen[Math.floor((i * chosen.length) / SOURCE_MAX_COUNT)] as SourceCandidate);
}

/** Hashes the chosen sources' names and bytes: the corpus is a function of them and the recipe. */
async function hashSources(candidates: readonly SourceCandidate[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`recipe ${RECIPE_VERSION}\n`);
  for (const candidate of candidates) {
    hash.update(`${candidate.rel}\n`);
    hash.update(await readFile(candidate.path));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Decodes a source once to sRGB 8-bit RGB pixels, upright and without alpha. */
async function loadSource(candidate: SourceCandidate): Promise<Source> {
  const { data, info } = await sharp(candidate.path, { limitInputPixels: 50_000_000 })
    .rotate()
    .flatten({ background: '#ffffff' })
    .resize(SOURCE_MAX_SIDE, SOURCE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`source ${candidate.rel} decoded to ${info.channels} channels, expected 3`);
  return { rel: candidate.rel, pixels: data, width: info.width, height: info.height };
}

const ASPECTS = [4 / 3, 3 / 2, 16 / 9, 1, 3 / 4, 2 / 3] as const;

/**
 * Renders file `index`: a seeded crop of a seeded source, resized, maybe mirrored, slightly re-toned, then
 * JPEG-encoded at the quality that lands nearest a seeded target size in 60-150 KB. Everything random
 * comes from the index alone, so file i is the same in every corpus size and at any concurrency.
 */
async function renderFile(sources: readonly Source[], index: number): Promise<Buffer> {
  const random = createRandom(hashString(`img2tfrecord-bench/${index}`));
  const source = sources[Math.floor(random() * sources.length)] as Source;
  const aspect = ASPECTS[Math.floor(random() * ASPECTS.length)] as number;
  const longSide = 640 + Math.floor(random() * 481);
  const fraction = 0.55 + 0.45 * random();
  const offsetX = random();
  const offsetY = random();
  const mirror = random() < 0.5;
  const brightness = 0.9 + 0.2 * random();
  const saturation = 0.85 + 0.3 * random();
  const target = 70 * 1024 + Math.floor(random() * 70 * 1024);

  // Largest crop of this aspect that fits the source, scaled by the fraction.
  const fitWidth = Math.min(source.width, source.height * aspect);
  const cropWidth = Math.max(16, Math.floor(fitWidth * fraction));
  const cropHeight = Math.max(16, Math.min(source.height, Math.floor(cropWidth / aspect)));
  const left = Math.floor((source.width - cropWidth) * offsetX);
  const top = Math.floor((source.height - cropHeight) * offsetY);

  let scale = 1;
  let best: Buffer | undefined;
  for (let round = 0; round < 6; round++) {
    const outWidth = Math.round((aspect >= 1 ? longSide : longSide * aspect) * scale);
    const outHeight = Math.round((aspect >= 1 ? longSide / aspect : longSide) * scale);
    let pipeline = sharp(source.pixels, { raw: { width: source.width, height: source.height, channels: 3 } })
      .extract({ left, top, width: cropWidth, height: cropHeight })
      .resize(outWidth, outHeight, { fit: 'fill', kernel: 'lanczos3' })
      .modulate({ brightness, saturation });
    if (mirror) pipeline = pipeline.flop();
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const encode = (quality: number): Promise<Buffer> =>
      sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
        .jpeg({ quality, chromaSubsampling: '4:2:0', progressive: false })
        .toBuffer();

    // Binary search on quality: size grows with quality, and 5-6 encodes reach the target band.
    let low = 40;
    let high = 96;
    let smallest = Infinity;
    let largest = 0;
    while (low <= high) {
      const quality = (low + high) >> 1;
      const jpeg = await encode(quality);
      smallest = Math.min(smallest, jpeg.length);
      largest = Math.max(largest, jpeg.length);
      if (best === undefined || isBetter(jpeg.length, best.length, target)) best = jpeg;
      // Near enough (within 10%, and inside the band: a 140 KB target + 10% would overshoot 150 KB).
      if (Math.abs(jpeg.length - target) <= target * 0.1 && jpeg.length >= MIN_BYTES && jpeg.length <= MAX_BYTES) return jpeg;
      if (jpeg.length < target) low = quality + 1;
      else high = quality - 1;
    }
    // Even the extremes of quality miss: change the pixel count and search again.
    if (largest < MIN_BYTES) scale *= 1.35;
    else if (smallest > MAX_BYTES) scale /= 1.35;
    else break;
  }
  return best as Buffer;
}

/** An in-range size beats an out-of-range one; otherwise the nearer to the target wins. */
function isBetter(size: number, current: number, target: number): boolean {
  const inRange = (bytes: number): boolean => bytes >= MIN_BYTES && bytes <= MAX_BYTES;
  if (inRange(size) !== inRange(current)) return inRange(size);
  return Math.abs(size - target) < Math.abs(current - target);
}

async function readStamp(dir: string): Promise<CorpusInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, '.stamp.json'), 'utf8')) as CorpusInfo;
  } catch {
    return undefined;
  }
}

/** Finds the largest complete corpus built from the same sources, whose first files can be linked, not rebuilt. */
async function findDonor(sourceKey: string, exclude: string): Promise<CorpusInfo | undefined> {
  let donor: CorpusInfo | undefined;
  let entries: string[] = [];
  try {
    entries = await readdir(CORPUS_ROOT);
  } catch {
    return undefined;
  }
  for (const name of entries.sort()) {
    const dir = join(CORPUS_ROOT, name);
    if (dir === exclude || !name.startsWith('files-')) continue;
    const stamp = await readStamp(dir);
    if (stamp?.version === RECIPE_VERSION && stamp.sourceKey === sourceKey && (donor === undefined || stamp.count > donor.count)) {
      donor = { ...stamp, dir };
    }
  }
  return donor;
}

/**
 * Returns the corpus of `count` files, building it first unless a matching stamp says it is already there.
 *
 * @example
 * const corpus = await ensureCorpus(5000); // bench/.corpus/files-5000, ~500 MB of JPEGs in 12 class folders
 */
export async function ensureCorpus(count: number, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<CorpusInfo> {
  const dir = corpusDir(count);
  const root = sourceRoot();
  const candidates = await findSources(root);
  if (candidates.length === 0) throw new Error(`no decodable JPEG/PNG photos under ${root} to build the bench corpus from`);
  const sourceKey = await hashSources(candidates);

  const existing = await readStamp(dir);
  if (existing?.version === RECIPE_VERSION && existing.sourceKey === sourceKey && existing.count === count) {
    return { ...existing, dir };
  }

  const started = process.hrtime.bigint();
  log(`corpus: building ${count} files in ${dir} from ${candidates.length} source photo(s) under ${root}`);
  await rm(dir, { recursive: true, force: true });
  for (let c = 0; c < CLASS_COUNT; c++) await mkdir(join(dir, corpusFileName(c).split('/')[0] as string), { recursive: true });

  const donor = await findDonor(sourceKey, dir);
  const reused = donor === undefined ? 0 : Math.min(donor.count, count);
  if (donor !== undefined && reused > 0) {
    log(`corpus: linking the first ${reused} files from ${donor.dir}`);
    await runPool(Array.from({ length: reused }, (_, i) => i), 16, async (i) => {
      const name = corpusFileName(i);
      // A hard link costs no space; copy where the filesystem refuses links.
      await link(join(donor.dir, name), join(dir, name)).catch(() => copyFile(join(donor.dir, name), join(dir, name)));
    });
  }

  const sources: Source[] = [];
  if (reused < count) {
    for (const candidate of candidates) sources.push(await loadSource(candidate));
  }
  // One libvips thread per image and a few images in flight: on few cores this beats wide per-image threading.
  const previousConcurrency = sharp.concurrency();
  sharp.concurrency(1);
  const inFlight = Math.max(2, availableParallelism() + 1);
  const sizes: number[] = [];
  let done = 0;
  try {
    const todo = Array.from({ length: count - reused }, (_, i) => reused + i);
    await runPool(todo, inFlight, async (index) => {
      const jpeg = await renderFile(sources, index);
      await writeFile(join(dir, corpusFileName(index)), jpeg);
      done++;
      if (done % 500 === 0) log(`corpus: ${reused + done}/${count}`);
    });
  } finally {
    sharp.concurrency(previousConcurrency);
  }

  for (let i = 0; i < count; i++) sizes.push((await stat(join(dir, corpusFileName(i)))).size);
  const info: CorpusInfo = {
    version: RECIPE_VERSION,
    dir,
    count,
    classes: CLASS_COUNT,
    totalBytes: sizes.reduce((sum, size) => sum + size, 0),
    minBytes: Math.min(...sizes),
    medianBytes: median(sizes),
    maxBytes: Math.max(...sizes),
    outOfRange: sizes.filter((size) => size < MIN_BYTES || size > MAX_BYTES).length,
    sourceKey,
    sources: candidates.map((candidate) => candidate.rel),
    buildSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
  // The stamp is written last: an interrupted build has none and is rebuilt from scratch.
  await writeFile(join(dir, '.stamp.json'), `${JSON.stringify(info, null, 2)}\n`);
  log(`corpus: ${count} files, ${formatBytes(info.totalBytes)}, ${info.outOfRange} outside 60-150 KB, built in ${info.buildSeconds.toFixed(1)} s`);
  return info;
}

/**
 * A corpus of `count` files made of hard links to `base`'s files (file i links to file i mod
 * base.count, under file i's own name and class), in `files-N-linked`: for the RSS growth case,
 * which measures what a run holds per input file, not per distinct byte. It takes a second where
 * rendering 15,000 more files took ~8 minutes of both cores; totalBytes counts each link.
 */
export async function ensureLinkedCorpus(count: number, base: CorpusInfo, log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<CorpusInfo> {
  const dir = `${corpusDir(count)}-linked`;
  const existing = await readStamp(dir);
  if (existing?.version === RECIPE_VERSION && existing.sourceKey === base.sourceKey && existing.count === count && existing.totalBytes > 0) return { ...existing, dir };
  const started = process.hrtime.bigint();
  log(`corpus: linking ${count} files in ${dir} to the ${base.count} of ${base.dir}`);
  await rm(dir, { recursive: true, force: true });
  for (let c = 0; c < CLASS_COUNT; c++) await mkdir(join(dir, corpusFileName(c).split('/')[0] as string), { recursive: true });
  const sizes: number[] = [];
  await runPool(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const from = join(base.dir, corpusFileName(i % base.count));
    await link(from, join(dir, corpusFileName(i))).catch(() => copyFile(from, join(dir, corpusFileName(i))));
    sizes[i] = (await stat(from)).size;
  });
  const info: CorpusInfo = {
    ...base, dir, count, totalBytes: sizes.reduce((sum, size) => sum + size, 0), minBytes: Math.min(...sizes), medianBytes: median(sizes),
    maxBytes: Math.max(...sizes), buildSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
  await writeFile(join(dir, '.stamp.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** Standalone use: `tsx bench/corpus.ts [N]` builds (or confirms) the corpus of N files (default BENCH_FILES or 5000). */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const arg = process.argv[2];
  const count = arg !== undefined ? Number(arg) : readEnvInt('BENCH_FILES', 5000);
  if (!Number.isInteger(count) || count < 1) throw new Error(`Expected a positive integer for the file count but received ${JSON.stringify(arg)}`);
  const info = await ensureCorpus(count);
  process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
}
