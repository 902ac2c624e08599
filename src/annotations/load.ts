/** Reads an annotation file or folder from disk and hands its text to the format's parser. */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { InputError } from '../errors.js';
import { parseCocoJson } from './formats/coco.js';
import { parseDetectionCsv } from './formats/csv.js';
import { detectAnnotationFormat } from './formats/detect-format.js';
import type { AnnotationFormat, AnnotationProblem, ImageAnnotation, ParsedAnnotations } from './model.js';
import { parseVocXml } from './formats/voc.js';
import { parseClassesTxt, parseDataYamlNames, parseYoloLabels } from './formats/yolo.js';

/** Options of {@link readAnnotations}. */
export interface ReadAnnotationsOptions {
  /** YOLO class names in index order (from `--labels`); else classes.txt / data.yaml next to the labels. */
  readonly yoloNames?: readonly string[];
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Files under `dir` with the extension, as paths relative to `dir` with `/`, in code-unit order. */
async function listFiles(dir: string, ext: string, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && extname(e.name).toLowerCase() === ext && !skip.has(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort(compareCodeUnits);
}

function stemOf(relativePath: string): string {
  return relativePath.slice(0, relativePath.length - extname(relativePath).length);
}

async function readVocFolder(dir: string): Promise<ParsedAnnotations> {
  const annotations: ImageAnnotation[] = [];
  const problems: AnnotationProblem[] = [];
  for (const file of await listFiles(dir, '.xml')) {
    const path = join(dir, file);
    const result = parseVocXml(await readFile(path, 'utf8'), path, stemOf(file));
    if (result.annotation !== null) annotations.push(result.annotation);
    problems.push(...result.problems);
  }
  return { format: 'voc', annotations, problems, classes: null };
}

async function readText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

/**
 * Finds YOLO class names next to the labels folder: `classes.txt` in it or its parent, else the
 * `names:` of `data.yaml` in it or its parent. Throws {@link InputError} when there are none.
 *
 * @example
 * await findYoloNames('dataset/labels'); // { names: ['cat', 'dog'], path: 'dataset/classes.txt', problems: [] }
 */
export async function findYoloNames(dir: string): Promise<{ names: string[]; path: string; problems: AnnotationProblem[] }> {
  for (const folder of [dir, dirname(dir)]) {
    const path = join(folder, 'classes.txt');
    const text = await readText(path);
    if (text !== null) return { names: parseClassesTxt(text), path, problems: [] };
  }
  for (const folder of [dir, dirname(dir)]) {
    for (const name of ['data.yaml', 'data.yml']) {
      const path = join(folder, name);
      const text = await readText(path);
      if (text !== null) return { ...parseDataYamlNames(text, path), path };
    }
  }
  throw new InputError(`${dir}: YOLO labels need class names: give --labels (one name per line, in class index order) or put classes.txt or data.yaml (names:) next to the labels folder`, { path: dir });
}

async function readYoloFolder(dir: string, given: readonly string[] | undefined): Promise<ParsedAnnotations> {
  const problems: AnnotationProblem[] = [];
  let names: readonly string[];
  if (given !== undefined) names = given;
  else {
    const found = await findYoloNames(dir);
    problems.push(...found.problems);
    if (found.names.length === 0 && found.problems.length === 0) throw new InputError(`${found.path}: lists no class names`, { path: found.path });
    names = found.names;
  }
  const annotations: ImageAnnotation[] = [];
  for (const file of await listFiles(dir, '.txt', new Set(['classes.txt']))) {
    const path = join(dir, file);
    const result = parseYoloLabels(await readFile(path, 'utf8'), path, stemOf(file), names);
    annotations.push(result.annotation);
    problems.push(...result.problems);
  }
  return { format: 'yolo', annotations, problems, classes: names.map((name, i) => ({ id: i + 1, name })) };
}

/**
 * Reads annotations in the given format (`auto` detects it). Problems inside the files come back
 * as values; a missing path, an undetectable format or missing YOLO names throw {@link InputError}.
 *
 * @example
 * const parsed = await readAnnotations('annotations/', 'auto');
 * console.log(parsed.format, parsed.annotations.length, parsed.problems.length);
 */
export async function readAnnotations(path: string, format: AnnotationFormat | 'auto', options: ReadAnnotationsOptions = {}): Promise<ParsedAnnotations> {
  const resolved = format === 'auto' ? await detectAnnotationFormat(path) : format;
  try {
    switch (resolved) {
      case 'voc': return await readVocFolder(path);
      case 'yolo': return await readYoloFolder(path, options.yoloNames);
      case 'coco': return parseCocoJson(await readFile(path, 'utf8'), path);
      case 'csv': return parseDetectionCsv(await readFile(path, 'utf8'), path);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw new InputError(`${path}: cannot read ${resolved} annotations (${code === 'EISDIR' ? 'a folder where a file was expected' : code === 'ENOTDIR' ? 'a file where a folder was expected' : 'not found'})`, { path });
    }
    throw error;
  }
}
