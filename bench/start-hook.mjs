// Preload (`node --import ./bench/start-hook.mjs`) for bench/startup.ts. At exit it appends to $BENCH_START_FILE
// one JSON line: ms since process start when discovery began (the input folder's first stat, which discoverFiles
// does first) and when the first input was opened (a path under $BENCH_START_INPUT), the CPU ms used by then, and
// the process's CPU ms at exit (all threads). The CLI imports node:fs's named exports, so the wrapped functions
// are published to ES modules with syncBuiltinESMExports before the CLI loads.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const target = process.env.BENCH_START_FILE;
const input = process.env.BENCH_START_INPUT;
if (target && input && isMainThread) {
  const marks = { discoveryMs: null, firstOpenMs: null, firstOpenCpuMs: null };
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const wrap = (owner, name, mark, matches) => {
    const original = owner[name];
    owner[name] = function (path, ...rest) {
      if (marks[mark] === null && typeof path === 'string' && matches(path)) {
        marks[mark] = performance.now();
        // CPU so far as well: on a shared machine it varies far less than the wall time.
        if (mark === 'firstOpenMs') marks.firstOpenCpuMs = cpuMs();
      }
      return original.call(this, path, ...rest);
    };
  };
  wrap(fs.promises, 'stat', 'discoveryMs', (path) => path === input);
  for (const name of ['openSync', 'readFileSync']) wrap(fs, name, 'firstOpenMs', (path) => path.startsWith(`${input}/`));
  syncBuiltinESMExports();
  process.on('exit', () => {
    fs.appendFileSync(target, `${JSON.stringify({ ...marks, cpuMs: cpuMs(), exitMs: performance.now() })}\n`);
  });
}
