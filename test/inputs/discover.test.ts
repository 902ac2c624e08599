import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from '../../src/convert/convert.js';
import { discoverFiles } from '../../src/inputs/discover.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

/** cat/a.jpg, plus the hostile entries each test adds. */
async function tree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'discover-'));
  await mkdir(join(dir, 'cat'));
  await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(dir, 'cat/a.jpg'));
  return dir;
}

const settings = (input: string, followSymlinks: boolean) => ({ input, include: [], exclude: [], followSymlinks });

test('a FIFO, a socket and a link to /dev/zero are reported not-a-regular-file and never opened', async () => {
  const dir = await tree();
  // Opening this FIFO would wait for a writer for ever; reading /dev/zero would never end.
  execFileSync('mkfifo', [join(dir, 'cat/f.jpg')]);
  await symlink('/dev/zero', join(dir, 'cat/z.jpg'));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(dir, 'cat/s.jpg'), resolve));
  try {
    const found = await discoverFiles(settings(dir, true));
    assert.deepEqual(found.images.map((f) => f.relPath), ['cat/a.jpg']);
    assert.deepEqual(found.problems.map((p) => [p.relPath, p.problem]), [
      ['cat/f.jpg', 'not-a-regular-file'], ['cat/s.jpg', 'not-a-regular-file'], ['cat/z.jpg', 'not-a-regular-file'],
    ]);
    assert.match(found.problems[0]?.reason ?? '', /FIFO/);
    assert.match(found.problems[2]?.reason ?? '', /character device/);

    const summary = await convert({ input: dir, output: join(dir, 'out'), followSymlinks: true });
    assert.equal(summary.records, 1);
    assert.equal(summary.found, summary.records + summary.skipped + summary.ignored);
    assert.deepEqual(summary.errors.map((e) => e.problem), ['not-a-regular-file', 'not-a-regular-file', 'not-a-regular-file']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a dangling link with --follow-symlinks is reported broken-link and counted', async () => {
  const dir = await tree();
  await symlink('nowhere.jpg', join(dir, 'cat/dangling.jpg'));
  const summary = await convert({ input: dir, output: join(dir, 'out'), followSymlinks: true });
  assert.equal(summary.found, 2);
  assert.equal(summary.records, 1);
  assert.deepEqual(summary.errors.map((e) => [e.path, e.problem]), [['cat/dangling.jpg', 'broken-link']]);
});

test('a symlink loop with --follow-symlinks stores each real file once', async () => {
  const dir = await tree();
  await symlink('..', join(dir, 'cat/loop'));
  await symlink('cat', join(dir, 'again'));
  const found = await discoverFiles(settings(dir, true));
  assert.deepEqual(found.images.map((f) => f.relPath), ['cat/a.jpg']);
  // The second path to the same file is listed, not lost from the counts.
  assert.deepEqual(found.ignored.map((f) => f.relPath), ['again/a.jpg']);
  assert.match(found.ignored[0]?.reason ?? '', /same file as cat\/a\.jpg/);
  const summary = await convert({ input: dir, output: join(dir, 'out'), followSymlinks: true });
  assert.equal(summary.records, 1);
  assert.equal(summary.found, summary.records + summary.skipped + summary.ignored);
});

test('without --follow-symlinks links are listed as ignored and FIFOs still reported', async () => {
  const dir = await tree();
  execFileSync('mkfifo', [join(dir, 'cat/f.png')]);
  await symlink('/dev/zero', join(dir, 'cat/z.jpg'));
  const found = await discoverFiles(settings(dir, false));
  assert.deepEqual(found.images.map((f) => f.relPath), ['cat/a.jpg']);
  assert.deepEqual(found.ignored.map((f) => f.relPath), ['cat/z.jpg']);
  assert.deepEqual(found.problems.map((p) => p.problem), ['not-a-regular-file']);
});

test('manifest rows: a FIFO is not-a-regular-file too; a non-image is described by kind, never by its bytes', async () => {
  const dir = await tree();
  execFileSync('mkfifo', [join(dir, 'fifo.jpg')]);
  // Like a row pointing at /etc/shadow: its content must not reach a message or dataset.json.
  await writeFile(join(dir, 'shadow'), 'root:$6$s3cr3tHash:19000:0:99999:7:::\n');
  await writeFile(join(dir, 'm.csv'), 'path,label\ncat/a.jpg,cat\nfifo.jpg,cat\nshadow,cat\n');
  const out = join(dir, 'out');
  const summary = await convert({ manifest: join(dir, 'm.csv'), output: out });
  assert.equal(summary.records, 1);
  assert.deepEqual(summary.errors.map((e) => [e.path, e.problem]), [['fifo.jpg', 'not-a-regular-file'], ['shadow', 'not-an-image']]);
  assert.match(summary.errors[1]?.reason ?? '', /not an image: a text file/);
  const written = await readFile(join(out, 'dataset.json'), 'utf8');
  assert.ok(!written.includes('s3cr3t') && !written.includes('root:'), 'no byte of the file in dataset.json');
});
