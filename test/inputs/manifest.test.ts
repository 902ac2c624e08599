import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectManifestFormat, parseColumnSpec, readManifest, readManifestText } from '../../src/inputs/manifest.js';
import { InputError, InvalidOptionError } from '../../src/errors.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/', import.meta.url));

async function dirWithImages(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
  await mkdir(join(dir, 'img'));
  for (const n of ['a', 'b', 'c', 'd']) await copyFile(join(SAMPLE, 'animals/HappyFish.jpg'), join(dir, 'img', `${n}.jpg`));
  return dir;
}

test('CSV: quoting, types inferred over the whole column, lists, empty cells omitted', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.csv'), [
    '\uFEFFpath,label,score,tags,id,big,note,split',
    'img/a.jpg,cat,1,1;4;7,007,9223372036854775807,"hello, world",train',
    'img/b.jpg,dog,2.5,2,010,-5,"say ""hi""",validation',
    '"img/c.jpg",cat,1e3,,011,12,"multi\nline",',
    'img/d.jpg,dog,-7,3,012,0,,test',
  ].join('\r\n'));
  const m = await readManifest(join(dir, 'm.csv'));
  assert.equal(m.format, 'csv');
  assert.deepEqual(m.problems, []);
  assert.deepEqual(Object.fromEntries(m.columns), { label: 'bytes', score: 'float', tags: 'int64', id: 'bytes', big: 'int64', note: 'bytes' });
  const [a, b, c, d] = m.rows;
  assert.equal(a?.relPath, 'img/a.jpg');
  assert.equal(a?.path, join(dir, 'img/a.jpg'));
  assert.deepEqual(a?.label, { type: 'bytes', values: ['cat'] });
  assert.deepEqual(a?.extra.get('tags'), { type: 'int64', values: [1n, 4n, 7n] });
  assert.deepEqual(a?.extra.get('id'), { type: 'bytes', values: ['007'] }, '"007" stays text');
  assert.deepEqual(a?.extra.get('big'), { type: 'int64', values: [2n ** 63n - 1n] });
  assert.deepEqual(a?.extra.get('note'), { type: 'bytes', values: ['hello, world'] });
  assert.deepEqual(b?.extra.get('score'), { type: 'float', values: [2.5] });
  assert.deepEqual(b?.extra.get('note'), { type: 'bytes', values: ['say "hi"'] });
  assert.deepEqual(c?.extra.get('score'), { type: 'float', values: [1000] });
  assert.equal(c?.extra.has('tags'), false, 'empty cell is not a feature');
  assert.equal(c?.extra.get('note')?.values[0], 'multi\nline');
  assert.equal(d?.line, 6, 'line numbers count the quoted newline');
  assert.deepEqual(d?.extra.get('score'), { type: 'float', values: [-7] });
  assert.deepEqual([a?.split, b?.split, c?.split, d?.split], ['train', 'validation', null, 'test']);
});

test('an integer beyond int64 makes an inferred column text, and is malformed in an int64 column', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.csv'), 'path,n\nimg/a.jpg,9223372036854775808\nimg/b.jpg,3\n');
  assert.equal((await readManifest(join(dir, 'm.csv'))).columns.get('n'), 'bytes');
  const fixed = await readManifest(join(dir, 'm.csv'), { columnTypes: new Map([['n', 'int64']]) });
  assert.equal(fixed.rows.length, 1);
  assert.equal(fixed.problems[0]?.line, 2);
  assert.match(fixed.problems[0]?.reason ?? '', /m\.csv:2: img\/a\.jpg: column "n": 9223372036854775808 does not fit in int64/);
  const asFloat = await readManifest(join(dir, 'm.csv'), { columnTypes: new Map([['n', 'float']]) });
  assert.equal(asFloat.rows[1]?.extra.get('n')?.type, 'float');
});

