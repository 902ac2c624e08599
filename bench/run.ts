/** `npm run bench`: runs each converter case alternately with its floor in isolated child processes and writes bench/results.md. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { CORPUS_ROOT, ensureCorpus, ensureLinkedCorpus, type CorpusInfo } from './corpus.js';
import { formatBytes, listFiles, median, readEnvInt } from './util.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_DIR = resolve(BENCH_DIR, '..');
const OUT_ROOT = join(CORPUS_ROOT, 'out');
const TIME_BIN = '/usr/bin/time';
// BENCH_NO_GNU_TIME=1 forces the preload hook, to check that path on machines that do have GNU time.
const HAVE_TIME = existsSync(TIME_BIN) && process.env['BENCH_NO_GNU_TIME'] !== '1';
const RSS_HOOK = join(BENCH_DIR, 'rss-hook.mjs');

// BENCH_QUICK=1: a development run (small corpora, 3 runs); every figure is then indicative only.
const QUICK = process.env['BENCH_QUICK'] === '1';
const FILES = readEnvInt('BENCH_FILES', QUICK ? 500 : 5000);
const RUNS = readEnvInt('BENCH_RUNS', QUICK ? 3 : 5);
const CORES = availableParallelism();
// Case 3 pins --jobs (default: the CLI's own default, one per core) so the comparison never depends on it.
const JOBS = readEnvInt('BENCH_JOBS', CORES);
// The pipeline keeps jobs x 3 files in flight (src/convert/run.ts); the floor gets the same count. At the default
// --jobs (= cores) every one of them may be in libvips at once, as in the floor; below the core count the pipeline
// runs only --jobs ops (one core each), so case 3 compares at the default.
const IN_FLIGHT = JOBS * readEnvInt('BENCH_INFLIGHT_PER_JOB', 3);
const RSS_SMALL = readEnvInt('BENCH_RSS_SMALL', QUICK ? 200 : 1000);
const RSS_LARGE = readEnvInt('BENCH_RSS_LARGE', QUICK ? 2000 : 20000);
const SKIP_LARGE = process.env['BENCH_SKIP_LARGE'] === '1';
// The resize half of the jobs-scaling case runs --jobs 1 (~8 ms of libvips per file): a smaller corpus keeps it minutes, not ten.
const SCALE_RESIZE_FILES = readEnvInt('BENCH_SCALE_RESIZE_FILES', QUICK ? 200 : 1000);
const ALL_CASES = 'passthrough,resize,rss,scaling,roboflow,crc';
const CASES = new Set((process.env['BENCH_CASES'] ?? ALL_CASES).split(',').map((name) => name.trim()));
// Debian's interpreter, where apt's python3-pil / python3-crc32c land (a pyenv shim would not see them).
const PYTHON = process.env['BENCH_PYTHON'] ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** One child-process run: wall time from spawn to close, and peak RSS when it could be read. */
interface Sample {
  readonly ok: boolean;
  readonly seconds: number;
  readonly rssKiB: number | undefined;
  /** User + system CPU seconds of the command (GNU time only): steadier than wall time on a shared machine. */
  readonly cpuSeconds: number | undefined;
  readonly stdout: string;
  readonly error: string;
}

/** A command to measure: argv, optional stdin/stdout files, and what to delete after each run. */
interface Side {
  readonly label: string;
  /** Undefined when the command cannot exist yet (the CLI before it is written). */
  readonly argv: readonly string[] | undefined;
  readonly missing?: string;
  readonly stdinFile?: string;
  readonly stdoutFile?: string;
  readonly output: string;
}

interface SideResult {
  readonly label: string;
  readonly samples: readonly number[];
  readonly rssKiB: readonly number[];
  readonly cpu: readonly number[];
  /** Wall seconds by round (undefined where the side did not run), to pair each run with its neighbours'. */
  readonly byRound: readonly (number | undefined)[];
  readonly outputBytes: number | undefined;
  readonly error: string | undefined;
}

