/** Reads manifests (CSV, TSV, JSON Lines, Caffe lists, plain path lists) into typed rows. */
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { InputError, invalidParameterError, InvalidOptionError } from '../errors.js';

export type ManifestFormat = 'csv' | 'tsv' | 'jsonl' | 'caffe' | 'list';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['csv', 'tsv', 'jsonl', 'caffe', 'list'];
export type ColumnType = 'int64' | 'float' | 'bytes';

/** A typed cell: one or more values (lists come from `a;b;c` cells or JSON arrays). */
export type CellValue =
  | { readonly type: 'int64'; readonly values: readonly bigint[] }
  | { readonly type: 'float'; readonly values: readonly number[] }
  | { readonly type: 'bytes'; readonly values: readonly string[] };

/** One usable manifest row. */
export interface ManifestRow {
  /** 1-based line where the row starts. */
  readonly line: number;
  /** Path to read. */
  readonly path: string;
  /** The path as written, with '/' separators (becomes image/filename). */
  readonly relPath: string;
  readonly label: CellValue | null;
  readonly split: string | null;
  /** Every other column, typed; empty cells are left out. */
  readonly extra: ReadonlyMap<string, CellValue>;
  /** Columns named by --image-column: second image files of the row. */
  readonly images: ReadonlyMap<string, { readonly path: string; readonly relPath: string }>;
  readonly size: number;
}

/** A row that cannot be used, reported by line like a bad image. */
export interface ManifestProblem {
  readonly line: number;
  /** `<manifest>:<line>`, or the row's path when known. */
  readonly path: string;
  readonly problem: 'missing-file' | 'not-a-regular-file' | 'malformed' | 'unknown-label';
  readonly reason: string;
}

export interface Manifest {
  readonly rows: readonly ManifestRow[];
  readonly problems: readonly ManifestProblem[];
  /** Type of every extra and label column. */
  readonly columns: ReadonlyMap<string, ColumnType>;
  readonly format: ManifestFormat;
}

export interface ReadManifestOptions {
  readonly format?: ManifestFormat;
  /** Fixed column types (`--column name:type`), overriding inference. */
  readonly columnTypes?: ReadonlyMap<string, ColumnType>;
  /** Columns holding a second image path (`--image-column mask`). */
  readonly imageColumns?: readonly string[];
  /** Folder relative paths are resolved against (default: the manifest's folder). */
  readonly baseDir?: string;
}

/**
 * The manifest format from a file name's extension.
 *
 * @example
 * detectManifestFormat('train.csv'); // 'csv'
 */
export function detectManifestFormat(file: string): ManifestFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new InvalidOptionError(`Cannot tell the format of manifest ${file} from its extension; pass --manifest-format ${MANIFEST_FORMATS.join('|')}`);
}

/**
 * Parses `name:type` for `--column`.
 *
 * @example
 * parseColumnSpec('age:int64'); // ['age', 'int64']
 */
export function parseColumnSpec(spec: string): [string, ColumnType] {
  const at = spec.lastIndexOf(':');
  const name = spec.slice(0, at).trim();
  const type = spec.slice(at + 1).trim();
  if (at < 1 || name === '' || !['int64', 'float', 'bytes'].includes(type)) {
    throw invalidParameterError('column', 'name:int64|float|bytes', spec);
  }
  return [name, type as ColumnType];
}

/** A raw cell before typing: text, a list of texts, or (JSON) already-typed scalars. */
type RawScalar = string | bigint | number | boolean;
type RawCell = RawScalar | RawScalar[] | null;

interface RawRow {
  readonly line: number;
  readonly cells: Map<string, RawCell>;
}

/**
 * RFC 4180 CSV (or TSV without quoting) into records with their starting line numbers.
 * A header row is required.
 */
