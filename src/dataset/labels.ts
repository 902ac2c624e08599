/** Class names and label ids: from the input's classes, or fixed by a label file (names, id:name or pbtxt). */
import { readFile } from 'node:fs/promises';
import { InputError, UnknownClassError } from '../errors.js';
import { parseTextProto, PbtxtSyntaxError, type PbtxtField, type PbtxtMessage } from './pbtxt.js';
import { compareCodeUnits } from '../runtime/compare.js';

/** Classes in id order. */
export interface LabelMap {
  readonly names: readonly string[];
  /** `ids[i]` is the id of `names[i]`; ascending. */
  readonly ids: readonly number[];
  /** The id of `names[0]` when ids are contiguous (the `--label-offset`). */
  readonly offset: number;
}

/** A label file's entries: ids when the file gives them (id:name, pbtxt), else null. */
export interface LabelFile {
  readonly names: readonly string[];
  readonly ids: readonly number[] | null;
}

/**
 * Reads a label file: one class name per line (id = line position + offset), `id:name` lines, or
 * an Object Detection API `label_map.pbtxt` (`item { id: 1 name: 'cat' }`).
 *
 * @example
 * const { names, ids } = await readLabelFile('label_map.pbtxt');
 */
export async function readLabelFile(path: string): Promise<LabelFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`${path}: label file not found or unreadable`, { path });
  }
  if (/^\s*item\s*:?\s*[{<]/m.test(text)) return parsePbtxt(text, path);
  const names: string[] = [];
  const ids: number[] = [];
  const seen = new Map<string, number>();
  let withIds: boolean | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') return;
    const match = /^(-?\d+)\s*:\s*(.+)$/.exec(line);
    if (withIds === null) withIds = match !== null;
    if (withIds && match === null) throw new InputError(`${path}:${i + 1}: expected id:name like the lines before`, { path, line: i + 1 });
    const name = withIds && match !== null ? (match[2] as string).trim() : line;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new InputError(`${path}:${i + 1}: class "${name}" is listed twice (first on line ${earlier})`, { path, line: i + 1 });
    }
    seen.set(name, i + 1);
    names.push(name);
    if (withIds && match !== null) ids.push(Number(match[1]));
  });
  if (names.length === 0) throw new InputError(`${path}: label file lists no classes`, { path });
  return withIds === true ? checkIds(names, ids, path) : { names, ids: null };
}

function checkIds(names: string[], ids: number[], path: string): LabelFile {
  if (new Set(ids).size !== ids.length) throw new InputError(`${path}: an id is used twice`, { path });
  const order = names.map((name, i) => ({ name, id: ids[i] as number })).sort((a, b) => a.id - b.id);
  return { names: order.map((o) => o.name), ids: order.map((o) => o.id) };
}

function parsePbtxt(text: string, path: string): LabelFile {
  let top: PbtxtMessage;
  try {
    top = parseTextProto(text);
  } catch (error) {
    if (!(error instanceof PbtxtSyntaxError)) throw error;
    throw new InputError(`${path}:${error.line}: not valid protobuf text format: ${error.message}`, { path, line: error.line });
  }
  const names: string[] = [];
  const ids: number[] = [];
  for (const item of top.get('item') ?? []) {
    if (!(item.value instanceof Map)) throw new InputError(`${path}:${item.line}: item must be a message (item { ... })`, { path, line: item.line });
    const id = lastScalar(item.value, 'id');
    // The Object Detection API keys classes by `name`; `display_name` only labels a map without one.
    const name = lastScalar(item.value, 'name') ?? lastScalar(item.value, 'display_name');
    if (id === undefined || typeof id.value !== 'number' || !Number.isSafeInteger(id.value)) {
      throw new InputError(`${path}:${item.line}: item needs an integer id`, { path, line: item.line });
    }
    if (name === undefined || typeof name.value !== 'string') {
      throw new InputError(`${path}:${item.line}: item needs a quoted name (or display_name)`, { path, line: item.line });
    }
    names.push(name.value);
    ids.push(id.value);
  }
  if (names.length === 0) throw new InputError(`${path}: label map lists no items`, { path });
  return checkIds(names, ids, path);
}

function lastScalar(message: PbtxtMessage, field: string): PbtxtField | undefined {
  return message.get(field)?.at(-1);
}

/**
 * Builds the label map from the classes present: sorted by name with ids from `offset`, or as
 * the label file fixes them. Throws {@link UnknownClassError} for a class missing from the file.
 *
 * @example
 * buildLabelMap(['dog', 'cat'], null, 0).names; // ['cat', 'dog']
 */
export function buildLabelMap(present: Iterable<string>, fixed: LabelFile | null, offset: number, labelsPath = ''): LabelMap {
  const classes = [...new Set(present)].sort(compareCodeUnits);
  if (fixed === null) return { names: classes, ids: classes.map((_, i) => i + offset), offset };
  const known = new Set(fixed.names);
  for (const name of classes) {
    if (!known.has(name)) throw new UnknownClassError(name, labelsPath === '' ? {} : { path: labelsPath });
  }
  const ids = fixed.ids ?? fixed.names.map((_, i) => i + offset);
  return { names: [...fixed.names], ids, offset: ids[0] ?? offset };
}

/**
 * Whether ids run 0, 1, 2, ... so labels.txt can list bare names: a bare list is read back with ids
 * from 0, so any other start (--label-offset 1, pbtxt ids) must be written as `id:name` lines.
 */
function fromZero(map: LabelMap): boolean {
  return map.ids.every((id, i) => id === i);
}

/**
 * Renders `labels.txt`: one name per line in id order when ids are 0, 1, 2, ..., else `id:name` lines
 * (an offset or gaps), so `--labels labels.txt` reads back exactly the ids that were written.
 *
 * @example
 * formatLabelsTxt(labelMap); // 'cat\ndog\n'
 */
export function formatLabelsTxt(map: LabelMap): string {
  if (fromZero(map)) return map.names.map((name) => `${name}\n`).join('');
  return map.names.map((name, i) => `${map.ids[i]}:${name}\n`).join('');
}

/**
 * Renders the Object Detection API's `label_map.pbtxt`.
 *
 * @example
 * formatLabelMapPbtxt(labelMap); // "item {\n  id: 1\n  name: 'cat'\n}\n..."
 */
export function formatLabelMapPbtxt(map: LabelMap): string {
  return map.names.map((name, i) => `item {\n  id: ${map.ids[i]}\n  name: '${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'\n}\n`).join('');
}