let rssCounter = 0;

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Spawns `argv` (cwd = repo) and times it with hrtime; RSS via GNU time, else via the preload hook for node commands. */
async function runMeasured(side: Side): Promise<Sample> {
  if (side.argv === undefined) return { ok: false, seconds: Number.NaN, rssKiB: undefined, cpuSeconds: undefined, stdout: '', error: side.missing ?? 'command unavailable' };
  await mkdir(OUT_ROOT, { recursive: true });
  const rssFile = join(OUT_ROOT, `.rss-${process.pid}-${rssCounter++}`);
  let argv = [...side.argv];
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (HAVE_TIME) argv = [TIME_BIN, '-f', '%M %U %S', '-o', rssFile, ...argv];
  else if (argv[0] === process.execPath) {
    argv = [process.execPath, '--import', RSS_HOOK, ...argv.slice(1)];
    env['BENCH_RSS_FILE'] = rssFile;
  }
  const stdin = side.stdinFile !== undefined ? await open(side.stdinFile, 'r') : undefined;
  const stdout = side.stdoutFile !== undefined ? await open(side.stdoutFile, 'w') : undefined;
  try {
    let out = '';
    let err = '';
    const start = process.hrtime.bigint();
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      const child = spawn(argv[0] as string, argv.slice(1), {
        cwd: REPO_DIR,
        env,
        stdio: [stdin?.fd ?? 'ignore', stdout?.fd ?? 'pipe', 'pipe'],
      });
      // Keep only the ends: a chatty child must not grow the harness's own memory.
      child.stdout?.on('data', (chunk: Buffer) => { out = (out + chunk.toString()).slice(-65536); });
      child.stderr?.on('data', (chunk: Buffer) => { err = (err + chunk.toString()).slice(-8192); });
      child.on('error', reject);
      child.on('close', (exitCode) => resolvePromise(exitCode));
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    let rssKiB: number | undefined;
    let cpuSeconds: number | undefined;
    try {
      // GNU time prepends "Command exited with non-zero status N" on failure: the figures are the last line.
      const lines = (await readFile(rssFile, 'utf8')).trim().split('\n');
      const [rss, user, system] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
      if (rss !== undefined && Number.isFinite(rss) && rss > 0) rssKiB = rss;
      if (user !== undefined && system !== undefined && Number.isFinite(user + system)) cpuSeconds = user + system;
    } catch {
      // No RSS for this command (e.g. cat without GNU time); the time still counts.
    }
    await rm(rssFile, { force: true });
    const ok = code === 0;
    return { ok, seconds, rssKiB, cpuSeconds, stdout: out, error: ok ? '' : `exit ${code}\n${tail(err)}` };
  } finally {
    await stdin?.close();
    await stdout?.close();
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    if (!info.isDirectory()) return info.size;
    let total = 0;
    for (const rel of await listFiles(path)) total += (await stat(join(path, rel))).size;
    return total;
  } catch {
    return undefined;
  }
}

/** The order of `items` in timed round `round`: rotated by the round and reversed every other round (AB, BA; ABC, CBA, BCA, ACB, ...). */
function roundOrder<T>(items: readonly T[], round: number): T[] {
  const shift = Math.floor(round / 2) % Math.max(1, items.length);
  const rotated = [...items.slice(shift), ...items.slice(0, shift)];
  return round % 2 === 0 ? rotated : rotated.reverse();
}

/**
 * Runs one warm-up of each side (page cache, tsx cache), then `runs` timed rounds in changing order
 * so drift in machine state hits every side alike. A failing side is recorded, not fatal; a side
 * whose command is unavailable (argv undefined) is skipped with its reason.
 */
