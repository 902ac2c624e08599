/** Matches parsed annotations to the converter's inputs (paths relative to the input root). */
import { posix } from 'node:path';
import type { AnnotationProblem, ImageAnnotation } from './model.js';
import { createProblem } from './model.js';

/** The result of {@link matchAnnotations}. */
export interface MatchResult {
  /** Per input, in the order given: its annotation, or null (unannotated: a negative example). */
  readonly matched: readonly (ImageAnnotation | null)[];
  /** Annotations naming no input, or more than one, or an input already annotated. */
  readonly problems: readonly AnnotationProblem[];
  /** How many inputs have no annotation. */
  readonly unannotated: number;
}

function stemOf(path: string): string {
  const ext = posix.extname(path);
  return ext === '' ? path : path.slice(0, -ext.length);
}

function normalise(path: string): string {
  return posix.normalize(path.split('\\').join('/')).replace(/^(\.\/)+/, '');
}

class InputIndex {
  readonly byPath = new Map<string, number>();
  readonly byName = new Map<string, number[]>();
  readonly byStem = new Map<string, number[]>();
  readonly byBaseStem = new Map<string, number[]>();
  constructor(inputs: readonly string[]) {
    inputs.forEach((raw, i) => {
      const path = normalise(raw);
      this.byPath.set(path, i);
      const name = posix.basename(path);
      push(this.byName, name, i);
      push(this.byStem, stemOf(path), i);
      push(this.byBaseStem, stemOf(name), i);
    });
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

type Found = { readonly index: number } | { readonly ambiguous: readonly number[] } | null;

function unique(list: readonly number[] | undefined): Found {
  if (list === undefined || list.length === 0) return null;
  return list.length === 1 ? { index: list[0] as number } : { ambiguous: list };
}

/** By the declared name: the exact relative path, else a bare name matching one input's file name. */
function findByName(index: InputIndex, fileName: string): Found {
  const path = normalise(fileName);
  const exact = index.byPath.get(path);
  if (exact !== undefined) return { index: exact };
  return path.includes('/') ? null : unique(index.byName.get(path));
}

/** By stem: the relative stem, else a bare stem matching one input's file stem. */
function findByStem(index: InputIndex, stem: string): Found {
  const s = normalise(stem);
  const exact = unique(index.byStem.get(s));
  if (exact !== null) return exact;
  return s.includes('/') ? null : unique(index.byBaseStem.get(s));
}

function findInput(index: InputIndex, annotation: ImageAnnotation): Found {
  const { fileName, stem } = annotation.imageRef;
  switch (annotation.format) {
    case 'voc': {
      // <filename> first; many VOC sets carry a stale one (renamed files), so the XML's stem is the fallback.
      const byName = fileName === undefined ? null : findByName(index, fileName);
      if (byName !== null && 'index' in byName) return byName;
      const byStem = stem === undefined ? null : findByStem(index, stem);
      return byStem ?? byName;
    }
    case 'yolo': return stem === undefined ? null : findByStem(index, stem);
    case 'coco':
    case 'csv': return fileName === undefined ? null : findByName(index, fileName);
  }
}

function describe(annotation: ImageAnnotation): string {
  const { fileName, stem } = annotation.imageRef;
  return fileName !== undefined ? `"${fileName}"` : `stem "${stem ?? ''}"`;
}

/**
 * Matches annotations to inputs: VOC by `<filename>` falling back to the XML's stem, COCO by
 * `file_name` relative to the input folder, YOLO by stem, CSV by `filename` (a bare name also
 * matches an input in a subfolder when exactly one input has it). The first annotation of an input
 * wins; later ones are `duplicate` problems.
 *
 * @example
 * const { matched, unannotated } = matchAnnotations(['a.jpg', 'b.jpg'], parsed.annotations);
 * matched[1]; // null when b.jpg has no annotation
 */
export function matchAnnotations(inputs: readonly string[], annotations: readonly ImageAnnotation[]): MatchResult {
  const index = new InputIndex(inputs);
  const matched: (ImageAnnotation | null)[] = inputs.map(() => null);
  const problems: AnnotationProblem[] = [];
  for (const annotation of annotations) {
    const found = findInput(index, annotation);
    if (found === null) {
      problems.push(createProblem('missing-image', `names ${describe(annotation)}, which is not among the inputs`, annotation.source));
    } else if ('ambiguous' in found) {
      const names = found.ambiguous.slice(0, 3).map((i) => inputs[i]).join(', ');
      problems.push(createProblem('ambiguous-image', `names ${describe(annotation)}, which fits ${found.ambiguous.length} inputs (${names}); use a relative path`, annotation.source));
    } else if (matched[found.index] !== null) {
      const first = matched[found.index] as ImageAnnotation;
      problems.push(createProblem('duplicate', `a second annotation of ${inputs[found.index] ?? ''} (the first: ${first.source.path}${first.source.line === undefined ? '' : `:${first.source.line}`}); ignored`, annotation.source));
    } else {
      matched[found.index] = annotation;
    }
  }
  return { matched, problems, unannotated: matched.filter((m) => m === null).length };
}
