import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLabelMap, createLabelResolver, formatLabelsTxt, readLabelFile } from '../../src/dataset/labels.js';
import { InputError, UnknownClassError } from '../../src/errors.js';

test('classes are sorted by code unit, independent of discovery order', () => {
  const map = buildLabelMap(['dog', 'Cat', 'cat', 'dog', 'ant'], null, 0);
  assert.deepEqual(map.names, ['Cat', 'ant', 'cat', 'dog']);
  assert.equal(formatLabelsTxt(map), 'Cat\nant\ncat\ndog\n');
});

test('a label file fixes the order and a folder missing from it is an error naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'labels-'));
  const path = join(dir, 'labels.txt');
  await writeFile(path, 'dog\r\n\ncat\nbird\n');
  const fixed = await readLabelFile(path);
  assert.deepEqual(fixed, { names: ['dog', 'cat', 'bird'], ids: null });
  assert.deepEqual(buildLabelMap(['cat', 'dog'], fixed, 1).names, ['dog', 'cat', 'bird']);
  assert.throws(() => buildLabelMap(['cat', 'fish'], fixed, 0, path), (e: unknown) =>
    e instanceof UnknownClassError && /"fish"/.test(e.message) && e.code === 'ERR_UNKNOWN_CLASS');
});

test('a label file listing a class twice is rejected with its line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'labels-'));
  const path = join(dir, 'labels.txt');
  await writeFile(path, 'a\nb\na\n');
  await assert.rejects(readLabelFile(path), (e: unknown) => e instanceof InputError && /:3: class "a" is listed twice/.test(e.message));
});

test('label files may be id:name lines or a pbtxt label map; labels.txt and label_map.pbtxt render them back', async () => {
  const { formatLabelMapPbtxt } = await import('../../src/dataset/labels.js');
  const dir = await mkdtemp(join(tmpdir(), 'labels-'));
  await writeFile(join(dir, 'ids.txt'), '5:cat\n2:dog\n');
  const ids = await readLabelFile(join(dir, 'ids.txt'));
  assert.deepEqual(ids, { names: ['dog', 'cat'], ids: [2, 5] });
  const map = buildLabelMap(['cat'], ids, 0);
  assert.equal(formatLabelsTxt(map), '2:dog\n5:cat\n');
  const pbtxt = formatLabelMapPbtxt(buildLabelMap(['cat', "o'neil"], null, 1));
  assert.equal(pbtxt, "item {\n  id: 1\n  name: 'cat'\n}\nitem {\n  id: 2\n  name: 'o\\'neil'\n}\n");
  await writeFile(join(dir, 'label_map.pbtxt'), "item {\n  id: 1\n  name: 'cat'\n}\nitem { name: \"dog\" id: 7 display_name: 'Dog' }\n");
  assert.deepEqual(await readLabelFile(join(dir, 'label_map.pbtxt')), { names: ['cat', 'dog'], ids: [1, 7] });
});

test('labels.txt carries the ids it was written with: bare names only for ids 0, 1, 2 ...; read back exactly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'labels-'));
  for (const [map, text] of [
    [buildLabelMap(['cat', 'dog'], null, 0), 'cat\ndog\n'],
    [buildLabelMap(['cat', 'dog'], null, 1), '1:cat\n2:dog\n'],
    [buildLabelMap(['cat', 'dog'], null, -1), '-1:cat\n0:dog\n'],
    [buildLabelMap(['cat'], { names: ['cat', 'dog'], ids: [1, 2] }, 0), '1:cat\n2:dog\n'],
    [buildLabelMap(['cat'], { names: ['cat', 'dog'], ids: [0, 3] }, 0), '0:cat\n3:dog\n'],
  ] as const) {
    assert.equal(formatLabelsTxt(map), text);
    const path = join(dir, 'labels.txt');
    await writeFile(path, formatLabelsTxt(map));
    const back = buildLabelMap(['cat'], await readLabelFile(path), 0);
    assert.deepEqual([back.names, back.ids], [map.names, map.ids], text);
  }
});

const FACE_MAP = fileURLToPath(new URL('../../fixtures/label-maps/face_person_with_keypoints_label_map.pbtxt', import.meta.url));

test('a real label_map.pbtxt with item: {, display_name and nested keypoints { id label } reads as its item ids', async () => {
  assert.deepEqual(await readLabelFile(FACE_MAP), { names: ['face', 'Person'], ids: [1, 2] });
});

