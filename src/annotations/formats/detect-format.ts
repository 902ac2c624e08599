/** `--annotations-format auto`: tells VOC, COCO, YOLO and CSV apart from the path and a look inside. */
import { open, readdir, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../../errors.js';
import { isCocoDocument } from './coco.js';
import { isDetectionCsvHeader, splitCsv } from './csv.js';
import type { AnnotationFormat } from '../model.js';

/** What a folder holds, by extension (lower case), counted over its files (recursively). */
export type ExtensionCounts = ReadonlyMap<string, number>;

/** Files a YOLO labels folder may hold besides the labels. */
const YOLO_SIDE_FILES = new Set(['classes.txt']);

/**
 * Decides a folder's format from its file extensions: mostly `.xml` is VOC, mostly `.txt` is YOLO.
 * Returns null when it cannot tell (no such files, or as many of each).
 *
 * @example
 * classifyFolder(new Map([['.xml', 40]])); // 'voc'
 */
export function classifyFolder(counts: ExtensionCounts): AnnotationFormat | null {
  const xml = counts.get('.xml') ?? 0;
  const txt = counts.get('.txt') ?? 0;
  if (xml > txt) return 'voc';
  if (txt > xml) return 'yolo';
  return null;
}

/**
 * Decides a file's format from its first characters: a JSON object with images/annotations/
 * categories is COCO, a CSV whose header names filename,class,xmin,ymin,xmax,ymax is CSV.
 * `whole` says whether `head` is the whole file (needed to parse JSON).
 *
 * @example
 * classifyFileHead('filename,width,height,class,xmin,ymin,xmax,ymax\n', true); // 'csv'
 */
export function classifyFileHead(head: string, whole: boolean): AnnotationFormat | null {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{')) {
    if (!whole) return /"images"/.test(text) || /"annotations"/.test(text) ? 'coco' : null;
    try {
      return isCocoDocument(JSON.parse(text)) ? 'coco' : null;
    } catch {
      return null;
    }
  }
  const firstLine = text.split('\n')[0] ?? '';
  const header = splitCsv(firstLine).rows[0];
  return header !== undefined && isDetectionCsvHeader(header.fields) ? 'csv' : null;
}

async function countExtensions(dir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    if (!entry.isFile() || YOLO_SIDE_FILES.has(entry.name)) continue;
    const ext = extname(entry.name).toLowerCase();
    counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  return counts;
}

const HEAD_BYTES = 64 * 1024;

/**
 * Detects the annotation format of a file or folder. Throws {@link InputError} naming the path
 * when it is missing or when its format cannot be told (then `--annotations-format` must say it).
 *
 * @example
 * await detectAnnotationFormat('annotations/'); // 'voc'
 */
export async function detectAnnotationFormat(path: string): Promise<AnnotationFormat> {
  const info = await stat(path).catch(() => null);
  if (info === null) throw new InputError(`${path}: annotations not found`, { path });
  if (info.isDirectory()) {
    const counts = await countExtensions(path);
    const format = classifyFolder(counts);
    if (format !== null) return format;
    const seen = [...counts].map(([ext, n]) => `${n} ${ext === '' ? '(no extension)' : ext}`).join(', ') || 'no files';
    throw new InputError(`${path}: cannot tell the annotation format of this folder (${seen}); a folder of .xml is VOC, of .txt is YOLO: give --annotations-format`, { path });
  }
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
    await handle.read(buffer, 0, buffer.length, 0);
    const whole = info.size <= HEAD_BYTES;
    const format = classifyFileHead(buffer.toString('utf8'), whole);
    if (format !== null) return format;
  } finally {
    await handle.close();
  }
  throw new InputError(`${path}: cannot tell the annotation format of this file: not a COCO JSON (images, annotations, categories) nor a CSV with filename,class,xmin,ymin,xmax,ymax columns; give --annotations-format`, { path });
}