function parseDelimited(text: string, delimiter: ',' | '\t', name: string): { header: string[]; rows: { line: number; cells: string[] }[] } {
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

const INT = /^[+-]?(?:0|[1-9]\d*)$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function tokenType(token: RawScalar): ColumnType {
  if (typeof token === 'bigint') return token >= INT64_MIN && token <= INT64_MAX ? 'int64' : 'float';
  if (typeof token === 'boolean') return 'int64';
  if (typeof token === 'number') return Number.isInteger(token) ? 'int64' : 'float';
  // "007": ids with leading zeros stay text, so they are never rewritten as 7.
  if (/^[+-]?0\d/.test(token)) return 'bytes';
  if (INT.test(token)) {
    const v = BigInt(token);
    return v >= INT64_MIN && v <= INT64_MAX ? 'int64' : 'bytes';
  }
  return FLOAT.test(token) ? 'float' : 'bytes';
}

function widen(a: ColumnType | null, b: ColumnType): ColumnType {
  if (a === null || a === b) return b;
  if (a === 'bytes' || b === 'bytes') return 'bytes';
  return 'float';
}

function toValue(token: RawScalar, type: ColumnType): bigint | number | string {
  switch (type) {
    case 'int64': {
      if (typeof token === 'bigint') return token;
      if (typeof token === 'boolean') return token ? 1n : 0n;
      if (typeof token === 'number') {
        if (!Number.isSafeInteger(token)) throw new Error(`${token} is not an exact integer`);
        return BigInt(token);
      }
      // Leading zeros only keep inference from choosing int64; a column fixed as int64 reads "007" as 7.
      if (!/^[+-]?\d+$/.test(token.trim())) throw new Error(`"${token}" is not an integer`);
      const v = BigInt(token.trim());
      if (v < INT64_MIN || v > INT64_MAX) throw new Error(`${token} does not fit in int64`);
      return v;
    }
    case 'float': {
      if (typeof token === 'boolean') return token ? 1 : 0;
      const text = String(token).trim();
      if (typeof token === 'string' && !FLOAT.test(text) && !INT.test(text)) throw new Error(`"${token}" is not a number`);
      const lower = text.toLowerCase().replace(/^\+/, '');
      return lower === 'inf' || lower === 'infinity' ? Infinity : lower === '-inf' || lower === '-infinity' ? -Infinity : Number(text);
    }
    case 'bytes':
      return String(token);
  }
}

function typeCell(raw: RawScalar[], type: ColumnType): CellValue {
  const values = raw.map((t) => toValue(t, type));
  if (type === 'int64') return { type, values: values as bigint[] };
  if (type === 'float') return { type, values: values as number[] };
  return { type, values: values as string[] };
}

function splitList(cell: string): string[] {
  return cell.split(';').map((v) => v.trim()).filter((v) => v !== '');
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

/**
 * Reads a manifest file. Rows with a missing file, a malformed value or a wrong cell count are
 * problems reported by line (not fatal); an unreadable manifest or one without a `path` column is.
 *
 * @example
 * const { rows, problems } = await readManifest('data/train.csv', { imageColumns: ['mask'] });
 */
export async function readManifest(file: string, options: ReadManifestOptions = {}): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: manifest not found or unreadable (${(error as Error).message})`, { path: file });
  }
  return readManifestText(text, { ...options, name: file, baseDir: options.baseDir ?? dirname(file), format: options.format ?? detectManifestFormat(file) });
}

/**
 * Parses manifest text (for stdin lists); see {@link readManifest}.
 *
 * @example
 * await readManifestText('a.jpg\nb.jpg\n', { name: 'stdin', baseDir: process.cwd(), format: 'list' });
 */
export async function readManifestText(
  text: string,
  options: ReadManifestOptions & { readonly name: string; readonly baseDir: string; readonly format: ManifestFormat },
): Promise<Manifest> {
  const { name, baseDir, format } = options;
  const body = text.replace(/^\uFEFF/, '');
  const problems: ManifestProblem[] = [];
  const raw: RawRow[] = [];
  // Column names the file has: the header, or every key of a JSON Lines file.
  const known = new Set<string>(format === 'caffe' ? ['path', 'label'] : ['path']);
  const malformed = (line: number, reason: string): void => {
    problems.push({ line, path: `${name}:${line}`, problem: 'malformed', reason: `${name}:${line}: ${reason}` });
  };

  if (format === 'csv' || format === 'tsv') {
    const { header, rows } = parseDelimited(body, format === 'csv' ? ',' : '\t', name);
    for (const h of header) known.add(h);
    const seen = new Set<string>();
    for (const h of header) {
      if (seen.has(h)) throw new InputError(`${name}: column "${h}" appears twice in the header`, { path: name, line: 1 });
      seen.add(h);
    }
    if (!seen.has('path')) throw new InputError(`${name}: the header has no "path" column (columns: ${header.join(', ')})`, { path: name, line: 1 });
    for (const row of rows) {
      if (row.cells.length !== header.length) {
        malformed(row.line, `${row.cells.length} cells where the header has ${header.length}`);
        continue;
      }
      const cells = new Map<string, RawCell>();
      header.forEach((h, i) => {
        const cell = (row.cells[i] as string).trim();
        if (cell === '') cells.set(h, null);
        else if (h === 'path' || (options.imageColumns ?? []).includes(h) || h === 'split') cells.set(h, cell);
        else {
          const list = splitList(cell);
          cells.set(h, cell.includes(';') ? list : cell);
        }
      });
      raw.push({ line: row.line, cells });
    }
  } else if (format === 'jsonl') {
    body.split('\n').forEach((lineText, i) => {
      const line = i + 1;
      if (lineText.trim() === '') return;
      let value: unknown;
      try {
        value = parseJsonLine(lineText);
      } catch (error) {
        malformed(line, `not valid JSON (${(error as Error).message})`);
        return;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        malformed(line, 'each line must be a JSON object');
        return;
      }
      const cells = new Map<string, RawCell>();
      for (const [key, v] of Object.entries(value)) {
        known.add(key);
        if (v === null) cells.set(key, null);
        else if (Array.isArray(v)) {
          const items = v.map(toRawScalar);
          if (items.some((x) => x === undefined)) {
            malformed(line, `column "${key}" holds a nested value`);
            return;
          }
          cells.set(key, items as RawScalar[]);
        } else {
          const scalar = toRawScalar(v);
          if (scalar === undefined) {
            malformed(line, `column "${key}" holds a nested object`);
            return;
          }
          cells.set(key, scalar);
        }
      }
      raw.push({ line, cells });
    });
  } else {
    body.split('\n').forEach((lineText, i) => {
      const line = i + 1;
      const trimmed = lineText.replace(/\r$/, '');
      if (trimmed.trim() === '' || trimmed.trimStart().startsWith('#')) return;
      const cells = new Map<string, RawCell>();
      if (format === 'caffe') {
        const space = trimmed.lastIndexOf(' ');
        if (space < 1) {
          malformed(line, 'expected "path label" (the last space separates them)');
          return;
        }
        cells.set('path', trimmed.slice(0, space));
        cells.set('label', trimmed.slice(space + 1));
      } else {
        cells.set('path', trimmed);
      }
      raw.push({ line, cells });
    });
  }

  // A misspelt --column or --image-column would otherwise change nothing, silently.
  const named = [...(options.imageColumns ?? []).map((c) => ['--image-column', c]), ...[...(options.columnTypes ?? new Map()).keys()].map((c) => ['--column', c])];
  for (const [flag, column] of named) {
    if (!known.has(column as string) && (format === 'csv' || format === 'tsv' || raw.length > 0)) {
      throw new InvalidOptionError(`${flag} ${column}: ${name} has no column "${column}" (columns: ${[...known].join(', ')})`);
    }
  }
  // Column types over the whole file (or fixed by --column).
  const columns = new Map<string, ColumnType>();
  const imageColumns = new Set(options.imageColumns ?? []);
  const inferred = new Map<string, ColumnType | null>();
  for (const row of raw) {
    for (const [key, cell] of row.cells) {
      if (key === 'path' || key === 'split' || imageColumns.has(key)) continue;
      if (!inferred.has(key)) inferred.set(key, null);
      if (cell === null) continue;
      for (const token of Array.isArray(cell) ? cell : [cell]) inferred.set(key, widen(inferred.get(key) ?? null, tokenType(token)));
    }
  }
  for (const [key, type] of inferred) columns.set(key, options.columnTypes?.get(key) ?? type ?? 'bytes');
  for (const [key, type] of options.columnTypes ?? []) if (!columns.has(key)) columns.set(key, type);
  if (format === 'caffe' && options.columnTypes?.get('label') === undefined) columns.set('label', 'int64');

  const rows: ManifestRow[] = [];
  const queue = [...raw];
  const resolvePath = (p: string): { path: string; relPath: string } => ({
    path: isAbsolute(p) ? p : join(baseDir, p),
    relPath: p.replace(/\\/g, '/'),
  });
  const worker = async (): Promise<void> => {
    for (let row = queue.shift(); row !== undefined; row = queue.shift()) {
      const pathCell = row.cells.get('path');
      if (typeof pathCell !== 'string' || pathCell === '') {
        malformed(row.line, 'no path');
        continue;
      }
      const { path, relPath } = resolvePath(pathCell);
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile()) {
        // Same kind as discovery's for a FIFO or device: it is never opened.
        const [problem, what] = info === null ? ['missing-file', 'file not found'] as const : ['not-a-regular-file', 'not a regular file; not read'] as const;
        problems.push({ line: row.line, path: relPath, problem, reason: `${name}:${row.line}: ${relPath}: ${what}` });
        continue;
      }
      const size = info.size;
      const extra = new Map<string, CellValue>();
      let label: CellValue | null = null;
      let bad: string | null = null;
      for (const [key, cell] of row.cells) {
        if (key === 'path' || key === 'split' || imageColumns.has(key) || cell === null) continue;
        const tokens = Array.isArray(cell) ? cell : [cell];
        if (tokens.length === 0) continue;
        try {
          const typed = typeCell(tokens, columns.get(key) ?? 'bytes');
          if (key === 'label') label = typed;
          else extra.set(key, typed);
        } catch (error) {
          bad = `column "${key}": ${(error as Error).message}`;
          break;
        }
      }
      if (bad !== null) {
        problems.push({ line: row.line, path: relPath, problem: 'malformed', reason: `${name}:${row.line}: ${relPath}: ${bad}` });
        continue;
      }
      const images = new Map<string, { path: string; relPath: string }>();
      for (const key of imageColumns) {
        const cell = row.cells.get(key);
        if (typeof cell === 'string' && cell !== '') {
          const second = resolvePath(cell);
          const ok = await stat(second.path).then((s) => s.isFile(), () => false);
          if (!ok) {
            bad = `${second.relPath}: file not found (column "${key}")`;
            break;
          }
          images.set(key, second);
        }
      }
      if (bad !== null) {
        problems.push({ line: row.line, path: relPath, problem: 'missing-file', reason: `${name}:${row.line}: ${bad}` });
        continue;
      }
      const split = row.cells.get('split');
      rows.push({ line: row.line, path, relPath, label, split: typeof split === 'string' && split !== '' ? split : null, extra, images, size });
    }
  };
  // Bounded parallel stats: manifests can list millions of files.
  await Promise.all(Array.from({ length: 32 }, worker));
  rows.sort((a, b) => a.line - b.line);
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems, columns, format };
}
