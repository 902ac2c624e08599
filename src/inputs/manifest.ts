/** Reads manifests (CSV, TSV, JSON Lines, Caffe lists, plain path lists) into typed rows. */
import { readFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { InputError, invalidParameterError, InvalidOptionError } from '../errors.js';
import { mapOrdered } from '../runtime/ordered.js';
import { inferColumnTypes, type ColumnType } from './manifest-cells.js';
import { parseDelimitedManifest, parseJsonLinesManifest, parseLineListManifest, type ParsedManifest } from './manifest-parsers.js';
import { resolveManifestRow, type ManifestProblem, type ManifestRow } from './manifest-rows.js';

export type ManifestFormat = 'csv' | 'tsv' | 'jsonl' | 'caffe' | 'list';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['csv', 'tsv', 'jsonl', 'caffe', 'list'];
export type { CellValue, ColumnType } from './manifest-cells.js';
export type { ManifestProblem, ManifestRow } from './manifest-rows.js';

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
  const { raw, known, malformed } = parseManifestBody(body, format, name, options.imageColumns ?? []);
  const problems: ManifestProblem[] = malformed.map(({ line, reason }) => ({ line, path: `${name}:${line}`, problem: 'malformed', reason: `${name}:${line}: ${reason}` }));
  checkNamedColumns(options, known, name, format === 'csv' || format === 'tsv' || raw.length > 0);
  const imageColumns = new Set(options.imageColumns ?? []);
  const columns = inferColumnTypes(raw, imageColumns, options.columnTypes, format);
  const rows: ManifestRow[] = [];
  // Bounded parallel stats: manifests can list millions of files.
  for await (const result of mapOrdered(raw, 32, (row) => resolveManifestRow(row, { name, baseDir, columns, imageColumns }))) {
    if ('row' in result) rows.push(result.row);
    else problems.push(result.problem);
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems, columns, format };
}

function parseManifestBody(body: string, format: ManifestFormat, name: string, imageColumns: readonly string[]): ParsedManifest {
  if (format === 'csv' || format === 'tsv') return parseDelimitedManifest(body, format === 'csv' ? ',' : '\t', name, imageColumns);
  if (format === 'jsonl') return parseJsonLinesManifest(body);
  return parseLineListManifest(body, format);
}

/** A misspelt --column or --image-column would otherwise change nothing, silently. */
function checkNamedColumns(options: ReadManifestOptions, known: ReadonlySet<string>, name: string, check: boolean): void {
  const named = [...(options.imageColumns ?? []).map((c) => ['--image-column', c]), ...[...(options.columnTypes ?? new Map()).keys()].map((c) => ['--column', c])];
  for (const [flag, column] of named) {
    if (!known.has(column as string) && check) {
      throw new InvalidOptionError(`${flag} ${column}: ${name} has no column "${column}" (columns: ${[...known].join(', ')})`);
    }
  }
}
