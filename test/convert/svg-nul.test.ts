import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageError } from '../../src/errors.js';
import { checkSvgText, serialiseSvg } from '../../src/image/svg-guard.js';
import { spawnCliSync } from '../helpers/cli.js';

const CHECK_SVG = new URL('../../fixtures/images/graphics/check.svg', import.meta.url).pathname;

test('an SVG with NUL bytes is refused before the decoder, naming the offset', async () => {
  const svg = await readFile(CHECK_SVG);
  const at = svg.indexOf('fill=');
  const bad = Buffer.concat([svg.subarray(0, at), Buffer.from([0]), svg.subarray(at)]);
  assert.throws(() => checkSvgText(bad, { path: 'x.svg' }),
    (e: unknown) => e instanceof ImageError && e.problem === 'corrupt' && e.message === `x.svg: SVG: not well-formed XML: a NUL byte at offset ${at} (XML 1.0 forbids it)`);
  assert.throws(() => checkSvgText(Buffer.from('<svg>\x01</svg>'), { path: 'y.svg' }), /control character 0x01 at offset 5/);
  // Tabs, newlines and carriage returns are XML whitespace, not errors.
  checkSvgText(Buffer.from('<svg>\t\r\n</svg>'), { path: 'z.svg' });
});

test('SVG decodes run one at a time, whatever their outcome', async () => {
  let running = 0;
  let most = 0;
  const run = (fail: boolean) => async (): Promise<number> => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    if (fail) throw new Error('parse error');
    return 1;
  };
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => serialiseSvg(run(i % 2 === 0), 0)));
  assert.equal(most, 1);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
});

test('the NUL-byte SVG recipe, 20 x 6 copies (and malformed SVGs that reach librsvg), never crashes a run', async () => {
  // Recipe of the heap corruption: a valid small SVG with NUL bytes in its text, six copies at once.
  // Malformed SVGs without NULs (an unclosed tag) take the same librsvg/libxml2 parse-error path.
  const dir = await mkdtemp(join(tmpdir(), 'img2tfrecord-svgnul-'));
  const svg = await readFile(CHECK_SVG, 'latin1');
  const withNul = svg.replace('fill=', 'fill\0=').replace('<path', '<path\0\0');
  const unclosed = svg.replace('</svg>', '');
  await mkdir(join(dir, 'in', 'svg'), { recursive: true });
  for (let i = 0; i < 120; i++) {
    await writeFile(join(dir, 'in', 'svg', `nul-${String(i).padStart(3, '0')}.svg`), withNul, 'latin1');
    if (i < 30) await writeFile(join(dir, 'in', 'svg', `open-${String(i).padStart(3, '0')}.svg`), unclosed, 'latin1');
  }
  await writeFile(join(dir, 'in', 'svg', 'good.svg'), svg, 'latin1');
  // A child process: a native crash must fail this test, not take the test runner down with it.
  const run = spawnCliSync(['convert', join(dir, 'in'), '-o', join(dir, 'out'), '--jobs', '6', '--json', '-q']);
  assert.equal(run.signal, null, `crashed with ${run.signal}: ${run.stderr}`);
  assert.equal(run.code, 3, run.stderr);
  const summary = JSON.parse(run.stdout) as { found: number; records: number; errors: { path: string; problem: string; reason: string }[] };
  assert.equal(summary.found, 151);
  assert.equal(summary.records, 1);
  assert.equal(summary.errors.length, 150);
  const nul = summary.errors.filter((e) => e.path.includes('/nul-'));
  assert.equal(nul.length, 120);
  assert.ok(nul.every((e) => e.problem === 'corrupt' && /a NUL byte at offset \d+/.test(e.reason)));
});