test('label_map.pbtxt is protobuf text format: comments, both quotes, escapes, <> messages, unknown fields, errors with lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'labels-'));
  const path = join(dir, 'label_map.pbtxt');
  await writeFile(path, [
    '# classes of the shelf camera',
    'item {  # the first',
    '  name: "it\\"s a \\x41\\101\\u00e9"',
    '  id: 3',
    '  frequency: FREQUENT  ancestor_ids: [1, 2] extra { nested { name: "not me" id: 99 } }',
    '}',
    "item < id: 1; display_name: 'only display' >",
    "item: { id: -0x0 name: 'a}b' 'c' }",
    '',
  ].join('\n'));
  assert.deepEqual(await readLabelFile(path), { names: ['a}bc', 'only display', 'it"s a AAé'], ids: [0, 1, 3] });
  for (const [text, message] of [
    ["item {\n  id: 1\n  name: 'x'\n", /:3: not valid protobuf text format: missing "}"/],
    ["item {\n  id: 1\n  name: 'x\n}", /:3: not valid protobuf text format: string not closed/],
    ["item {\n  name: 'x'\n}\n", /:1: item needs an integer id/],
    ["item {\n  id: 2\n  keypoints { id: 0 label: 'nose' }\n}\n", /:1: item needs a quoted name \(or display_name\)/],
    ["item {\n  id: 1 name: 'x' }\nitem { id: 1 name: 'y' }\n", /an id is used twice/],
  ] as const) {
    await writeFile(path, text);
    await assert.rejects(readLabelFile(path), (e: unknown) => e instanceof InputError && message.test(e.message), text);
  }
});

test('label resolver: class folders share one resolved label; names, ids and floats resolve; unknown names are problems', () => {
  const folder = createLabelResolver(
    [{ className: 'dog', label: null }, { className: 'cat', label: null }],
    null, { labelOffset: 1, labels: null },
  );
  assert.deepEqual(folder.map, { names: ['cat', 'dog'], ids: [1, 2], offset: 1 });
  const a = folder.resolve({ className: 'dog', label: null });
  assert.equal(a, folder.resolve({ className: 'dog', label: null }), 'built once per class');
  assert.deepEqual(typeof a === 'string' ? a : [a.label?.values, a.text?.values.map((v) => Buffer.from(v as Uint8Array).toString()), a.classes], [[2n], ['dog'], ['dog']]);

  const rows = createLabelResolver(
    [{ className: null, label: { type: 'bytes', values: ['x', 'y'] } }],
    { names: ['x', 'y'], ids: null }, { labelOffset: 0, labels: 'names.txt' },
  );
  const multi = rows.resolve({ className: null, label: { type: 'bytes', values: ['y', 'x'] } });
  assert.deepEqual(typeof multi === 'string' ? multi : multi.label?.values, [1n, 0n]);
  assert.equal(rows.resolve({ className: null, label: { type: 'bytes', values: ['z'] } }), 'label "z" is not in the label list names.txt');
  assert.equal(rows.resolve({ className: null, label: { type: 'int64', values: [7n] } }), 'label 7 is not an id in the label list names.txt');

  // Bare ids (a Caffe list): named by themselves in the map, but no text feature is invented.
  const ids = createLabelResolver([{ className: null, label: { type: 'int64', values: [3n] } }], null, { labelOffset: 0, labels: null });
  assert.deepEqual(ids.map, { names: ['3'], ids: [3], offset: 3 });
  const bare = ids.resolve({ className: null, label: { type: 'int64', values: [3n] } });
  assert.deepEqual(typeof bare === 'string' ? bare : [bare.text, bare.classes], [null, ['3']]);
  const float = ids.resolve({ className: null, label: { type: 'float', values: [0.5] } });
  assert.deepEqual(typeof float === 'string' ? float : [float.label?.kind, float.classes], ['float', []]);
});

test('manifest rows with equal labels share one resolved label; other labels and unknown ones stay apart', () => {
  const rows = [
    { className: null, label: { type: 'bytes' as const, values: ['cat'] } },
    { className: null, label: { type: 'bytes' as const, values: ['cat'] } },
    { className: null, label: { type: 'bytes' as const, values: ['dog'] } },
    { className: null, label: { type: 'bytes' as const, values: ['cat', 'dog'] } },
  ];
  const labels = createLabelResolver(rows, { names: ['cat', 'dog'], ids: null }, { labelOffset: 0, labels: 'l.txt' });
  const [a, b, c, d] = rows.map((row) => labels.resolve(row));
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.deepEqual(c, { label: { kind: 'int64', values: [1n] }, text: { kind: 'bytes', values: [new TextEncoder().encode('dog')] }, classes: ['dog'] });
  assert.deepEqual((d as Exclude<typeof d, string | undefined>).classes, ['cat', 'dog']);
  const unknown = labels.resolve({ className: null, label: { type: 'bytes', values: ['fish'] } });
  assert.equal(unknown, 'label "fish" is not in the label list l.txt');
  const ids = createLabelResolver([], null, { labelOffset: 0, labels: null });
  const one = ids.resolve({ className: null, label: { type: 'int64', values: [3n] } });
  assert.equal(ids.resolve({ className: null, label: { type: 'int64', values: [3n] } }), one);
  assert.notEqual(ids.resolve({ className: null, label: { type: 'int64', values: [4n] } }), one);
});
