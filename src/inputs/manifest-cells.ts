/** Manifest cells: the raw cell shapes the parsers produce, column type inference, and typing of cells. */

export type ColumnType = 'int64' | 'float' | 'bytes';

/** A typed cell: one or more values (lists come from `a;b;c` cells or JSON arrays). */
export type CellValue =
  | { readonly type: 'int64'; readonly values: readonly bigint[] }
  | { readonly type: 'float'; readonly values: readonly number[] }
  | { readonly type: 'bytes'; readonly values: readonly string[] };

/** A raw cell before typing: text, a list of texts, or (JSON) already-typed scalars. */
export type RawScalar = string | bigint | number | boolean;
export type RawCell = RawScalar | RawScalar[] | null;

/** One parsed row, before its types and files are checked. */
export interface RawRow {
  readonly line: number;
  readonly cells: Map<string, RawCell>;
}

const INT = /^[+-]?(?:0|[1-9]\d*)$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function inferTokenType(token: RawScalar): ColumnType {
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

function widenType(a: ColumnType | null, b: ColumnType): ColumnType {
  if (a === null || a === b) return b;
  if (a === 'bytes' || b === 'bytes') return 'bytes';
  return 'float';
}

function convertToken(token: RawScalar, type: ColumnType): bigint | number | string {
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

/**
 * Types one cell's tokens; throws an `Error` whose message says which token does not fit.
 *
 * @example
 * typeCell(['3', '4'], 'int64'); // { type: 'int64', values: [3n, 4n] }
 */
export function typeCell(raw: readonly RawScalar[], type: ColumnType): CellValue {
  const values = raw.map((t) => convertToken(t, type));
  if (type === 'int64') return { type, values: values as bigint[] };
  if (type === 'float') return { type, values: values as number[] };
  return { type, values: values as string[] };
}

/**
 * The type of every label and extra column over the whole file: the narrowest type all its cells
 * fit (int64 < float < bytes), unless fixed by `--column`. Caffe labels are int64 unless fixed.
 *
 * @example
 * inferColumnTypes(rows, new Set(), undefined, 'csv'); // Map { 'age' => 'int64', 'note' => 'bytes' }
 */
export function inferColumnTypes(
  raw: readonly RawRow[],
  imageColumns: ReadonlySet<string>,
  columnTypes: ReadonlyMap<string, ColumnType> | undefined,
  format: string,
): Map<string, ColumnType> {
  const columns = new Map<string, ColumnType>();
  const inferred = new Map<string, ColumnType | null>();
  for (const row of raw) {
    for (const [key, cell] of row.cells) {
      if (key === 'path' || key === 'split' || imageColumns.has(key)) continue;
      if (!inferred.has(key)) inferred.set(key, null);
      if (cell === null) continue;
      for (const token of Array.isArray(cell) ? cell : [cell]) inferred.set(key, widenType(inferred.get(key) ?? null, inferTokenType(token)));
    }
  }
  for (const [key, type] of inferred) columns.set(key, columnTypes?.get(key) ?? type ?? 'bytes');
  for (const [key, type] of columnTypes ?? []) if (!columns.has(key)) columns.set(key, type);
  if (format === 'caffe' && columnTypes?.get('label') === undefined) columns.set('label', 'int64');
  return columns;
}