test('TSV, JSON Lines (exact big integers, arrays, booleans), Caffe lists and plain lists', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.tsv'), 'path\tlabel\nimg/a.jpg\t3\nimg/b.jpg\t4\n');
  const tsv = await readManifest(join(dir, 'm.tsv'));
  assert.deepEqual(tsv.rows.map((r) => r.label), [{ type: 'int64', values: [3n] }, { type: 'int64', values: [4n] }]);
  await writeFile(join(dir, 'm.jsonl'), [
    '{"path": "img/a.jpg", "label": [1, 4], "w": 0.5, "id": 9007199254740993, "ok": true}',
    '{"path": "img/b.jpg", "label": [2], "w": 2, "id": 1, "ok": false}',
    '{"path": "img/c.jpg", "nested": {"x": 1}}',
    'not json',
  ].join('\n'));
  const jsonl = await readManifest(join(dir, 'm.jsonl'));
  assert.deepEqual(jsonl.rows[0]?.label, { type: 'int64', values: [1n, 4n] });
  assert.deepEqual(jsonl.rows[0]?.extra.get('id'), { type: 'int64', values: [9007199254740993n] }, 'exact beyond 2^53');
  assert.deepEqual(jsonl.rows[1]?.extra.get('w'), { type: 'float', values: [2] });
  assert.deepEqual(jsonl.rows[0]?.extra.get('ok'), { type: 'int64', values: [1n] });
  assert.deepEqual(jsonl.problems.map((p) => [p.line, p.problem]), [[3, 'malformed'], [4, 'malformed']]);
  await mkdir(join(dir, 'with space'));
  await copyFile(join(dir, 'img/a.jpg'), join(dir, 'with space/x y.jpg'));
  await writeFile(join(dir, 'list.txt'), '# caffe list\nwith space/x y.jpg 5\nimg/b.jpg 2\nnolabel\n');
  const caffe = await readManifest(join(dir, 'list.txt'), { format: 'caffe' });
  assert.deepEqual(caffe.rows.map((r) => [r.relPath, r.label]), [['with space/x y.jpg', { type: 'int64', values: [5n] }], ['img/b.jpg', { type: 'int64', values: [2n] }]]);
  assert.deepEqual(caffe.problems.map((p) => p.line), [4]);
  const list = await readManifestText('img/a.jpg\nimg/zzz.jpg\n', { name: 'stdin', baseDir: dir, format: 'list' });
  assert.equal(list.rows.length, 1);
  assert.deepEqual(list.problems.map((p) => [p.line, p.problem, p.reason]), [[2, 'missing-file', 'stdin:2: img/zzz.jpg: file not found']]);
});

test('fatal manifest errors: no path column, duplicate columns, unknown extension, unreadable file', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'nopath.csv'), 'file,label\na.jpg,1\n');
  await assert.rejects(readManifest(join(dir, 'nopath.csv')), (e: unknown) => e instanceof InputError && /no "path" column/.test(e.message));
  await writeFile(join(dir, 'dup.csv'), 'path,a,a\n');
  await assert.rejects(readManifest(join(dir, 'dup.csv')), /column "a" appears twice/);
  assert.throws(() => detectManifestFormat('x.xlsx'), InvalidOptionError);
  await assert.rejects(readManifest(join(dir, 'missing.csv')), InputError);
  assert.deepEqual(parseColumnSpec('age:int64'), ['age', 'int64']);
  assert.throws(() => parseColumnSpec('age:int32'), InvalidOptionError);
  await writeFile(join(dir, 'short.csv'), 'path,label\nimg/a.jpg\n');
  const short = await readManifest(join(dir, 'short.csv'));
  assert.match(short.problems[0]?.reason ?? '', /short\.csv:2: 1 cells where the header has 2/);
});

test('image columns resolve a second file per row; a missing one is a row problem', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'seg.csv'), 'path,mask\nimg/a.jpg,img/b.jpg\nimg/c.jpg,img/none.png\n');
  const m = await readManifest(join(dir, 'seg.csv'), { imageColumns: ['mask'] });
  assert.deepEqual(m.rows[0]?.images.get('mask'), { path: join(dir, 'img/b.jpg'), relPath: 'img/b.jpg' });
  assert.equal(m.rows[0]?.extra.has('mask'), false);
  assert.match(m.problems[0]?.reason ?? '', /seg\.csv:3: img\/none\.png: file not found \(column "mask"\)/);
});

test('JSON Lines numbers are typed from their literal text, like CSV cells', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.jsonl'), [
    '{"path": "img/a.jpg", "ratio": 1.0, "exp": 1e3, "neg": -4, "big": 9007199254740993, "huge": 1, "code": "007", "gap": null, "list": [1, 2.5]}',
    '{"path": "img/b.jpg", "ratio": 2.0, "exp": 2, "neg": -9223372036854775808, "big": -9007199254740993, "huge": 100000000000000000000, "code": "012", "gap": 3, "list": []}',
  ].join('\n'));
  const m = await readManifest(join(dir, 'm.jsonl'));
  assert.deepEqual(m.problems, []);
  assert.deepEqual(Object.fromEntries(m.columns), {
    ratio: 'float', exp: 'float', neg: 'int64', big: 'int64', huge: 'bytes', code: 'bytes', gap: 'int64', list: 'float',
  });
  const [a, b] = m.rows;
  assert.deepEqual(a?.extra.get('ratio'), { type: 'float', values: [1] }, '1.0 is a float, not the integer JSON.parse makes of it');
  assert.deepEqual(a?.extra.get('exp'), { type: 'float', values: [1000] });
  assert.deepEqual(b?.extra.get('neg'), { type: 'int64', values: [-(2n ** 63n)] });
  assert.deepEqual(a?.extra.get('big'), { type: 'int64', values: [9007199254740993n] });
  assert.deepEqual(b?.extra.get('big'), { type: 'int64', values: [-9007199254740993n] });
  assert.deepEqual(b?.extra.get('huge'), { type: 'bytes', values: ['100000000000000000000'] }, 'beyond int64: text, exact digits');
  assert.deepEqual(a?.extra.get('huge'), { type: 'bytes', values: ['1'] });
  assert.deepEqual(a?.extra.get('code'), { type: 'bytes', values: ['007'] });
  assert.equal(a?.extra.has('gap'), false, 'null is an empty cell');
  assert.deepEqual(a?.extra.get('list'), { type: 'float', values: [1, 2.5] });
  assert.equal(b?.extra.has('list'), false, 'an empty array is an empty cell');
});

