/** Pascal VOC XML (labelImg, CVAT, the VOC devkit): one file per image -> an ImageAnnotation. */
import { basename, extname } from 'node:path';
import type { AnnotatedObject, AnnotationProblem, AnnotationSource, ImageAnnotation } from '../model.js';
import { createProblem } from '../model.js';
import { childElement, childText, parseXml, XmlSyntaxError, type XmlElement } from './xml.js';

/** One VOC file's result: its annotation (null when the file cannot be used) and its problems. */
export interface VocResult {
  readonly annotation: ImageAnnotation | null;
  readonly problems: readonly AnnotationProblem[];
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Reads a decimal number as VOC writes it (labelImg writes integers, CVAT may write decimals).
 *
 * @example
 * parseDecimal(' 42 '); // 42
 */
export function parseDecimal(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : null;
}

function readFlag(object: XmlElement, name: string): boolean | undefined {
  const text = childText(object, name);
  if (text === undefined || text === '') return undefined;
  return text === '1' || text.toLowerCase() === 'true';
}

function readObject(object: XmlElement, path: string, problems: AnnotationProblem[]): AnnotatedObject | null {
  const source: AnnotationSource = { path, line: object.line };
  const className = childText(object, 'name');
  if (className === undefined || className === '') {
    problems.push(createProblem('missing-field', 'object without <name>', source));
    return null;
  }
  const box = childElement(object, 'bndbox');
  if (box === undefined) {
    problems.push(createProblem('missing-field', `object "${className}" without <bndbox>`, source));
    return null;
  }
  const values: number[] = [];
  for (const key of ['xmin', 'ymin', 'xmax', 'ymax']) {
    const value = parseDecimal(childText(box, key));
    if (value === null) {
      problems.push(createProblem(childText(box, key) === undefined ? 'missing-field' : 'invalid-value', `object "${className}": <${key}> is missing or not a number`, source));
      return null;
    }
    values.push(value);
  }
  const [xmin, ymin, xmax, ymax] = values as [number, number, number, number];
  const pose = childText(object, 'pose');
  const truncated = readFlag(object, 'truncated');
  const difficult = readFlag(object, 'difficult');
  return {
    className, bbox: { xmin, ymin, xmax, ymax }, source,
    ...(difficult === undefined ? {} : { difficult }),
    ...(truncated === undefined ? {} : { truncated }),
    ...(pose === undefined ? {} : { pose }),
  };
}

function readSize(root: XmlElement, path: string, problems: AnnotationProblem[]): { width: number; height: number } | undefined {
  const size = childElement(root, 'size');
  if (size === undefined) return undefined;
  const width = parseDecimal(childText(size, 'width'));
  const height = parseDecimal(childText(size, 'height'));
  // labelImg writes 0x0 when it could not read the image: treat it as undeclared.
  if (width === 0 && height === 0) return undefined;
  if (width === null || height === null || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    problems.push(createProblem('invalid-value', `<size> ${childText(size, 'width') ?? '?'}x${childText(size, 'height') ?? '?'} is not a positive integer size; ignored`, { path, line: size.line }));
    return undefined;
  }
  return { width, height };
}

/**
 * Parses one Pascal VOC XML file. `relativeStem` is the file's path relative to the annotation
 * folder without extension (the fallback match when `<filename>` is absent or matches no image).
 *
 * @example
 * const { annotation, problems } = parseVocXml(text, 'ann/a.xml', 'a');
 * annotation?.objects[0]?.bbox; // { xmin: 10, ymin: 20, xmax: 50, ymax: 80 }
 */
export function parseVocXml(text: string, path: string, relativeStem = basename(path, extname(path))): VocResult {
  const problems: AnnotationProblem[] = [];
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    return { annotation: null, problems: [createProblem('syntax', `not readable XML: ${error.message}`, { path, line: error.line })] };
  }
  if (root.name !== 'annotation') {
    return { annotation: null, problems: [createProblem('syntax', `root element is <${root.name}>, not <annotation>`, { path, line: root.line })] };
  }
  const objects: AnnotatedObject[] = [];
  for (const child of root.children) {
    if (child.name !== 'object') continue;
    const object = readObject(child, path, problems);
    if (object !== null) objects.push(object);
  }
  const fileName = childText(root, 'filename');
  const declaredSize = readSize(root, path, problems);
  const annotation: ImageAnnotation = {
    format: 'voc', source: { path }, units: 'pixels', objects,
    imageRef: { ...(fileName === undefined || fileName === '' ? {} : { fileName }), stem: relativeStem },
    ...(declaredSize === undefined ? {} : { declaredSize }),
  };
  return { annotation, problems };
}
