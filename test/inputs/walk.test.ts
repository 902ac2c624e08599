import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { walkTree } from '../../src/inputs/walk.js';

/** A tree with dot entries, nested and empty folders, links, a FIFO and names that look like globs. */
async function hostileTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'walk-'));
  for (const folder of ['a/b/c', 'a/.dot', '.hidden/x', 'empty', '[g]*?', 'sp ace', 'ü']) await mkdir(join(dir, folder), { recursive: true });
  for (const file of ['root.jpg', 'a/1.jpg', 'a/b/c/2.jpg', 'a/.dotfile.jpg', 'a/.dot/3.jpg', '.hidden/x/4.jpg', '[g]*?/*.jpg', 'sp ace/p q.jpg', 'ü/é.JPG', 'a/back\\slash', 'a/new\nline.jpg']) {
    await writeFile(join(dir, file), 'x');
  }
  await symlink('../root.jpg', join(dir, 'a/link.jpg'));
  await symlink('../a', join(dir, 'sp ace/folder-link'));
  await symlink('nowhere', join(dir, 'a/broken'));
  execFileSync('mkfifo', [join(dir, 'a/fifo')]);
  return dir;
}

async function listWalk(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for await (const batch of walkTree(dir)) for (const entry of batch) paths.push(entry.path);
  return paths.sort();
}

test('walkTree lists what fast-glob **/* (dot: false) lists, less folders', async () => {
  const dir = await hostileTree();
  const globbed = (await fg('**/*', { cwd: dir, dot: false, onlyFiles: false, followSymbolicLinks: false, objectMode: true }))
    .filter((entry) => !entry.dirent.isDirectory()).map((entry) => entry.path).sort();
  const walked = await listWalk(dir);
  assert.deepEqual(walked, globbed);
  assert.deepEqual(walked, [
    '[g]*?/*.jpg', 'a/1.jpg', 'a/b/c/2.jpg', 'a/back\\slash', 'a/broken', 'a/fifo', 'a/link.jpg', 'a/new\nline.jpg',
    'root.jpg', 'sp ace/folder-link', 'sp ace/p q.jpg', 'ü/é.JPG',
  ]);
});

test('walkTree gives each entry its own type: links are links, not what they point to', async () => {
  const dir = await hostileTree();
  const types = new Map<string, string>();
  for await (const batch of walkTree(dir)) for (const { path, dirent } of batch) {
    types.set(path, dirent.isSymbolicLink() ? 'link' : dirent.isFIFO() ? 'fifo' : dirent.isFile() ? 'file' : 'other');
  }
  assert.equal(types.get('sp ace/folder-link'), 'link');
  assert.equal(types.get('a/link.jpg'), 'link');
  assert.equal(types.get('a/fifo'), 'fifo');
  assert.equal(types.get('a/1.jpg'), 'file');
});

test('walkTree throws the file system error of a missing root, naming the folder by its absolute path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'walk-'));
  await assert.rejects(listWalk(join(dir, 'missing')), { code: 'ENOENT', path: join(dir, 'missing') });
  // Relative roots too: discovery's EACCES message ("scandir '/abs/dir'") always named the folder absolutely.
  const relativeRoot = relative(process.cwd(), join(dir, 'missing'));
  await assert.rejects(listWalk(relativeRoot), { code: 'ENOENT', path: resolve(relativeRoot) });
});
