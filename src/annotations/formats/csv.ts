/** generate_tfrecord.py's CSV (filename,width,height,class,xmin,ymin,xmax,ymax; one row per box) -> ImageAnnotations. */
import type { AnnotatedObject, AnnotationProblem, ImageAnnotation, ParsedAnnotations } from '../model.js';
import { createProblem } from '../model.js';
import { parseDecimal } from './voc.js';

/** The columns a detection CSV must have; width and height are optional. */
export const CSV_REQUIRED_COLUMNS = ['filename', 'class', 'xmin', 'ymin', 'xmax', 'ymax'] as const;

/** One parsed CSV row: its fields and its 1-based starting line. */
export interface CsvRow {
  readonly fields: readonly string[];
  readonly line: number;
}

/**
 * Splits CSV text into rows (RFC 4180: quoted fields may hold commas, doubled quotes and newlines).
 * Returns an error message with its line for an unterminated quote.
 *
 * @example
 * splitCsv('a,"b,c"\n1,2\n').rows[0]?.fields; // ['a', 'b,c']
 */
export function splitCsv(text: string): { rows: CsvRow[]; error: { message: string; line: number } | null } {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let sawField = false;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else { if (c === '\n') line++; field += c; }
    } else if (c === '"' && field === '') { quoted = true; sawField = true; }
    else if (c === ',') { fields.push(field); field = ''; sawField = true; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      if (sawField || field !== '') { fields.push(field); rows.push({ fields, line: rowLine }); }
      fields = []; field = ''; sawField = false;
      line++; rowLine = line;
    } else { field += c; sawField = true; }
  }
  if (quoted) return { rows, error: { message: 'unterminated quoted field', line: rowLine } };
  if (sawField || field !== '') { fields.push(field); rows.push({ fields, line: rowLine }); }
  return { rows, error: null };
}

/**
 * Whether a CSV header row names the detection columns (for `auto` format detection).
 *
 * @example
 * isDetectionCsvHeader(['filename', 'width', 'height', 'class', 'xmin', 'ymin', 'xmax', 'ymax']); // true
 */
export function isDetectionCsvHeader(fields: readonly string[]): boolean {
  const names = new Set(fields.map((f) => f.trim().toLowerCase()));
  return CSV_REQUIRED_COLUMNS.every((c) => names.has(c));
}

interface Columns { readonly [name: string]: number }

function readRow(row: CsvRow, columns: Columns, path: string, problems: AnnotationProblem[]): { file: string; object: AnnotatedObject; size: { width: number; height: number } | null } | null {
  const source = { path, line: row.line };
  const get = (name: string): string | undefined => (columns[name] === undefined ? undefined : row.fields[columns[name] as number]?.trim());
  const file = get('filename');
  const className = get('class');
  if (file === undefined || file === '' || className === undefined || className === '') {
    problems.push(createProblem('missing-field', 'row without filename or class', source));
    return null;
  }
  const box: number[] = [];
  for (const key of ['xmin', 'ymin', 'xmax', 'ymax']) {
    const value = parseDecimal(get(key));
    if (value === null) {
      problems.push(createProblem('invalid-value', `${key} "${get(key) ?? ''}" is not a number`, source));
      return null;
    }
    box.push(value);
  }
  const [xmin, ymin, xmax, ymax] = box as [number, number, number, number];
  const width = parseDecimal(get('width'));
  const height = parseDecimal(get('height'));
  const size = width !== null && height !== null && Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 ? { width, height } : null;
  return { file, object: { className, bbox: { xmin, ymin, xmax, ymax }, source }, size };
}

/**
 * Parses a detection CSV: rows are grouped by filename in first-seen order (one annotation per
 * image, its boxes in row order); the annotation's source line is the image's first row.
 *
 * @example
 * const { annotations } = parseDetectionCsv('filename,width,height,class,xmin,ymin,xmax,ymax\na.jpg,10,10,cat,1,1,5,5\n', 'a.csv');
 * annotations[0]?.objects.length; // 1
 */
export function parseDetectionCsv(text: string, path: string): ParsedAnnotations {
  const problems: AnnotationProblem[] = [];
  const { rows, error } = splitCsv(text);
  if (error !== null) problems.push(createProblem('syntax', error.message, { path, line: error.line }));
  const header = rows[0];
  if (header === undefined || !isDetectionCsvHeader(header.fields)) {
    problems.push(createProblem('missing-field', `header must name the columns ${CSV_REQUIRED_COLUMNS.join(',')}`, { path, line: 1 }));
    return { format: 'csv', annotations: [], problems, classes: null };
  }
  const columns: Record<string, number> = {};
  header.fields.forEach((name, i) => { columns[name.trim().toLowerCase()] ??= i; });
  const byFile = new Map<string, { line: number; objects: AnnotatedObject[]; size: { width: number; height: number } | null }>();
  for (const row of rows.slice(1)) {
    const read = readRow(row, columns, path, problems);
    if (read === null) continue;
    const entry = byFile.get(read.file);
    if (entry === undefined) byFile.set(read.file, { line: row.line, objects: [read.object], size: read.size });
    else {
      entry.objects.push(read.object);
      if (read.size !== null && entry.size !== null && (read.size.width !== entry.size.width || read.size.height !== entry.size.height)) {
        problems.push(createProblem('invalid-value', `${read.file}: size ${read.size.width}x${read.size.height} differs from ${entry.size.width}x${entry.size.height} on line ${entry.line}`, { path, line: row.line }));
      }
    }
  }
  const annotations: ImageAnnotation[] = [...byFile].map(([fileName, entry]) => ({
    format: 'csv', source: { path, line: entry.line }, imageRef: { fileName }, units: 'pixels', objects: entry.objects,
    ...(entry.size === null ? {} : { declaredSize: entry.size }),
  }));
  return { format: 'csv', annotations, problems, classes: null };
}
