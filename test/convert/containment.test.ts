import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../../src/convert/convert.js';
import { resolveConvertOptions } from '../../src/convert/options/options.js';
import { loadImage, type ImageSettings, type ImageContext } from '../../src/image/index.js';
import { estimateImageMemory, imageMemoryBudget, raceTimeLimit } from '../../src/image/limits.js';
import { resolveImageSettings } from '../../src/image/settings.js';
import { ImageError, InternalError, InvalidOptionError, StrictModeError } from '../../src/errors.js';

const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;

async function sampleCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-contain-'));
  await cp(SAMPLE, join(dir, 'in'), { recursive: true });
  return dir;
}

/** The real image stage, except that one file's stage throws what a libvips bug would. */
function throwingFor(name: string, error: Error): (bytes: Buffer, settings: ImageSettings, context: ImageContext) => ReturnType<typeof loadImage> {
  return async (bytes, settings, context) => {
    if (context.path.endsWith(name)) throw error;
    return loadImage(bytes, settings, context);
  };
}

test('an image stage that throws is that file\'s problem (internal): the run completes and counts it', async () => {
  const dir = await sampleCopy();
  const out = join(dir, 'out');
  const summary = await convert({ input: join(dir, 'in'), output: out }, {
    loadImage: throwingFor('swiss.png', new TypeError("Cannot read properties of undefined (reading 'width')")),
  });
  assert.equal(summary.found, 7);
  assert.equal(summary.records, 6);
  assert.equal(summary.skipped, 1);
  assert.equal(summary.found, summary.records + summary.skipped + summary.ignored);
  const [error] = summary.errors;
  assert.equal(error?.path, 'graphics/swiss.png');
  assert.equal(error?.problem, 'internal');
  // The message names the file, the stage and the original error.
  assert.match(error?.reason ?? '', /^graphics\/swiss\.png: internal error in stage image \(please report\): TypeError: Cannot read properties of undefined \(reading 'width'\)$/);
  assert.ok((await readdir(out)).includes('train-00000-of-00001.tfrecord'));
});

test('a broken invariant of our own about one file (InternalError) is contained too', async () => {
  const dir = await sampleCopy();
  const summary = await convert({ input: join(dir, 'in'), output: join(dir, 'out') }, {
    loadImage: throwingFor('d.png', new InternalError('3 channels decoded where 4 were planned', { path: 'graphics/d.png' })),
  });
  assert.equal(summary.records, 6);
  assert.equal(summary.errors[0]?.problem, 'internal');
  assert.match(summary.errors[0]?.reason ?? '', /stage image .*InternalError: internal: 3 channels decoded where 4 were planned/);
});

test('--strict still stops at a contained failure and leaves no output', async () => {
  const dir = await sampleCopy();
  const out = join(dir, 'out');
  await assert.rejects(
    convert({ input: join(dir, 'in'), output: out, strict: true }, { loadImage: throwingFor('swiss.png', new RangeError('offset out of range')) }),
    (e: unknown) => e instanceof StrictModeError && /internal error in stage image.*RangeError: offset out of range/.test(e.message),
  );
  await assert.rejects(readdir(out), { code: 'ENOENT' });
});

test('an error of the plan (not about one file) still stops the run, leaving nothing under a final name', async () => {
  const dir = await sampleCopy();
  const out = join(dir, 'out');
  await assert.rejects(
    convert({ input: join(dir, 'in'), output: out }, { loadImage: throwingFor('swiss.png', new InvalidOptionError('a label Caffe cannot hold')) }),
    InvalidOptionError,
  );
  await assert.rejects(readdir(out), { code: 'ENOENT' });
});

