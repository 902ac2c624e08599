/** Class names and label ids: from the input's classes, or fixed by a label file (names, id:name or pbtxt). */
import { readFile } from 'node:fs/promises';
import { InputError, UnknownClassError } from '../errors.js';
import { bytesFeature, floatFeature, int64Feature, type Feature } from '../example/index.js';
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

/** A label cell as a manifest gives it (structurally `CellValue` of `inputs/`). */
export type LabelCell =
  | { readonly type: 'int64'; readonly values: readonly bigint[] }
  | { readonly type: 'float'; readonly values: readonly number[] }
  | { readonly type: 'bytes'; readonly values: readonly string[] };

/** What a label resolver needs of an input: its class folder or its manifest label cell. */
export interface LabelledSource {
  readonly className: string | null;
  readonly label: LabelCell | null;
}

/** An input's label as written: the label and text features, and the class names it counts for. */
export interface ResolvedLabel {
  readonly label: Feature | null;
  readonly text: Feature | null;
  readonly classes: readonly string[];
}

/** The label map of a run and the label of each input. */
export interface LabelResolver {
  readonly map: LabelMap | null;
  /** Label features of an input, or a problem message (unknown label). Resolve once per input. */
  readonly resolve: (input: LabelledSource) => ResolvedLabel | string;
}

/** The label map and how labels of a run are resolved. */
export interface LabelSettings {
  readonly labelOffset: number;
  /** The --labels path ('' or null without one), named in messages. */
  readonly labels: string | null;
}

/**
 * Builds the label map of a run (from its classes, a label file, or integer ids) and a resolver
 * turning each input into its label features.
 *
 * @example
 * const labels = createLabelResolver(inputs, null, { labelOffset: 0, labels: null });
 * const resolved = labels.resolve(inputs[0]); // { label, text, classes } or a problem message
 */
export function createLabelResolver(inputs: readonly LabelledSource[], fixed: LabelFile | null, settings: LabelSettings): LabelResolver {
  const classNames = new Set<string>();
  for (const input of inputs) {
    if (input.className !== null) classNames.add(input.className);
    if (input.label?.type === 'bytes') for (const v of input.label.values) classNames.add(v);
  }
  // Folder classes must all be in a given label file (an error naming the folder); manifest
  // labels missing from it are per-row problems instead.
  const folderClasses = inputs.filter((i) => i.className !== null).map((i) => i.className as string);
  const named = classNames.size > 0 || fixed !== null;
  const map = named
    ? buildLabelMap(fixed === null ? classNames : folderClasses, fixed, settings.labelOffset, settings.labels ?? '')
    : idsAsLabelMap(inputs);
  const idOf = new Map(map?.names.map((name, i) => [name, map.ids[i] as number]) ?? []);
  const nameOf = new Map(map?.names.map((name, i) => [map.ids[i] as number, name]) ?? []);
  // Every file of a class folder has the same label features: built once per class, not per file.
  const byClass = new Map<string, ResolvedLabel>();
  const ofClass = (className: string): ResolvedLabel => {
    let resolved = byClass.get(className);
    if (resolved === undefined) {
      resolved = { label: int64Feature(idOf.get(className) as number), text: bytesFeature(className), classes: [className] };
      byClass.set(className, resolved);
    }
    return resolved;
  };
  const labelsPath = settings.labels ?? '';
  const unlabelled: ResolvedLabel = { label: null, text: null, classes: [] };
  // Manifest rows repeat a few labels many times: each distinct label cell is resolved once and
  // shared, not built again (features, arrays, a buffer) for each of tens of thousands of rows.
  const byCell = new Map<string, ResolvedLabel | string>();
  const ofCell = (cell: Exclude<LabelCell, { type: 'float' }>): ResolvedLabel | string => {
    const key = `${cell.type}:${JSON.stringify(cell.values.map(String))}`;
    let resolved = byCell.get(key);
    if (resolved === undefined) {
      resolved = cell.type === 'bytes' ? resolveNames(cell.values, idOf, labelsPath) : resolveIds(cell.values, nameOf, fixed !== null, named, labelsPath);
      byCell.set(key, resolved);
    }
    return resolved;
  };
  return {
    map,
    resolve: (input) => {
      if (input.className !== null) return ofClass(input.className);
      const cell = input.label;
      if (cell === null) return unlabelled;
      if (cell.type !== 'float') return ofCell(cell);
      return { label: floatFeature(...cell.values), text: null, classes: [] };
    },
  };
}

function resolveNames(names: readonly string[], idOf: ReadonlyMap<string, number>, labelsPath: string): ResolvedLabel | string {
  const ids: number[] = [];
  for (const name of names) {
    const id = idOf.get(name);
    if (id === undefined) return `label "${name}" is not in the label list ${labelsPath}`.trim();
    ids.push(id);
  }
  return { label: int64Feature(...ids), text: bytesFeature(...names), classes: names };
}

function resolveIds(
  values: readonly bigint[], nameOf: ReadonlyMap<number, string>, fixed: boolean, named: boolean, labelsPath: string,
): ResolvedLabel | string {
  const names = values.map((v) => nameOf.get(Number(v)));
  // Ids are free without a label file; with one, an id it does not list is unknown.
  const unknown = fixed ? values.find((_, i) => names[i] === undefined) : undefined;
  if (unknown !== undefined) return `label ${unknown} is not an id in the label list ${labelsPath}`;
  const allNamed = names.every((n) => n !== undefined);
  // Ids named only by themselves get no image/class/text: the records stay as the manifest gave them.
  const text = allNamed && named ? bytesFeature(...(names as string[])) : null;
  return { label: int64Feature(...values), text, classes: allNamed ? names as string[] : values.map(String) };
}

/**
 * Integer labels without names (TSV, Caffe lists): the ids seen, each named by itself, so the
 * summary and labels.txt report them. Null when no input has an integer label.
 */
function idsAsLabelMap(inputs: readonly LabelledSource[]): LabelMap | null {
  const ids = new Set<number>();
  for (const input of inputs) {
    if (input.label?.type !== 'int64') continue;
    for (const v of input.label.values) {
      const id = Number(v);
      // Ids beyond 2^53 cannot round-trip through labels.txt as numbers: report none rather than wrong ones.
      if (!Number.isSafeInteger(id)) return null;
      ids.add(id);
    }
  }
  if (ids.size === 0) return null;
  const sorted = [...ids].sort((a, b) => a - b);
  return { names: sorted.map(String), ids: sorted, offset: sorted[0] as number };
}
