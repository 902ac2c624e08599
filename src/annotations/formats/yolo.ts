/** YOLO labels (`class cx cy w h` normalised, one .txt per image) and their class names (classes.txt, data.yaml). */
import type { AnnotatedObject, AnnotationProblem, ImageAnnotation } from '../model.js';
import { createProblem } from '../model.js';
import { parseDecimal } from './voc.js';

/** One label file's result. */
export interface YoloResult {
  readonly annotation: ImageAnnotation;
  readonly problems: readonly AnnotationProblem[];
}

/**
 * Parses one YOLO label file. Boxes stay normalised (`units: 'normalized'`) until the image size
 * is known ({@link toPixelBoxes}); a class index without a name is an `unknown-class` problem.
 * Extra columns (YOLO's optional confidence) are ignored; segment lines (more than 6 numbers) are refused.
 *
 * @example
 * parseYoloLabels('0 0.5 0.5 0.2 0.4\n', 'labels/a.txt', 'a', ['cat']).annotation.objects[0]?.bbox;
 * // { xmin: 0.4, ymin: 0.3, xmax: 0.6, ymax: 0.7 }
 */
export function parseYoloLabels(text: string, path: string, relativeStem: string, classNames: readonly string[]): YoloResult {
  const problems: AnnotationProblem[] = [];
  const objects: AnnotatedObject[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const source = { path, line: i + 1 };
    const parts = line.split(/\s+/);
    if (parts.length !== 5 && parts.length !== 6) {
      problems.push(createProblem('syntax', `expected "class cx cy w h", got ${parts.length} fields`, source));
      return;
    }
    const numbers = parts.slice(0, 5).map((p) => parseDecimal(p));
    if (numbers.some((n) => n === null)) {
      problems.push(createProblem('invalid-value', `"${line}" holds a field that is not a number`, source));
      return;
    }
    const [index, cx, cy, w, h] = numbers as [number, number, number, number, number];
    const className = Number.isInteger(index) && index >= 0 ? classNames[index] : undefined;
    if (className === undefined) {
      problems.push(createProblem('unknown-class', `class ${parts[0] as string} has no name (${classNames.length} names known)`, source));
      return;
    }
    objects.push({ className, bbox: { xmin: cx - w / 2, ymin: cy - h / 2, xmax: cx + w / 2, ymax: cy + h / 2 }, source });
  });
  return { annotation: { format: 'yolo', source: { path }, imageRef: { stem: relativeStem }, units: 'normalized', objects }, problems };
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"')))) {
    return v.slice(1, -1).replace(v[0] === "'" ? /''/g : /\\"/g, v[0] === "'" ? "'" : '"');
  }
  return v;
}

/** Splits a YAML flow sequence/mapping body on commas outside quotes. */
function splitFlow(body: string): string[] {
  const items: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (const c of body) {
    if (quote !== null) { if (c === quote) quote = null; current += c; }
    else if (c === '"' || c === "'") { quote = c; current += c; }
    else if (c === ',') { items.push(current); current = ''; }
    else current += c;
  }
  if (current.trim() !== '') items.push(current);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function namesFromEntries(entries: [string | null, string][], path: string, line: number): { names: string[]; problems: AnnotationProblem[] } {
  if (entries.every(([key]) => key === null)) return { names: entries.map(([, v]) => unquote(v)), problems: [] };
  const names: string[] = [];
  for (const [key, value] of entries) {
    const index = key === null ? NaN : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > 100000) return { names: [], problems: [createProblem('invalid-value', `names key "${key ?? ''}" is not a class index`, { path, line })] };
    names[index] = unquote(value);
  }
  const hole = names.findIndex((n) => n === undefined);
  if (hole >= 0 || names.length !== entries.length) return { names: [], problems: [createProblem('invalid-value', `names has no entry for class ${hole >= 0 ? hole : names.length}`, { path, line })] };
  return { names, problems: [] };
}

/**
 * Reads the `names:` of an Ultralytics `data.yaml`: a flow list (`names: ['a', 'b']`), a block
 * list (`- a`), or a mapping (`0: a`, block or `{0: a, 1: b}`). Only this key is read; it is not a
 * general YAML parser.
 *
 * @example
 * parseDataYamlNames("nc: 2\nnames:\n  0: cat\n  1: dog\n", 'data.yaml').names; // ['cat', 'dog']
 */
export function parseDataYamlNames(text: string, path: string): { names: string[]; problems: AnnotationProblem[] } {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const at = lines.findIndex((l) => /^names\s*:/.test(l));
  if (at < 0) return { names: [], problems: [createProblem('missing-field', 'no top-level "names:" key', { path })] };
  const inline = (lines[at] as string).replace(/^names\s*:/, '').replace(/\s+#.*$/, '').trim();
  const entries: [string | null, string][] = [];
  if (inline.startsWith('[') || inline.startsWith('{')) {
    const close = inline.startsWith('[') ? ']' : '}';
    if (!inline.endsWith(close)) return { names: [], problems: [createProblem('syntax', 'names: a flow collection must end on its line', { path, line: at + 1 })] };
    for (const item of splitFlow(inline.slice(1, -1))) {
      const m = inline.startsWith('{') ? /^([^:]+):\s*(.*)$/.exec(item) : null;
      entries.push(m === null ? [null, item] : [(m[1] as string).trim(), m[2] as string]);
    }
  } else if (inline !== '') {
    return { names: [], problems: [createProblem('syntax', 'names: expected a list or a mapping', { path, line: at + 1 })] };
  } else {
    for (const raw of lines.slice(at + 1)) {
      if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
      if (!/^\s/.test(raw)) break;
      const l = raw.replace(/\s+#.*$/, '').trim();
      const item = /^-\s*(.*)$/.exec(l);
      const pair = /^([^:]+):\s*(.*)$/.exec(l);
      if (item !== null) entries.push([null, item[1] as string]);
      else if (pair !== null) entries.push([(pair[1] as string).trim(), pair[2] as string]);
    }
  }
  return namesFromEntries(entries, path, at + 1);
}

/**
 * Reads `classes.txt` (one name per line, index order; blank lines at the end ignored).
 *
 * @example
 * parseClassesTxt('cat\ndog\n'); // ['cat', 'dog']
 */
export function parseClassesTxt(text: string): string[] {
  const names = text.split('\n').map((l) => l.replace(/\r$/, '').trim());
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  return names;
}
