// Preload (`node --import ./bench/start-hook.mjs`) for bench/startup.ts: at exit, appends to $BENCH_START_FILE one JSON
// line with the ms since process start of the first open of a path containing $BENCH_START_MATCH (the first input
// read), and the process's CPU ms (all threads). The CLI imports node:fs's named exports, so the wrapped functions
// are published to ES modules with syncBuiltinESMExports before the CLI loads.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const target = process.env.BENCH_START_FILE;
const match = process.env.BENCH_START_MATCH;
if (target && isMainThread) {
  let firstOpenMs = null;
  for (const name of ['openSync', 'readFileSync']) {
    const original = fs[name];
    fs[name] = function (path, ...rest) {
      if (firstOpenMs === null && match && typeof path === 'string' && path.includes(match)) firstOpenMs = performance.now();
      return original.call(this, path, ...rest);
    };
  }
  syncBuiltinESMExports();
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    fs.appendFileSync(target, `${JSON.stringify({ firstOpenMs, cpuMs: (user + system) / 1000, exitMs: performance.now() })}\n`);
  });
}
