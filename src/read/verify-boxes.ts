/** verify's object-detection check: every record's box lists have one entry per box, corners in [0, 1], classes in the label map. */
import type { Feature, Features } from '../example/index.js';
import { decodeKey, formatKey } from '../example/index.js';
import { readLabelFile } from '../dataset/labels.js';
import { BOX_KEYS, PER_OBJECT_KEYS } from './extract-boxes.js';

/** The classes boxes may have: label ids and their names (`--labels`). */
export interface BoxLabels {
  readonly names: readonly string[];
  /** `ids[i]` is the id of `names[i]`. */
  readonly ids: readonly number[];
}

function count(f: Feature): number {
  return f.values.length;
}

/** Unequal per-object lists: one message naming every list's length. */
function checkLengths(features: Features): string[] {
  const present = PER_OBJECT_KEYS.filter((k) => features[k] !== undefined);
  const lengths = present.map((k) => count(features[k] as Feature));
  if (lengths.every((n) => n === lengths[0])) return [];
  return [`per-object lists differ in length (${present.map((k, i) => `${k}: ${lengths[i]}`).join(', ')}); each must have one entry per box`];
}

/** Each box's corners: float lists, finite, 0 <= min < max <= 1. */
function checkCorners(features: Features): string[] {
  const messages: string[] = [];
  const sides = BOX_KEYS.map((k) => features[k]);
  BOX_KEYS.forEach((key, i) => {
    const f = sides[i];
    if (f === undefined) messages.push(`${key} is missing (the other box keys are present)`);
    else if (f.kind !== 'float' && f.values.length > 0) messages.push(`${key} is ${f.kind}, not a float list`);
  });
  if (messages.length > 0) return messages;
  const [xmin, xmax, ymin, ymax] = sides.map((f) => (f as Extract<Feature, { kind: 'float' }>).values);
  const n = Math.min(...[xmin, xmax, ymin, ymax].map((v) => (v as readonly number[]).length));
  for (let i = 0; i < n; i++) {
    for (const [key, v] of [[BOX_KEYS[0], xmin], [BOX_KEYS[1], xmax], [BOX_KEYS[2], ymin], [BOX_KEYS[3], ymax]] as const) {
      const value = (v as readonly number[])[i] as number;
      if (!Number.isFinite(value) || value < 0 || value > 1) messages.push(`${key}[${i}] = ${value} is outside [0, 1]`);
    }
    const [x0, x1, y0, y1] = [xmin, xmax, ymin, ymax].map((v) => (v as readonly number[])[i] as number) as [number, number, number, number];
    if (x0 >= x1) messages.push(`box ${i}: xmin ${x0} >= xmax ${x1}`);
    if (y0 >= y1) messages.push(`box ${i}: ymin ${y0} >= ymax ${y1}`);
  }
  return messages;
}

/** Labels and texts against the label map, and each text with its own id. */
function checkClasses(features: Features, labels: BoxLabels): string[] {
  const messages: string[] = [];
  const idOf = new Map(labels.names.map((name, i) => [name, labels.ids[i] as number]));
  const known = new Set(labels.ids);
  const ids = features['image/object/class/label'];
  const texts = features['image/object/class/text'];
  const idList = ids?.kind === 'int64' ? ids.values.map(Number) : [];
  const textList = texts?.kind === 'bytes' ? texts.values.map((t) => formatKey(decodeKey(t))) : [];
  idList.forEach((id, i) => {
    if (!known.has(id)) messages.push(`image/object/class/label[${i}] = ${id} is not in the label map`);
  });
  textList.forEach((name, i) => {
    const id = idOf.get(name);
    if (id === undefined) messages.push(`image/object/class/text[${i}] = "${name}" is not in the label map`);
    else if (idList[i] !== undefined && idList[i] !== id) messages.push(`box ${i}: class "${name}" has id ${id} in the label map, but image/object/class/label[${i}] = ${idList[i]}`);
  });
  return messages;
}

/**
 * The object-detection problems of one record (none when it has no per-object key): per-object
 * lists of unequal length, a corner that is not a number or outside [0, 1], min >= max, and with
 * `labels` a class id or text outside the label map (or a text whose id is another).
 *
 * @example
 * checkRecordBoxes(example.features, null); // ['image/object/bbox/xmax[1] = 1.25 is outside [0, 1]']
 */
export function checkRecordBoxes(features: Features, labels: BoxLabels | null): string[] {
  if (!PER_OBJECT_KEYS.some((k) => features[k] !== undefined)) return [];
  const messages = checkLengths(features);
  if (BOX_KEYS.some((k) => features[k] !== undefined)) messages.push(...checkCorners(features));
  if (labels !== null) messages.push(...checkClasses(features, labels));
  return messages;
}

/**
 * Reads `--labels` for verify: names (ids 1, 2, ... as the Object Detection API numbers them),
 * `id:name` lines or a label_map.pbtxt.
 *
 * @example
 * await readBoxLabels('label_map.pbtxt'); // { names: ['raccoon'], ids: [1] }
 */
export async function readBoxLabels(path: string): Promise<BoxLabels> {
  const file = await readLabelFile(path);
  return { names: file.names, ids: file.ids ?? file.names.map((_, i) => i + 1) };
}
