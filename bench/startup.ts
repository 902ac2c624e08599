/**
 * The fixed start-up cost of the CLI (issue 16): CPU of `--version` and of a one-file convert, and the time from
 * process start to the first input read of a pass-through convert of the corpus, medians of alternating runs.
 * Usage (after `npm run build` in each root): npx tsx bench/startup.ts [runs] [root ...]   (default: 7, this checkout)
 * Compare two builds by giving both roots (e.g. a `git archive` of main built into /tmp/base, and `.`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listFiles } from './util.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const HOOK = join(BENCH_DIR, 'start-hook.mjs');
const CORPUS = resolve(process.env.BENCH_CORPUS ?? join(BENCH_DIR, '.corpus/files-5000'));
const runs = Number(process.argv[2] ?? '7');
const roots = process.argv.length > 3 ? process.argv.slice(3).map((r) => resolve(r)) : [resolve(BENCH_DIR, '..')];

interface Sample {
  readonly discoveryMs: number | null;
  readonly firstOpenMs: number | null;
  readonly firstOpenCpuMs: number | null;
  readonly cpuMs: number;
  readonly exitMs: number;
}

const work = mkdtempSync(join(tmpdir(), 'startup-'));
const one = join(work, 'one', 'class');
mkdirSync(one, { recursive: true });
const first = (await listFiles(CORPUS, (rel) => /\.jpe?g$/i.test(rel)))[0];
if (first === undefined) throw new Error(`no JPEG under ${CORPUS}: build it with npx tsx bench/corpus.ts 5000`);
copyFileSync(join(CORPUS, first), join(one, 'a.jpg'));

/** Runs the CLI of `root` once with the hook and returns what the hook recorded. */
function runOnce(root: string | null, args: readonly string[]): Sample {
  const file = join(work, 'sample.jsonl');
  rmSync(file, { force: true });
  const result = spawnSync(process.execPath, ['--import', HOOK, ...(root === null ? [] : [join(root, 'dist/cli/bin.js')]), ...args], {
    env: { ...process.env, BENCH_START_FILE: file, BENCH_START_INPUT: CORPUS },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`${root}: ${args.join(' ')} exited ${result.status}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Sample;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

const cases = {
  version: ['--version'],
  oneFile: ['convert', join(work, 'one'), '-o', join(work, 'out-one'), '--overwrite', '--quiet'],
  corpus: ['convert', CORPUS, '-o', join(work, 'out-corpus'), '--overwrite', '--quiet'],
} as const;
// The floor: Node itself (and the hook) doing nothing.
const floor: Sample[] = [];
const samples = new Map(roots.map((root) => [root, { version: [] as Sample[], oneFile: [] as Sample[], corpus: [] as Sample[] }]));
for (let i = 0; i < runs; i++) {
  floor.push(runOnce(null, ['-e', '0']));
  for (const [name, args] of Object.entries(cases) as [keyof typeof cases, readonly string[]][]) {
    for (const root of roots) samples.get(root)?.[name].push(runOnce(root, args));
  }
}
rmSync(work, { recursive: true, force: true });

console.log(`| build | --version CPU | one-file convert CPU | ${CORPUS.split('/').pop()}: discovery starts | first input read | CPU by first read | whole run CPU |`);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [root, s] of samples) {
  const ms = (values: readonly (number | null)[]): string => `${Math.round(median(values.map((v) => v ?? Number.NaN)))} ms`;
  console.log(`| ${root} | ${ms(s.version.map((x) => x.cpuMs))} | ${ms(s.oneFile.map((x) => x.cpuMs))} | ${ms(s.corpus.map((x) => x.discoveryMs))} | ${ms(s.corpus.map((x) => x.firstOpenMs))} | ${ms(s.corpus.map((x) => x.firstOpenCpuMs))} | ${ms(s.corpus.map((x) => x.cpuMs))} |`);
}
console.log(`\n(${runs} alternating runs per cell, medians; "discovery starts" and "first input read" are wall times after process start;`);
console.log(`node ${process.version}; \`node -e 0\`: ${Math.round(median(floor.map((x) => x.cpuMs)))} ms CPU, the floor of the first two columns.)`);
