/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file, main thread.
 * Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top N]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const path = process.argv[2];
const top = Number(process.argv[3] ?? '25');
if (path === undefined) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top N]\n');
  process.exit(2);
}
const profile = JSON.parse(await readFile(path, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = profile.endTime - profile.startTime;

/** Shortens a URL to the part after the repo or node_modules, so rows stay readable. */
function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
}

function addTo(map: Map<string, number>, key: string, micros: number): void {
  map.set(key, (map.get(key) ?? 0) + micros);
}

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const frame = byId.get(id)?.callFrame;
  if (frame === undefined) continue;
  const name = frame.functionName || '(anonymous)';
  const file = frame.url === '' ? '(native / VM)' : shortUrl(frame.url);
  addTo(byFunction, `${name} ${file === '(native / VM)' ? '' : `${file}:${frame.lineNumber + 1}`}`.trim(), micros);
  addTo(byFile, file, micros);
}

const row = (key: string, micros: number): string => `| ${key} | ${(micros / 1000).toFixed(0)} ms | ${((micros / total) * 100).toFixed(1)}% |`;
const print = (title: string, map: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n\n| entry | self time | share |\n| --- | --- | --- |\n`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${row(key, micros)}\n`);
};
process.stdout.write(`profile ${path}: ${(total / 1000).toFixed(0)} ms wall on the main thread, ${profile.samples.length} samples\n`);
print('Self time by function', byFunction);
print('Self time by file', byFile);
