/** Manifest parsers, one per format (CSV/TSV, JSON Lines, Caffe lists and plain path lists), into raw rows. */
import { InputError } from '../errors.js';
import type { RawCell, RawRow, RawScalar } from './manifest-cells.js';

/** What a parser found: the rows, the column names the file has, and lines it could not use. */
export interface ParsedManifest {
  readonly raw: RawRow[];
  /** Column names the file has: the header, or every key of a JSON Lines file. */
  readonly known: Set<string>;
  /** Lines that are not rows (reported as malformed, not fatal). */
  readonly malformed: { readonly line: number; readonly reason: string }[];
}

/**
 * RFC 4180 CSV (or TSV without quoting) into records with their starting line numbers.
 * A header row is required.
 */
function splitDelimited(text: string, delimiter: ',' | '\t', name: string): { header: string[]; rows: { line: number; cells: string[] }[] } {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let i = 0;
  let fieldStarted = false;
  const endRecord = (): void => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
    cells = [];
    cell = '';
    fieldStarted = false;
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && delimiter === ',' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      cell += ch;
      fieldStarted = true;
    }
    i++;
  }
  if (quoted) throw new InputError(`${name}:${start}: a quoted field is never closed`, { path: name, line: start });
  if (cell !== '' || cells.length > 0) endRecord();
  const [head, ...rows] = records;
  if (head === undefined) throw new InputError(`${name}: manifest is empty (a header row with a path column is required)`, { path: name });
  return { header: head.cells.map((h) => h.trim()), rows };
}

function splitList(cell: string): string[] {
  return cell.split(';').map((v) => v.trim()).filter((v) => v !== '');
}

/**
 * A CSV or TSV manifest with a header naming a `path` column. Path, split and image columns stay
 * text; other cells with a `;` are lists.
 *
 * @example
 * parseDelimitedManifest('path,label\na.jpg,1\n', ',', 'train.csv', []).raw.length; // 1
 */
export function parseDelimitedManifest(body: string, delimiter: ',' | '\t', name: string, imageColumns: readonly string[]): ParsedManifest {
  const known = new Set<string>(['path']);
  const raw: RawRow[] = [];
  const malformed: { line: number; reason: string }[] = [];
  const { header, rows } = splitDelimited(body, delimiter, name);
  for (const h of header) known.add(h);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new InputError(`${name}: column "${h}" appears twice in the header`, { path: name, line: 1 });
    seen.add(h);
  }
  if (!seen.has('path')) throw new InputError(`${name}: the header has no "path" column (columns: ${header.join(', ')})`, { path: name, line: 1 });
  for (const row of rows) {
    if (row.cells.length !== header.length) {
      malformed.push({ line: row.line, reason: `${row.cells.length} cells where the header has ${header.length}` });
      continue;
    }
    const cells = new Map<string, RawCell>();
    header.forEach((h, i) => {
      const cell = (row.cells[i] as string).trim();
      if (cell === '') cells.set(h, null);
      else if (h === 'path' || imageColumns.includes(h) || h === 'split') cells.set(h, cell);
      else {
        const list = splitList(cell);
        cells.set(h, cell.includes(';') ? list : cell);
      }
    });
    raw.push({ line: row.line, cells });
  }
  return { raw, known, malformed };
}

/**
 * JSON.parse loses integers beyond 2^53 and turns `1.0` into 1. Number literals outside strings
 * are read as their literal text instead (behind a marker), so they are typed exactly as CSV
 * cells are: exact int64 past 2^53, text beyond int64, `1.0` and `1e3` floats.
 */
const NUMBER_MARK = '\u0000number:';
function parseJsonLine(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      const token = match?.[0] ?? ch;
      // The marker's NUL is written as a JSON escape: a raw control character is not valid JSON.
      out += match === null ? token : `"\\u0000number:${token}"`;
      i += token.length - 1;
      continue;
    }
    out += ch;
  }
  return JSON.parse(out, (_key, value: unknown) => (typeof value === 'string' && value.startsWith(NUMBER_MARK) ? value.slice(NUMBER_MARK.length) : value));
}

function toRawScalar(value: unknown): RawScalar | undefined {
  if (typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return value;
  return undefined;
}

/** One JSON Lines object's cells, or the reason it is not a row. Every key seen is added to `known`. */
function readJsonCells(value: object, known: Set<string>): Map<string, RawCell> | string {
  const cells = new Map<string, RawCell>();
  for (const [key, v] of Object.entries(value)) {
    known.add(key);
    if (v === null) cells.set(key, null);
    else if (Array.isArray(v)) {
      const items = v.map(toRawScalar);
      if (items.some((x) => x === undefined)) return `column "${key}" holds a nested value`;
      cells.set(key, items as RawScalar[]);
    } else {
      const scalar = toRawScalar(v);
      if (scalar === undefined) return `column "${key}" holds a nested object`;
      cells.set(key, scalar);
    }
  }
  return cells;
}

/**
 * A JSON Lines manifest: one object per line; arrays are list cells, nested objects are malformed.
 *
 * @example
 * parseJsonLinesManifest('{"path": "a.jpg", "label": 1}\n').raw.length; // 1
 */
export function parseJsonLinesManifest(body: string): ParsedManifest {
  const known = new Set<string>(['path']);
  const raw: RawRow[] = [];
  const malformed: { line: number; reason: string }[] = [];
  body.split('\n').forEach((lineText, i) => {
    const line = i + 1;
    if (lineText.trim() === '') return;
    let value: unknown;
    try {
      value = parseJsonLine(lineText);
    } catch (error) {
      malformed.push({ line, reason: `not valid JSON (${(error as Error).message})` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      malformed.push({ line, reason: 'each line must be a JSON object' });
      return;
    }
    const cells = readJsonCells(value, known);
    if (typeof cells === 'string') malformed.push({ line, reason: cells });
    else raw.push({ line, cells });
  });
  return { raw, known, malformed };
}

/**
 * A line list: a Caffe list (`path label`, the last space separating them) or a plain list of
 * paths. Blank lines and `#` comments are skipped.
 *
 * @example
 * parseLineListManifest('a b.jpg 3\n', 'caffe').raw[0]?.cells.get('path'); // 'a b.jpg'
 */
export function parseLineListManifest(body: string, format: 'caffe' | 'list'): ParsedManifest {
  const known = new Set<string>(format === 'caffe' ? ['path', 'label'] : ['path']);
  const raw: RawRow[] = [];
  const malformed: { line: number; reason: string }[] = [];
  body.split('\n').forEach((lineText, i) => {
    const line = i + 1;
    const trimmed = lineText.replace(/\r$/, '');
    if (trimmed.trim() === '' || trimmed.trimStart().startsWith('#')) return;
    const cells = new Map<string, RawCell>();
    if (format === 'caffe') {
      const space = trimmed.lastIndexOf(' ');
      if (space < 1) {
        malformed.push({ line, reason: 'expected "path label" (the last space separates them)' });
        return;
      }
      cells.set('path', trimmed.slice(0, space));
      cells.set('label', trimmed.slice(space + 1));
    } else {
      cells.set('path', trimmed);
    }
    raw.push({ line, cells });
  });
  return { raw, known, malformed };
}
