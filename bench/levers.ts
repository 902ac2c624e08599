/**
 * Issue 16 prototypes, measured in one process on the bench corpus: what each piece of per-file work
 * costs on the main thread, and what moving it to worker threads (src/convert/readers/) buys.
 * Usage: npm run build && node --import tsx bench/levers.ts [corpus-dir] [--runs N] [--only a,b]
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writevSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CORPUS_ROOT, corpusDir } from './corpus.js';
import { listFiles, median } from './util.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: 'string' }, only: { type: 'string' } } });
const root = resolve(positionals[0] ?? corpusDir(5000));
const runs = Number(values.runs ?? '5');
const dist = pathToFileURL(resolve('dist')).href;
// The built code (npm run build): workers then load plain .js, as they will in the CLI.
const { ReadBufferPool } = (await import(`${dist}/runtime/read-pool.js`)) as typeof import('../src/runtime/read-pool.js');
const { checkTfDecodable } = (await import(`${dist}/image/decodable.js`)) as typeof import('../src/image/decodable.js');
const { crc32c } = (await import(`${dist}/record/crc32c.js`)) as typeof import('../src/record/crc32c.js');
const { crc32cCombine } = (await import(`${dist}/record/crc32c-combine.js`)) as typeof import('../src/record/crc32c-combine.js');
const { DEFAULT_IMAGE_SETTINGS } = (await import(`${dist}/image/settings.js`)) as typeof import('../src/image/settings.js');
const { resolveSchema } = (await import(`${dist}/dataset/schema.js`)) as typeof import('../src/dataset/schema.js');
const { ReadWorkerPool } = (await import(`${dist}/convert/readers/pool.js`)) as typeof import('../src/convert/readers/pool.js');

const files = (await listFiles(root)).map((rel) => join(root, rel));
const OUT = join(CORPUS_ROOT, 'out', `levers-${process.pid}.bin`);
mkdirSync(join(CORPUS_ROOT, 'out'), { recursive: true });
/** Frames gathered per writev: what a corked write stream sends at once (16 KiB x a few) is far less. */
const BATCH_BYTES = 4 * 1024 * 1024;

/** Appends buffers with one writev per ~4 MiB, synchronously: the cheapest a single writer thread can do. */
class BatchWriter {
  private readonly fd = openSync(OUT, 'w');
  private batch: Buffer[] = [];
  private bytes = 0;
  private after: (() => void)[] = [];
  write(parts: Buffer[], done?: () => void): void {
    for (const part of parts) {
      this.batch.push(part);
      this.bytes += part.length;
    }
    if (done !== undefined) this.after.push(done);
    if (this.bytes >= BATCH_BYTES) this.flush();
  }
  flush(): void {
    // writev takes at most IOV_MAX (1024) buffers.
    for (let i = 0; i < this.batch.length; i += 1024) writevSync(this.fd, this.batch.slice(i, i + 1024));
    for (const done of this.after) done();
    this.batch = [];
    this.after = [];
    this.bytes = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A stand-in for the 12-byte frame header (length + its masked CRC): its cost is not the question here. */
const header = (_length: number): Buffer => Buffer.alloc(12);

interface Work {
  readonly sha: boolean;
  readonly validate: boolean;
  readonly crc: boolean;
}

/** Everything on the main thread, one file after another: read (pooled buffers), then the chosen work, then write. */
async function runMain(work: Work): Promise<void> {
  const pool = new ReadBufferPool(64 * 2 ** 20);
  const out = new BatchWriter();
  for (const path of files) {
    const bytes = pool.read(path) as Buffer;
    if (work.sha) createHash('sha256').update(bytes).digest('hex');
    if (work.validate) await checkTfDecodable(bytes);
    const crc = work.crc ? crc32c(bytes) : 0;
    out.write([header(bytes.length), bytes, Buffer.from([crc & 0xff, 0, 0, 0])], () => pool.release(bytes));
  }
  out.close();
}

/**
 * Workers read into shared rings and hash, checksum and validate there (batched messages, as
 * `convert` does); the main thread keeps order (a window of promises) and writes views of the rings.
 */
async function runWorkers(size: number, work: Work): Promise<void> {
  const pool = new ReadWorkerPool(size, { sha256: work.sha, image: DEFAULT_IMAGE_SETTINGS, schema: resolveSchema('inception') });
  const out = new BatchWriter();
  const window = size * 8;
  const queue: Promise<Awaited<ReturnType<typeof pool.read>>>[] = [];
  let next = 0;
  pool.plan(files);
  while (next < files.length && queue.length < window) queue.push(pool.read(next++));
  while (queue.length > 0) {
    const read = await (queue.shift() as (typeof queue)[number]);
    if (next < files.length) queue.push(pool.read(next++));
    // The record's small parts are CRC'd here and joined to the worker's CRC of the image bytes.
    const head = header(read.bytes.length);
    const crc = crc32cCombine(crc32c(head), read.crc, read.bytes.length);
    out.write([head, read.bytes, Buffer.from([crc & 0xff, 0, 0, 0])], () => pool.release(read.bytes));
  }
  out.close();
  await pool.close();
}

const all = { sha: true, validate: true, crc: true };
const none = { sha: false, validate: false, crc: false };
const variants: Record<string, () => Promise<void>> = {
  'main: read+write only (node copy floor)': () => runMain(none),
  'main: + sha256': () => runMain({ ...none, sha: true }),
  'main: + validate (JPEG scan to EOI)': () => runMain({ ...none, validate: true }),
  'main: + crc32c': () => runMain({ ...none, crc: true }),
  'main: sha256 + validate + crc32c': () => runMain(all),
  '1 worker: read+sha256+validate+crc32c': () => runWorkers(1, all),
  '2 workers: read+sha256+validate+crc32c': () => runWorkers(2, all),
  '2 workers: read+validate+crc32c (no sha256)': () => runWorkers(2, { ...all, sha: false }),
};
const only = values.only?.split(',');
const chosen = Object.entries(variants).filter(([name]) => only === undefined || only.some((o) => name.includes(o)));
const times = new Map<string, number[]>(chosen.map(([name]) => [name, []]));
// CPU seconds (all threads of this process): steadier than wall time on a machine shared with other jobs.
const cpuTimes = new Map<string, number[]>(chosen.map(([name]) => [name, []]));
for (let round = 0; round <= runs; round++) {
  // Round 0 warms the page cache and the JIT; rounds alternate direction so drift hits all alike.
  const order = round % 2 === 0 ? chosen : [...chosen].reverse();
  for (const [name, run] of order) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    await run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    if (round > 0) {
      times.get(name)?.push(seconds);
      cpuTimes.get(name)?.push((cpu.user + cpu.system) / 1e6);
    }
    await rm(OUT, { force: true });
  }
}
const floor = median(times.get(chosen[0]?.[0] ?? '') ?? []);
process.stdout.write(`levers: ${files.length} files under ${root}, ${runs} runs each (median), in one process; ratio against the first row\n\n`);
const cpuFloor = median(cpuTimes.get(chosen[0]?.[0] ?? '') ?? []);
process.stdout.write('| variant | wall median s | wall runs | wall vs first row | CPU median s (all threads) | CPU vs first row |\n| --- | --- | --- | --- | --- | --- |\n');
for (const [name, samples] of times) {
  const m = median(samples);
  const c = median(cpuTimes.get(name) ?? []);
  process.stdout.write(`| ${name} | ${m.toFixed(3)} | ${samples.map((s) => s.toFixed(3)).join(', ')} | ${(m / floor).toFixed(2)}x | ${c.toFixed(3)} | ${(c / cpuFloor).toFixed(2)}x |\n`);
}