async function runPair(name: string, sides: readonly Side[], runs: number): Promise<SideResult[]> {
  const results = sides.map((side) => ({ side, samples: [] as number[], rss: [] as number[], cpu: [] as number[], byRound: [] as (number | undefined)[], outputBytes: undefined as number | undefined, error: undefined as string | undefined }));
  for (const result of results) {
    if (result.side.argv === undefined) {
      result.error = `SKIPPED: ${result.side.missing ?? 'command unavailable'}`;
      log(`${name}: ${result.side.label}: ${result.error}`);
      continue;
    }
    log(`${name}: warm-up ${result.side.label}`);
    const sample = await runMeasured(result.side);
    if (sample.ok) result.outputBytes = await sizeOf(result.side.output);
    else result.error = sample.error;
    await rm(result.side.output, { recursive: true, force: true });
  }
  for (let round = 0; round < runs; round++) {
    for (const result of roundOrder(results, round)) {
      if (result.error !== undefined) continue;
      const sample = await runMeasured(result.side);
      await rm(result.side.output, { recursive: true, force: true });
      if (!sample.ok) {
        result.error = sample.error;
        continue;
      }
      result.samples.push(sample.seconds);
      result.byRound[round] = sample.seconds;
      if (sample.rssKiB !== undefined) result.rss.push(sample.rssKiB);
      if (sample.cpuSeconds !== undefined) result.cpu.push(sample.cpuSeconds);
      log(`${name}: run ${round + 1}/${runs} ${result.side.label}: ${sample.seconds.toFixed(3)} s`);
    }
  }
  return results.map((r) => ({ label: r.side.label, samples: r.samples, rssKiB: r.rss, cpu: r.cpu, byRound: r.byRound, outputBytes: r.outputBytes, error: r.error }));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** How the CLI is launched: built JS when dist/ exists (no transpile cost), else the TS source through tsx. */
function cliCommand(): { argv: readonly string[] | undefined; how: string } {
  const dist = join(REPO_DIR, 'dist', 'cli', 'bin.js');
  const src = join(REPO_DIR, 'src', 'cli', 'bin.ts');
  if (existsSync(dist)) {
    // A dist/ older than src/ measures old code: say so in the report rather than guess which was meant.
    const stale = newestMtime(join(REPO_DIR, 'src')) > statSync(dist).mtimeMs;
    return { argv: [process.execPath, dist], how: `node dist/cli/bin.js${stale ? ' (WARNING: older than src/; run npm run build)' : ''}` };
  }
  if (existsSync(src)) return { argv: [process.execPath, '--import', 'tsx', src], how: 'node --import tsx src/cli/bin.ts' };
  return { argv: undefined, how: 'CLI not found (neither dist/cli/bin.js nor src/cli/bin.ts)' };
}

function tsxScript(script: string, ...args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', join(BENCH_DIR, script), ...args];
}

function convertSide(label: string, corpus: CorpusInfo, outName: string, extra: readonly string[]): Side {
  const cli = cliCommand();
  const output = join(OUT_ROOT, outName);
  return {
    label,
    argv: cli.argv === undefined ? undefined : [...cli.argv, 'convert', corpus.dir, '-o', output, '--overwrite', '--quiet', ...extra],
    missing: cli.how,
    output,
  };
}

// ---- formatting ----

interface Row {
  readonly id: string;
  readonly name: string;
  readonly ours: string;
  readonly baseline: string;
  readonly result: string;
  readonly target: string;
  readonly verdict: string;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n+/g, ' ⏎ ').slice(0, 400);
}

/** One line for a table cell: the exit status and the first line that names an error (stack frames dropped). */
function summarizeError(error: string): string {
  const lines = error.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('at '));
  const status = lines[0] ?? 'failed';
  const message = lines.slice(1).find((line) => /error|cannot|not found|invalid|usage/i.test(line)) ?? lines[lines.length - 1] ?? '';
  return (message === status ? status : `${status}: ${message}`).slice(0, 240);
}

function describeSide(side: SideResult, bytes: number): string {
  if (side.error?.startsWith('SKIPPED') === true) return side.error;
  if (side.error !== undefined && side.samples.length === 0) return `FAILED (${summarizeError(side.error)})`;
  const m = median(side.samples);
  const rate = bytes / 1e6 / m;
  const failed = side.error !== undefined ? ` (a later run failed: ${summarizeError(side.error)})` : '';
  return `${m.toFixed(3)} s (${rate.toFixed(0)} MB/s in)${failed}`;
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS';
}

