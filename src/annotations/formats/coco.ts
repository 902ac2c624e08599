/** COCO detection JSON (images / annotations / categories; bbox [x, y, w, h]) -> ImageAnnotations. */
import type { AnnotatedObject, AnnotationProblem, DeclaredClass, ImageAnnotation, ParsedAnnotations } from '../model.js';
import { createProblem } from '../model.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Whether parsed JSON looks like a COCO detection file (for `auto` format detection).
 *
 * @example
 * isCocoDocument({ images: [], annotations: [], categories: [] }); // true
 */
export function isCocoDocument(value: unknown): boolean {
  return isObject(value) && Array.isArray(value['images']) && Array.isArray(value['annotations']) && Array.isArray(value['categories']);
}

function readCategories(list: unknown[], path: string, problems: AnnotationProblem[]): Map<number, string> {
  const categories = new Map<number, string>();
  list.forEach((c, index) => {
    if (!isObject(c) || !Number.isSafeInteger(c['id']) || typeof c['name'] !== 'string' || c['name'] === '') {
      problems.push(createProblem('missing-field', 'category without an integer id and a name', { path, index }));
      return;
    }
    const id = c['id'] as number;
    if (categories.has(id)) problems.push(createProblem('duplicate', `category id ${id} is declared twice`, { path, index }));
    else categories.set(id, c['name']);
  });
  return categories;
}

interface ImageEntry { readonly index: number; readonly id: number; readonly fileName: string; readonly size?: { width: number; height: number }; readonly objects: AnnotatedObject[] }

function readImages(list: unknown[], path: string, problems: AnnotationProblem[]): Map<number, ImageEntry> {
  const images = new Map<number, ImageEntry>();
  list.forEach((image, index) => {
    if (!isObject(image) || !Number.isSafeInteger(image['id']) || typeof image['file_name'] !== 'string' || image['file_name'] === '') {
      problems.push(createProblem('missing-field', 'image without an integer id and a file_name', { path, index }));
      return;
    }
    const id = image['id'] as number;
    if (images.has(id)) {
      problems.push(createProblem('duplicate', `image id ${id} is declared twice`, { path, index }));
      return;
    }
    const { width, height } = image;
    const size = Number.isSafeInteger(width) && Number.isSafeInteger(height) && (width as number) > 0 && (height as number) > 0
      ? { width: width as number, height: height as number } : undefined;
    images.set(id, { index, id, fileName: image['file_name'], objects: [], ...(size === undefined ? {} : { size }) });
  });
  return images;
}

function readAnnotation(a: unknown, index: number, path: string, categories: Map<number, string>, images: Map<number, ImageEntry>, problems: AnnotationProblem[]): void {
  const source = { path: `${path}#annotations`, index };
  if (!isObject(a)) {
    problems.push(createProblem('syntax', 'annotation is not an object', source));
    return;
  }
  const image = images.get(a['image_id'] as number);
  if (image === undefined) {
    problems.push(createProblem('missing-image', `image_id ${String(a['image_id'])} is not among the images`, source));
    return;
  }
  const className = categories.get(a['category_id'] as number);
  if (className === undefined) {
    problems.push(createProblem('unknown-class', `category_id ${String(a['category_id'])} is not among the categories`, source));
    return;
  }
  const bbox = a['bbox'];
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(isFiniteNumber)) {
    problems.push(createProblem('invalid-box', 'bbox is not [x, y, width, height] of numbers', source));
    return;
  }
  const [x, y, w, h] = bbox as [number, number, number, number];
  const area = a['area'];
  const crowd = a['iscrowd'];
  image.objects.push({
    className, bbox: { xmin: x, ymin: y, xmax: x + w, ymax: y + h }, source,
    ...(isFiniteNumber(area) ? { area } : {}),
    ...(crowd === 0 || crowd === 1 || typeof crowd === 'boolean' ? { isCrowd: crowd === 1 || crowd === true } : {}),
  });
}

/**
 * Parses a COCO detection JSON text. Every image entry becomes an annotation (with no objects
 * when it has none: a negative example), in the file's order; sources are `path[index]` into
 * `images`, and `path#annotations[index]` for boxes.
 *
 * @example
 * const { annotations, classes } = parseCocoJson(text, 'instances_val2017.json');
 */
export function parseCocoJson(text: string, path: string): ParsedAnnotations {
  const problems: AnnotationProblem[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { format: 'coco', annotations: [], problems: [createProblem('syntax', `not JSON: ${(error as Error).message}`, { path })], classes: null };
  }
  if (!isCocoDocument(doc)) {
    return { format: 'coco', annotations: [], problems: [createProblem('missing-field', 'expected an object with images, annotations and categories arrays', { path })], classes: null };
  }
  const d = doc as Json;
  const categories = readCategories(d['categories'] as unknown[], `${path}#categories`, problems);
  const images = readImages(d['images'] as unknown[], `${path}#images`, problems);
  (d['annotations'] as unknown[]).forEach((a, index) => readAnnotation(a, index, path, categories, images, problems));
  const annotations: ImageAnnotation[] = [...images.values()].map((image) => ({
    format: 'coco', source: { path: `${path}#images`, index: image.index }, imageRef: { fileName: image.fileName },
    sourceId: image.id, units: 'pixels', objects: image.objects,
    ...(image.size === undefined ? {} : { declaredSize: image.size }),
  }));
  const classes: DeclaredClass[] = [...categories].map(([id, name]) => ({ id, name })).sort((a, b) => a.id - b.id);
  return { format: 'coco', annotations, problems, classes };
}
