// The import rule of src/: imports run one way, cli -> convert/read/summary -> caffe/sinks/dataset/
// inputs/scale -> codec layers (record/example/datum/image) -> runtime -> errors, with no circle
// between files or between folders. Parsed from the import statements of the sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Layer rank per top-level folder (or root file) of src/: a module may import only its own rank or below. */
const RANK: Readonly<Record<string, number>> = {
  'errors.ts': 0,
  runtime: 1,
  record: 2, example: 2, datum: 2, image: 2,
  caffe: 3, sinks: 3, dataset: 3, inputs: 3, scale: 3, tfds: 3, annotations: 3,
  convert: 4, read: 4, summary: 4,
  cli: 5,
  'index.ts': 6,
};

function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listSources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Relative imports of one file (static, re-exports, dynamic), as src-relative .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^import[^;]*?from\s*|^export[^;]*?from\s*|import\()\s*'(\.[^']+)'/gms)].map((m) => m[1] as string);
  return specs.map((s) => relative(SRC, normalize(join(dirname(file), s))).replace(/\.js$/, '.ts'));
}

const folderOf = (path: string): string => path.split('/')[0] as string;

const graph = new Map<string, string[]>(listSources(SRC).map((f) => [relative(SRC, f), importsOf(f)]));

test('every folder of src/ has a layer rank', () => {
  const unranked = [...new Set([...graph.keys()].map(folderOf))].filter((f) => RANK[f] === undefined);
  assert.deepEqual(unranked, []);
});

test('every relative import names a source file that exists', () => {
  const missing = [...graph].flatMap(([from, tos]) => tos.filter((to) => !graph.has(to)).map((to) => `${from} -> ${to}`));
  assert.deepEqual(missing, []);
});

test('no upward import: a module imports only its own layer or the layers below', () => {
  const upward = [...graph].flatMap(([from, tos]) =>
    tos.filter((to) => (RANK[folderOf(to)] ?? 99) > (RANK[folderOf(from)] ?? -1)).map((to) => `${from} -> ${to}`));
  assert.deepEqual(upward, []);
});

/** The first circle found in a graph, as a path that ends where it starts, or null. */
function findCircle(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const circle = visit(next);
      if (circle !== null) return circle;
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const circle = visit(node);
    if (circle !== null) return circle;
  }
  return null;
}

test('no import circle between files', () => {
  assert.equal(findCircle(graph)?.join(' -> ') ?? null, null);
});

test('no import circle between folders', () => {
  const folders = new Map<string, string[]>();
  for (const [from, tos] of graph) {
    const f = folderOf(from);
    const list = folders.get(f) ?? [];
    for (const to of tos) if (folderOf(to) !== f && !list.includes(folderOf(to))) list.push(folderOf(to));
    folders.set(f, list);
  }
  assert.equal(findCircle(folders)?.join(' -> ') ?? null, null);
});

test('the checker sees a circle and an upward import when there is one', () => {
  assert.deepEqual(findCircle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]])), ['a', 'b', 'c', 'a']);
  assert.equal(findCircle(new Map([['a', ['b']], ['b', []]])), null);
  assert.ok((RANK.cli as number) > (RANK.convert as number) && (RANK.convert as number) > (RANK.caffe as number));
  // The parser sees each kind of import statement.
  assert.ok(graph.get('cli/main.ts')?.some((to) => to.startsWith('cli/commands/')));
  assert.ok(graph.get('index.ts')?.includes('errors.ts'));
});
