/** Manifest row resolution: each raw row's files checked on disk and its cells typed, or a problem. */
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { typeCell, type CellValue, type ColumnType, type RawRow } from './manifest-cells.js';

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

/** What every row of one manifest is resolved against. */
export interface RowContext {
  /** The manifest's name, for messages. */
  readonly name: string;
  readonly baseDir: string;
  readonly columns: ReadonlyMap<string, ColumnType>;
  readonly imageColumns: ReadonlySet<string>;
}

type ResolvedPath = { readonly path: string; readonly relPath: string };

/**
 * The one empty map of every row without extra cells or second images: a row is held for the whole
 * run, and an empty Map of its own costs ~150 bytes of heap.
 */
const NONE: ReadonlyMap<string, never> = new Map<string, never>();

function resolvePath(p: string, baseDir: string): ResolvedPath {
  return { path: isAbsolute(p) ? p : join(baseDir, p), relPath: p.replace(/\\/g, '/') };
}

/** The label and extra cells of a row, typed; or why one does not fit its column's type. */
function typeRowCells(row: RawRow, context: RowContext): { label: CellValue | null; extra: ReadonlyMap<string, CellValue> } | string {
  const extra = new Map<string, CellValue>();
  let label: CellValue | null = null;
  for (const [key, cell] of row.cells) {
    if (key === 'path' || key === 'split' || context.imageColumns.has(key) || cell === null) continue;
    const tokens = Array.isArray(cell) ? cell : [cell];
    if (tokens.length === 0) continue;
    try {
      const typed = typeCell(tokens, context.columns.get(key) ?? 'bytes');
      if (key === 'label') label = typed;
      else extra.set(key, typed);
    } catch (error) {
      return `column "${key}": ${(error as Error).message}`;
    }
  }
  return { label, extra: extra.size === 0 ? NONE : extra };
}

/** The second image files of a row (--image-column), each checked to exist; or why one is missing. */
async function resolveImageColumns(row: RawRow, context: RowContext): Promise<ReadonlyMap<string, ResolvedPath> | string> {
  const images = new Map<string, ResolvedPath>();
  for (const key of context.imageColumns) {
    const cell = row.cells.get(key);
    if (typeof cell === 'string' && cell !== '') {
      const second = resolvePath(cell, context.baseDir);
      const ok = await stat(second.path).then((s) => s.isFile(), () => false);
      if (!ok) return `${second.relPath}: file not found (column "${key}")`;
      images.set(key, second);
    }
  }
  return images.size === 0 ? NONE : images;
}

/**
 * Resolves one raw row: its file must be a regular file, its cells must fit their column types and
 * its image columns must name files. Never throws for a bad row: it becomes a problem.
 *
 * @example
 * const result = await resolveManifestRow(raw, { name: 'train.csv', baseDir: 'data', columns, imageColumns: new Set() });
 */
export async function resolveManifestRow(row: RawRow, context: RowContext): Promise<{ row: ManifestRow } | { problem: ManifestProblem }> {
  const { name } = context;
  const pathCell = row.cells.get('path');
  if (typeof pathCell !== 'string' || pathCell === '') {
    return { problem: { line: row.line, path: `${name}:${row.line}`, problem: 'malformed', reason: `${name}:${row.line}: no path` } };
  }
  const { path, relPath } = resolvePath(pathCell, context.baseDir);
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) {
    // Same kind as discovery's for a FIFO or device: it is never opened.
    const [problem, what] = info === null ? ['missing-file', 'file not found'] as const : ['not-a-regular-file', 'not a regular file; not read'] as const;
    return { problem: { line: row.line, path: relPath, problem, reason: `${name}:${row.line}: ${relPath}: ${what}` } };
  }
  const typed = typeRowCells(row, context);
  if (typeof typed === 'string') {
    return { problem: { line: row.line, path: relPath, problem: 'malformed', reason: `${name}:${row.line}: ${relPath}: ${typed}` } };
  }
  const images = await resolveImageColumns(row, context);
  if (typeof images === 'string') {
    return { problem: { line: row.line, path: relPath, problem: 'missing-file', reason: `${name}:${row.line}: ${images}` } };
  }
  const split = row.cells.get('split');
  return { row: { line: row.line, path, relPath, label: typed.label, split: typeof split === 'string' && split !== '' ? split : null, extra: typed.extra, images, size: info.size } };
}