/** A measured comparison: its figure for the table and whether it meets the target (undefined: a side has no samples). */
interface Comparison {
  readonly text: string;
  readonly ok: boolean | undefined;
  readonly verdict: string;
}

/**
 * Compares two sides' medians. `ratio`: ours / baseline, met when below `limit` (at or below unless
 * `strict`); `speedup`: baseline / ours, met at or above `limit`.
 */
function compareSides(ours: SideResult, base: SideResult, kind: 'ratio' | 'speedup', limit: number, strict = false): Comparison {
  const skipped = [ours, base].find((side) => side.error?.startsWith('SKIPPED') === true);
  const value = kind === 'ratio' ? median(ours.samples) / median(base.samples) : median(base.samples) / median(ours.samples);
  if (!Number.isFinite(value)) return { text: '-', ok: undefined, verdict: skipped !== undefined ? 'skipped' : 'n/a' };
  const ok = kind === 'speedup' ? value >= limit : strict ? value < limit : value <= limit;
  // CPU seconds (user + sys, all threads) say how much work each side did, whatever else ran on the machine.
  const cpu = median(ours.cpu) / median(base.cpu);
  // The median of per-round ratios (each run against the other side's run in the same round): load that
  // drifts between rounds cancels out, which a ratio of medians does not do.
  const pairs = ours.byRound.flatMap((t, round) => {
    const b = base.byRound[round];
    return t === undefined || b === undefined ? [] : [kind === 'ratio' ? t / b : b / t];
  });
  const paired = median(pairs);
  const checks = [
    Number.isFinite(paired) ? `paired ${paired.toFixed(2)}x` : '',
    kind === 'ratio' && Number.isFinite(cpu) ? `CPU ${cpu.toFixed(2)}x` : '',
  ].filter((text) => text !== '');
  const checkText = checks.length > 0 ? ` (${checks.join(', ')})` : '';
  return { text: `${value.toFixed(2)}x ${kind === 'ratio' ? 'the time' : 'faster'}${checkText}`, ok, verdict: verdict(ok) };
}

function mib(kib: number | undefined): string {
  return kib === undefined ? '?' : `${(kib / 1024).toFixed(1)} MiB`;
}

interface CrcMeasurement {
  readonly name: string;
  readonly ok: boolean;
  readonly mbPerSecond?: number;
  readonly note: string;
}

// ---- main ----

const startedAt = new Date();
const loadAtStart = loadavg()[0] ?? 0;
const cli = cliCommand();
log(`${QUICK ? 'QUICK mode; ' : ''}corpus of ${FILES} files; ${RUNS} runs per side; CLI: ${cli.how}; GNU time: ${HAVE_TIME ? 'yes' : 'no (rss-hook)'}`);
await rm(OUT_ROOT, { recursive: true, force: true });
await mkdir(OUT_ROOT, { recursive: true });

const corpus = await ensureCorpus(FILES, log);
const rows: Row[] = [];
const details: string[] = [];
let passthroughMedian: number | undefined;

function recordDetails(name: string, sides: readonly SideResult[]): void {
  details.push(`### ${name}`, '');
  for (const side of sides) {
    const samples = side.samples.map((s) => s.toFixed(3)).join(', ') || '-';
    const rss = side.rssKiB.length > 0 ? `; peak RSS ${mib(Math.max(...side.rssKiB))}` : '';
    const cpu = side.cpu.length > 0 ? `; CPU (user+sys) median ${median(side.cpu).toFixed(3)} s` : '';
    const out = side.outputBytes !== undefined ? `; output ${formatBytes(side.outputBytes)}` : '';
    details.push(`- ${side.label}: runs [${samples}] s${cpu}${rss}${out}`);
    if (side.error !== undefined) details.push('', '  ```', ...side.error.split('\n').map((line) => `  ${line}`), '  ```');
  }
  details.push('');
}