test('a file over --file-timeout is reported too-slow and the run goes on', async () => {
  const dir = await sampleCopy();
  const summary = await convert({ input: join(dir, 'in'), output: join(dir, 'out'), fileTimeout: 0.2 }, {
    loadImage: async (bytes, settings, context) => {
      // A stage that never ends, as a stuck decoder would.
      if (context.path.endsWith('text.png')) return new Promise(() => undefined);
      return loadImage(bytes, settings, context);
    },
  });
  assert.equal(summary.records, 6);
  assert.deepEqual(summary.errors.map((e) => [e.path, e.problem]), [['documents/text.png', 'too-slow']]);
  assert.match(summary.errors[0]?.reason ?? '', /longer than --file-timeout 0\.2 s/);
});

test('fileTimeout is checked sharp-style', () => {
  assert.equal(resolveConvertOptions({ input: 'x', output: 'y' }).fileTimeout, 60);
  assert.equal(resolveConvertOptions({ input: 'x', output: 'y', fileTimeout: 0 }).fileTimeout, 0);
  assert.throws(() => resolveConvertOptions({ input: 'x', output: 'y', fileTimeout: -1 }),
    { message: 'Expected number of seconds between 0 and 3600 for fileTimeout but received -1 of type number' });
  assert.throws(() => resolveConvertOptions({ input: 'x', output: 'y', fileTimeout: '5' as unknown as number }), InvalidOptionError);
});

test('raceTimeLimit passes results and errors through, and 0 means no limit', async () => {
  assert.equal(await raceTimeLimit(Promise.resolve(7), 1, 'a'), 7);
  await assert.rejects(raceTimeLimit(Promise.reject(new RangeError('x')), 1, 'a'), RangeError);
  assert.equal(await raceTimeLimit(new Promise((r) => setTimeout(() => r(1), 30)), 0, 'a'), 1);
  await assert.rejects(raceTimeLimit(new Promise(() => undefined), 0.05, 'a.svg'),
    (e: unknown) => e instanceof ImageError && e.problem === 'too-slow' && e.context.path === 'a.svg');
});

test('the memory estimate refuses a JPEG whose SOF claims 40000x3507 as a raw datum, and allows ordinary images', () => {
  const raw = resolveImageSettings({ encode: 'raw', layout: 'chw', channelOrder: 'bgr', channels: 3 });
  const jpeg = { width: 40000, height: 3507, bands: 3, depth: 'uchar', sourceFormat: 'jpeg' as const, svgFilters: 0 };
  assert.equal(imageMemoryBudget(raw), 268402689 * 4);
  assert.ok(estimateImageMemory(jpeg, raw) > imageMemoryBudget(raw));
  // Resized to 224x224 the tensor is small: only the decoded frame counts.
  const resized = resolveImageSettings({ encode: 'raw', resize: { width: 224, height: 224 } });
  assert.equal(estimateImageMemory(jpeg, resized), 40000 * 3507 * 3 + 3 * 224 * 224 * 3);
  // A 12 Mpx photo as PNG: one decoded frame.
  const photo = { width: 4000, height: 3000, bands: 3, depth: 'uchar', sourceFormat: 'jpeg' as const, svgFilters: 0 };
  assert.equal(estimateImageMemory(photo, resolveImageSettings({ encode: 'png' })), 36_000_000);
  // An SVG's filter primitives each take a canvas-sized surface.
  const svg = { width: 8000, height: 8000, bands: 4, depth: 'uchar', sourceFormat: 'svg' as const, svgFilters: 1 };
  assert.ok(estimateImageMemory(svg, resolveImageSettings()) > imageMemoryBudget(resolveImageSettings()));
  assert.ok(estimateImageMemory({ ...svg, svgFilters: 0 }, resolveImageSettings()) < imageMemoryBudget(resolveImageSettings()));
});

test('an SVG whose filter needs more than the budget is reported too-large before rendering', async () => {
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8000" height="8000"><filter id="f"><feGaussianBlur stdDeviation="900"/></filter><rect width="8000" height="8000" fill="red" filter="url(#f)"/></svg>');
  await assert.rejects(loadImage(svg, resolveImageSettings(), { path: 'blur.svg' }),
    (e: unknown) => e instanceof ImageError && e.problem === 'too-large' && /8000x8000x4 uchar with 1 SVG filter/.test(e.message));
});
