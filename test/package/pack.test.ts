import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDistFresh } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;

/**
 * The package as `npm pack` sees it, in a temp folder: a copy of dist/ when it is built from
 * today's src/ (`npm test` builds it first), else built from src/ here (dist/ may be stale).
 */
async function buildPackage(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'pack-')), 'img2tfrecord');
  for (const name of ['package.json', 'README.md', 'LICENSE', 'proto']) await cp(join(ROOT, name), join(dir, name), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  if (isDistFresh()) {
    await cp(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    return dir;
  }
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  return dir;
}

const built = buildPackage();

test('the tarball ships LICENSE, dist and proto, and no source map that points at unshipped src/', async () => {
  const dir = await built;
  const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(packed.status, 0, packed.stderr);
  const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
  for (const want of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/bin.js', 'proto/example.proto']) {
    assert.ok(files.includes(want), `${want} is in the tarball`);
  }
  assert.deepEqual(files.filter((f) => f.endsWith('.map') || f.startsWith('src/')), [], 'no maps, no sources');
  // The build itself makes no maps, so nothing in dist names one either.
  for (const file of files.filter((f) => /\.(js|d\.ts)$/.test(f))) {
    assert.doesNotMatch(await readFile(join(dir, file), 'utf8'), /sourceMappingURL/, file);
  }
});

test("require('img2tfrecord') loads the ESM build through the exports map's default condition", {
  // require(esm): unflagged from Node 20.19 and 22.12; behind --experimental-require-module from 20.17 / 22.0.
  skip: process.features.require_module === true ? false : `require(esm) is not enabled in Node ${process.version} (needs 20.19+ or 22.12+)`,
}, async () => {
  const dir = await built;
  const script = "const m = require('img2tfrecord'); console.log(typeof m.convert, typeof m.readExamples, typeof m.Img2TfrecordError)";
  const child = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'function function function');
});

test('the codec layers are subpath exports (img2tfrecord/record, /example, /datum, /image); the main entry keeps internals out', async () => {
  const dir = await built;
  const exportsMap = pkg.exports as Record<string, Record<string, string>>;
  for (const layer of ['record', 'example', 'datum', 'image']) {
    assert.deepEqual(exportsMap[`./${layer}`], { types: `./dist/${layer}/index.d.ts`, import: `./dist/${layer}/index.js`, default: `./dist/${layer}/index.js` });
  }
  const script = [
    "const record = await import('img2tfrecord/record');",
    "const example = await import('img2tfrecord/example');",
    "const datum = await import('img2tfrecord/datum');",
    "const image = await import('img2tfrecord/image');",
    "const main = await import('img2tfrecord');",
    "console.log(record.crc32c(Buffer.from('123456789')).toString(16), typeof example.encodeExample, typeof datum.encodeDatum, typeof image.sniffFormat,",
    "  ['mapOrdered', 'keyedUnit', 'checkOutputFree', 'TfrecordShardSink', 'loadSharp'].filter((n) => n in main).join(',') || 'none')",
  ].join('\n');
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'e3069283 function function function none');
});

test('package.json: node-lmdb optional, install scripts allowed only where needed, MIT with a LICENSE file', async () => {
  assert.deepEqual(Object.keys(pkg.optionalDependencies as object), ['node-lmdb']);
  assert.equal((pkg.dependencies as Record<string, string>)['node-lmdb'], undefined);
  assert.deepEqual(pkg.allowScripts, { 'node-lmdb': true, sharp: false, protobufjs: false, esbuild: false });
  assert.equal((pkg.exports as Record<string, Record<string, string>>)['.']?.default, './dist/index.js');
  assert.equal(pkg.license, 'MIT');
  const license = await readFile(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 img2tfrecord contributors\n/);
  assert.ok((await readdir(ROOT)).includes('LICENSE'));
});