/** The Python+PIL peer, or why it cannot run (python3-pil / python3-crc32c missing). */
function peerSide(corpus: CorpusInfo): Side {
  const output = join(OUT_ROOT, 'pil-peer.tfrecord');
  const probe = spawnSync(PYTHON, ['-c', 'import PIL, crc32c'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    return { label: 'Python+PIL peer (bench/pil_peer.py)', argv: undefined, missing: `${PYTHON} lacks PIL or crc32c (apt-get install -y python3-pil python3-crc32c)`, output };
  }
  return { label: `Python+PIL peer (${PYTHON} bench/pil_peer.py)`, argv: [PYTHON, join(BENCH_DIR, 'pil_peer.py'), corpus.dir, output], output };
}

// Cases 1-2: pass-through vs cat (read every byte once, write it once) and vs the Python+PIL peer, alternated in one group.
let rssAtFiles: number | undefined;
if (CASES.has('passthrough')) {
  const list = join(OUT_ROOT, '.cat-list');
  const files = await listFiles(corpus.dir);
  await writeFile(list, files.map((rel) => join(corpus.dir, rel)).join('\0'));
  const catOut = join(OUT_ROOT, 'cat.bin');
  const sides = await runPair('1-2 pass-through', [
    convertSide('convert (pass-through)', corpus, 'passthrough', []),
    { label: 'cat (floor)', argv: ['xargs', '-0', 'cat'], stdinFile: list, stdoutFile: catOut, output: catOut },
    peerSide(corpus),
    // Issue 16: "if SHA-256 truly cannot fit, show the table with and without it". The default
    // writes no image/key/sha256 (and hashes nothing); --sha256 adds it.
    convertSide('convert (pass-through, --sha256)', corpus, 'passthrough-sha256', ['--sha256']),
  ], RUNS);
  const [ours, cat, peer, withSha] = sides as [SideResult, SideResult, SideResult, SideResult];
  if (ours.samples.length > 0) passthroughMedian = median(ours.samples);
  if (ours.rssKiB.length > 0) rssAtFiles = median(ours.rssKiB);
  // Rows 1-2 for the default, 1b-2b for --sha256: the same two comparisons of each convert side.
  for (const [side, suffix, what] of [[ours, '', ''], [withSha, 'b', ', with SHA-256 (`--sha256`)']] as const) {
    const vsCat = compareSides(side, cat, 'ratio', 1.3);
    const vsPeer = compareSides(side, peer, 'ratio', 0.5, true);
    rows.push({
      id: `1${suffix}`, name: `pass-through convert vs \`cat\` of the same files${what}`,
      ours: describeSide(side, corpus.totalBytes), baseline: describeSide(cat, corpus.totalBytes), result: vsCat.text, target: '<= 1.30x', verdict: vsCat.verdict,
    }, {
      id: `2${suffix}`, name: `pass-through convert vs the Python+PIL peer (same files, same run)${what}`,
      ours: describeSide(side, corpus.totalBytes), baseline: describeSide(peer, corpus.totalBytes), result: vsPeer.text, target: '< 0.50x', verdict: vsPeer.verdict,
    });
  }
  recordDetails('1-2. pass-through convert vs cat and the Python+PIL peer (and with SHA-256)', sides);
}

// Case 3: resize + JPEG encode vs the same sharp calls with no TFRecord writing.
if (CASES.has('resize')) {
  const sides = await runPair('3 resize', [
    convertSide(`convert --resize 224x224 --encode jpeg --quality 95 --jobs ${JOBS}`, corpus, 'resize', ['--resize', '224x224', '--encode', 'jpeg', '--quality', '95', '--jobs', String(JOBS)]),
    { label: `bench/sharp-floor.ts --jobs ${IN_FLIGHT} (libvips floor)`, argv: tsxScript('sharp-floor.ts', corpus.dir, '--jobs', String(IN_FLIGHT)), output: join(OUT_ROOT, 'sharp-floor-none') },
  ], RUNS);
  const [ours, base] = sides as [SideResult, SideResult];
  const result = compareSides(ours, base, 'ratio', 1.1);
  rows.push({
    id: '3', name: 'resize 224x224 + JPEG q95 vs sharp-only floor',
    ours: describeSide(ours, corpus.totalBytes), baseline: describeSide(base, corpus.totalBytes), result: result.text, target: '<= 1.10x', verdict: result.verdict,
  });
  recordDetails('3. resize + encode vs libvips floor', sides);
}

// Cases 4-5 (run last: the large corpus may take minutes to build the first time): see measureRss.

async function measureRss(): Promise<void> {
  const limitKiB = 200 * 1024;
  if (rssAtFiles === undefined) {
    log(`4 rss: convert of ${FILES} files`);
    const sample = await runMeasured(convertSide('convert', corpus, `rss-${FILES}`, []));
    await rm(join(OUT_ROOT, `rss-${FILES}`), { recursive: true, force: true });
    if (sample.ok) rssAtFiles = sample.rssKiB;
  }
  rows.push({
    id: '4', name: `peak RSS, pass-through, ${FILES} files`, ours: mib(rssAtFiles), baseline: '-', result: mib(rssAtFiles),
    target: '<= 200 MiB', verdict: verdict(rssAtFiles === undefined ? undefined : rssAtFiles <= limitKiB),
  });
  const counts = SKIP_LARGE ? [RSS_SMALL] : [RSS_SMALL, RSS_LARGE];
  const peaks: (number | undefined)[] = [];
  const parts: string[] = [];
  const rssErrors: string[] = [];
  for (const count of counts) {
    // More files than the main corpus: links to its files (memory per input, not per distinct byte).
    const sized = count <= FILES ? await ensureCorpus(count, log) : await ensureLinkedCorpus(count, corpus, log);
    log(`5 rss: convert of ${count} files`);
    const sample = await runMeasured(convertSide('convert', sized, `rss-${count}`, []));
    await rm(join(OUT_ROOT, `rss-${count}`), { recursive: true, force: true });
    peaks.push(sample.ok ? sample.rssKiB : undefined);
    parts.push(sample.ok
      ? `${count} files (${formatBytes(sized.totalBytes)}): ${mib(sample.rssKiB)} in ${sample.seconds.toFixed(2)} s`
      : `${count} files: FAILED (${summarizeError(sample.error)})`);
    if (!sample.ok) rssErrors.push(`${count} files:`, '```', sample.error, '```');
  }
  const [small, large] = peaks;
  const growth = small !== undefined && large !== undefined ? large / small : undefined;
  rows.push({
    id: '5', name: `peak RSS growth, pass-through, ${counts.join(' -> ')} files`,
    ours: parts.join('; '), baseline: '-',
    result: growth !== undefined ? `${mib(small)} -> ${mib(large)} (x${growth.toFixed(2)})` : SKIP_LARGE ? 'large run skipped' : '-',
    target: '<= 1.25x and <= 200 MiB', verdict: verdict(growth === undefined || large === undefined ? undefined : growth <= 1.25 && large <= limitKiB),
  });
  details.push('### 4-5. peak RSS', '', `Measured with ${HAVE_TIME ? '`/usr/bin/time -f %M`' : '`bench/rss-hook.mjs` (process.resourceUsage().maxRSS)'}.`,
    `- ${FILES} files: median of the pass-through runs' peaks, ${mib(rssAtFiles)}`, ...parts.map((part) => `- ${part}`), '', ...rssErrors, '');
}

// Cases 6-7: --jobs N (the cores) vs --jobs 1, pass-through on the main corpus and resize on a smaller one.
if (CASES.has('scaling')) {
  const resizeCorpus = await ensureCorpus(Math.min(SCALE_RESIZE_FILES, FILES), log);
  const resizeFlags = ['--resize', '224x224', '--encode', 'jpeg', '--quality', '95'];
  for (const [id, what, sized, flags] of [['6', 'pass-through', corpus, []], ['7', 'resize 224 + JPEG q95', resizeCorpus, resizeFlags]] as const) {
    const sides = await runPair(`${id} scaling ${what}`, [
      convertSide(`convert ${what} --jobs ${JOBS}`, sized, `scale-${id}-n`, [...flags, '--jobs', String(JOBS)]),
      convertSide(`convert ${what} --jobs 1`, sized, `scale-${id}-1`, [...flags, '--jobs', '1']),
    ], RUNS);
    const [many, one] = sides as [SideResult, SideResult];
    const result = compareSides(many, one, 'speedup', 1.7);
    rows.push({
      id, name: `--jobs ${JOBS} vs --jobs 1, ${what}, ${sized.count} files`,
      ours: describeSide(many, sized.totalBytes), baseline: describeSide(one, sized.totalBytes), result: result.text, target: '>= 1.70x', verdict: result.verdict,
    });
    recordDetails(`${id}. --jobs ${JOBS} vs --jobs 1, ${what}`, sides);
  }
}

// Case 8: pass-through vs @roboflow/tfrecords writing the same bytes.
if (CASES.has('roboflow')) {
  const rbOut = join(OUT_ROOT, 'roboflow.tfrecord');
  const sides = await runPair('8 roboflow', [
    convertSide('convert (pass-through)', corpus, 'passthrough-vs-roboflow', []),
    { label: '@roboflow/tfrecords (bench/roboflow-baseline.ts)', argv: tsxScript('roboflow-baseline.ts', corpus.dir, rbOut), output: rbOut },
  ], RUNS);
  const [ours, base] = sides as [SideResult, SideResult];
  const result = compareSides(ours, base, 'speedup', 10);
  if (passthroughMedian === undefined && ours.samples.length > 0) passthroughMedian = median(ours.samples);
  rows.push({
    id: '8', name: 'pass-through convert vs @roboflow/tfrecords',
    ours: describeSide(ours, corpus.totalBytes), baseline: describeSide(base, corpus.totalBytes), result: result.text, target: '>= 10x faster', verdict: result.verdict,
  });
  recordDetails('8. pass-through convert vs @roboflow/tfrecords', sides);
}

// Case 9: CRC-32C throughput, and its share of the pass-through time.
let crcNote = '';
if (CASES.has('crc')) {
  log('9 crc: measuring');
  const sample = await runMeasured({ label: 'crc', argv: tsxScript('crc-throughput.ts'), output: join(OUT_ROOT, 'crc-none') });
  let measurements: CrcMeasurement[] = [];
  if (sample.ok) {
    try {
      measurements = JSON.parse(sample.stdout.trim().split('\n').pop() ?? '[]') as CrcMeasurement[];
    } catch {
      crcNote = `unparseable output: ${tail(sample.stdout, 3)}`;
    }
  } else crcNote = sample.error;
  const project = measurements.find((m) => m.name.startsWith('src/'));
  const library = measurements.find((m) => m.name === 'crc-32/crc32c.js');
  const inUse = project?.ok === true ? project : library?.ok === true ? library : undefined;
  let share: number | undefined;
  if (inUse?.mbPerSecond !== undefined && passthroughMedian !== undefined) {
    share = corpus.totalBytes / 1e6 / inUse.mbPerSecond / passthroughMedian;
  }
  const rates = measurements.map((m) => `${m.name}: ${m.ok && m.mbPerSecond !== undefined ? `${m.mbPerSecond.toFixed(0)} MB/s` : m.note.split(' (')[0] ?? m.note}`);
  rows.push({
    id: '9', name: 'CRC-32C throughput (64 MiB buffer)',
    ours: inUse?.mbPerSecond !== undefined ? `${inUse.name}: ${inUse.mbPerSecond.toFixed(0)} MB/s` : `FAILED (${crcNote ? summarizeError(crcNote) : 'no implementation measurable'})`,
    baseline: rates.filter((line) => !line.startsWith(inUse?.name ?? '\0')).join('; '),
    result: share !== undefined ? `CRC = ${(share * 100).toFixed(1)}% of pass-through time` : 'share n/a (no pass-through time)',
    target: '<= 10% (else switch to @node-rs/crc32)', verdict: verdict(share !== undefined ? share <= 0.1 : undefined),
  });
  details.push('### 9. CRC-32C', '', ...measurements.map((m) => `- ${m.name}: ${m.ok && m.mbPerSecond !== undefined ? `${m.mbPerSecond.toFixed(0)} MB/s` : 'not measured'} — ${m.note}`));
  if (inUse !== undefined && inUse !== project) details.push(`- share computed with ${inUse.name}: src/record/crc32c was not measurable`);
  if (share !== undefined && passthroughMedian !== undefined) {
    details.push(`- share = ${formatBytes(corpus.totalBytes)} / ${inUse?.mbPerSecond?.toFixed(0)} MB/s = ${(corpus.totalBytes / 1e6 / (inUse?.mbPerSecond ?? 1)).toFixed(3)} s of CRC, over a ${passthroughMedian.toFixed(3)} s pass-through median`);
  }
  if (crcNote) details.push('', '```', crcNote, '```');
  details.push('');
}

// Cases 4-5: peak RSS at the main corpus size, and flat as the file count grows (streaming, bounded windows).
if (CASES.has('rss')) await measureRss();
rows.sort((a, b) => Number(a.id) - Number(b.id));

// ---- report ----

async function cpuModel(): Promise<string> {
  try {
    const text = await readFile('/proc/cpuinfo', 'utf8');
    return /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const versions = sharp.versions as { sharp?: string; vips: string };
const header = [
  '# img2tfrecord benchmark results',
  '',
  `- Date: ${startedAt.toISOString()}`,
  `- Machine: ${await cpuModel()}, ${CORES} cores (os.availableParallelism), Node ${process.version}, sharp ${versions.sharp ?? '?'} / libvips ${versions.vips}`,
  `- Corpus: ${corpus.count} JPEGs in ${corpus.classes} class folders, ${formatBytes(corpus.totalBytes)} (min ${(corpus.minBytes / 1024).toFixed(0)} KiB, median ${(corpus.medianBytes / 1024).toFixed(0)} KiB, max ${(corpus.maxBytes / 1024).toFixed(0)} KiB; ${corpus.outOfRange} outside 60-150 KB) from ${corpus.sources.length} source photo(s); ${corpus.dir.replace(`${REPO_DIR}/`, '')}`,
  `- Load average (1 min) at start / end: ${loadAtStart.toFixed(2)} / ${(loadavg()[0] ?? 0).toFixed(2)} on ${CORES} cores (other jobs share the machine: compare ratios within this run, not across runs)`,
  `- Method: ${RUNS} timed runs per side after one warm-up each, sides alternated (AB, BA, ...; three sides rotate), median wall time of a spawned process (startup included); page cache warm for every side${QUICK ? '; **BENCH_QUICK=1: small corpora, indicative only**' : ''}`,
  `- CLI: ${cli.how}; case 3: convert --jobs ${JOBS} (${IN_FLIGHT} files in flight) vs the floor with ${IN_FLIGHT} images in flight`,
  '',
  '| # | case | ours (median) | baseline (median) | result | target | verdict |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((row) => `| ${row.id} | ${cell(row.name)} | ${cell(row.ours)} | ${cell(row.baseline)} | ${cell(row.result)} | ${row.target} | ${row.verdict} |`),
  '',
  '## Details',
  '',
  ...details,
].join('\n');

await writeFile(join(BENCH_DIR, 'results.md'), `${header}\n`);
process.stdout.write(`${header}\n`);
await rm(OUT_ROOT, { recursive: true, force: true });
