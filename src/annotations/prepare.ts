/** The run-wide annotation step of a convert run: read the annotations, match them to the inputs, fix the label map. */
import { readLabelFile, type LabelFile, type LabelMap } from '../dataset/labels.js';
import { buildDetectionLabelMap, formatDetectionLabelMap } from './features.js';
import { readAnnotations } from './load.js';
import { matchAnnotations } from './match.js';
import type { AnnotationFormat, AnnotationProblem, ImageAnnotation } from './model.js';

/** Options of {@link prepareAnnotations}: the CLI's `--annotations`, `--annotations-format` and `--labels`. */
export interface PrepareAnnotationsOptions {
  /** The annotation file or folder. */
  readonly annotations: string;
  /** `auto` (default) detects it from the path. */
  readonly format?: AnnotationFormat | 'auto';
  /** A label file (names, `id:name` or pbtxt): fixes the ids, and gives YOLO's class names in index order. */
  readonly labels?: string | null;
}

/** What {@link prepareAnnotations} gives the rest of the run. */
export interface PreparedAnnotations {
  readonly format: AnnotationFormat;
  /** Per input, in the order given: its annotation, or null (a negative example). */
  readonly matched: readonly (ImageAnnotation | null)[];
  /** The detection label map (ids from 1). */
  readonly labelMap: LabelMap;
  /** `label_map.pbtxt` for it, written with every annotation run. */
  readonly labelMapText: string;
  /** YOLO class names taken from `--labels` (index order), or null. */
  readonly yoloNames: readonly string[] | null;
  /** Inputs without an annotation. */
  readonly unannotated: number;
  /** Problems in the annotation files and in matching them (each with its path and line or index). */
  readonly problems: readonly AnnotationProblem[];
}

/**
 * Reads the annotations, matches them to the inputs (paths relative to the input root, in the
 * run's order), and builds the label map: `--labels` fixes names and ids (a plain names list gets
 * 1, 2, ...; for YOLO it is also the class names in index order), else the classes the
 * annotations declare (COCO categories), else every class present, sorted, from 1. Problems come
 * back as values; an unreadable path, an undetectable format or a bad label file throw InputError.
 *
 * @example
 * const prepared = await prepareAnnotations(['img/a.jpg', 'img/b.jpg'], { annotations: 'labels.csv' });
 * prepared.matched[1]; // null when b.jpg has no boxes
 */
export async function prepareAnnotations(inputs: readonly string[], options: PrepareAnnotationsOptions): Promise<PreparedAnnotations> {
  const labelsPath = options.labels ?? null;
  const fixed: LabelFile | null = labelsPath === null ? null : await readLabelFile(labelsPath);
  // A label file lists names in id order (readLabelFile sorts id:name and pbtxt by id): YOLO index i is names[i].
  const yoloNames = fixed === null ? null : fixed.names;
  const parsed = await readAnnotations(options.annotations, options.format ?? 'auto', yoloNames === null ? {} : { yoloNames });
  const { matched, problems, unannotated } = matchAnnotations(inputs, parsed.annotations);
  // Every parsed annotation's classes, matched or not: the map must not depend on which inputs a run (or worker) takes.
  const present = parsed.annotations.flatMap((a) => a.objects.map((o) => o.className));
  const labelMap = buildDetectionLabelMap(present, fixed === null ? parsed.classes : null, fixed, labelsPath ?? '');
  return {
    format: parsed.format,
    matched,
    labelMap,
    labelMapText: formatDetectionLabelMap(labelMap),
    yoloNames: parsed.format === 'yolo' ? yoloNames : null,
    unannotated,
    problems: [...parsed.problems, ...problems],
  };
}