test('CSV: integers between 2^53 and int64 stay exact; a column with one text cell is text; --column fixes a type', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.csv'), 'path,id,mixed,zip\nimg/a.jpg,9007199254740993,-1,007\nimg/b.jpg,-9223372036854775808,x,\nimg/c.jpg,,2.5,123\n');
  const m = await readManifest(join(dir, 'm.csv'));
  assert.deepEqual(Object.fromEntries(m.columns), { id: 'int64', mixed: 'bytes', zip: 'bytes' });
  assert.deepEqual(m.rows.map((r) => r.extra.get('id')?.values[0]), [9007199254740993n, -(2n ** 63n), undefined]);
  assert.deepEqual(m.rows.map((r) => r.extra.get('mixed')?.values[0]), ['-1', 'x', '2.5']);
  const fixed = await readManifest(join(dir, 'm.csv'), { columnTypes: new Map([['zip', 'int64'], ['mixed', 'float']]) });
  // "007" read as an int64 when asked; "x" is not a float: its row is reported with line and path.
  assert.deepEqual(fixed.rows.map((r) => [r.relPath, r.extra.get('zip')?.values[0]]), [['img/a.jpg', 7n], ['img/c.jpg', 123n]]);
  assert.deepEqual(fixed.problems.map((p) => [p.line, p.path, p.problem]), [[3, 'img/b.jpg', 'malformed']]);
  assert.match(fixed.problems[0]?.reason ?? '', /m\.csv:3: img\/b\.jpg: column "mixed": "x" is not a number$/);
});

test('TSV: lists and empty cells, no quoting', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.tsv'), 'path\tlabel\tbox\tnote\nimg/a.jpg\tcat;dog\t0.1;0.2;0.5;0.9\t"as is"\nimg/b.jpg\tdog\t\t\n');
  const m = await readManifest(join(dir, 'm.tsv'));
  assert.equal(m.format, 'tsv');
  assert.deepEqual(m.rows[0]?.label, { type: 'bytes', values: ['cat', 'dog'] });
  assert.deepEqual(m.rows[0]?.extra.get('box'), { type: 'float', values: [0.1, 0.2, 0.5, 0.9] });
  assert.deepEqual(m.rows[0]?.extra.get('note'), { type: 'bytes', values: ['"as is"'] });
  assert.equal(m.rows[1]?.extra.size, 0);
});

test('a --column or --image-column naming no column of the manifest is an error', async () => {
  const dir = await dirWithImages();
  await writeFile(join(dir, 'm.csv'), 'path,mask,weight\nimg/a.jpg,img/b.jpg,1\n');
  await assert.rejects(readManifest(join(dir, 'm.csv'), { imageColumns: ['maks'] }),
    (e: unknown) => e instanceof InvalidOptionError && /--image-column maks: .*m\.csv has no column "maks" \(columns: path, mask, weight\)/.test(e.message));
  await assert.rejects(readManifest(join(dir, 'm.csv'), { columnTypes: new Map([['wieght', 'float']]) }), /--column wieght: /);
  await writeFile(join(dir, 'm.jsonl'), '{"path": "img/a.jpg"}\n{"path": "img/b.jpg", "w": 1}\n');
  assert.equal((await readManifest(join(dir, 'm.jsonl'), { columnTypes: new Map([['w', 'float']]) })).columns.get('w'), 'float');
  await assert.rejects(readManifest(join(dir, 'm.jsonl'), { columnTypes: new Map([['x', 'float']]) }), /has no column "x"/);
  await writeFile(join(dir, 'list.txt'), 'img/a.jpg 1\n');
  const caffe = await readManifest(join(dir, 'list.txt'), { format: 'caffe', columnTypes: new Map([['label', 'float']]) });
  assert.deepEqual(caffe.rows[0]?.label, { type: 'float', values: [1] });
});

test('paths are relative to the manifest\'s folder, or absolute (kept as written for image/filename)', async () => {
  const dir = await dirWithImages();
  await mkdir(join(dir, 'lists'));
  await writeFile(join(dir, 'lists/m.csv'), `path\n../img/a.jpg\n${join(dir, 'img/b.jpg')}\n`);
  const m = await readManifest(join(dir, 'lists/m.csv'));
  assert.deepEqual(m.problems, []);
  assert.deepEqual(m.rows.map((r) => [r.path, r.relPath]), [
    [join(dir, 'img/a.jpg'), '../img/a.jpg'], [join(dir, 'img/b.jpg'), join(dir, 'img/b.jpg').replace(/\\/g, '/')]]);
});
