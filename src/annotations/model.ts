/** The object-detection annotation model every parser returns: plain data, with problems as values. */
import type { Size } from '../image/settings.js';

/** The annotation formats img2tfrecord reads. */
export type AnnotationFormat = 'voc' | 'coco' | 'yolo' | 'csv';

/** Where an annotation (or one of its boxes) was read: a file, and its line (1-based) or index (0-based). */
export interface AnnotationSource {
  readonly path: string;
  readonly line?: number;
  /** 0-based index in a JSON array (COCO `images` / `annotations`). */
  readonly index?: number;
}

/** A box edge-to-edge: xmin <= x < xmax, in the coordinates of its frame (pixels, or 0..1 when normalised). */
export interface Box {
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
}

/** One labelled box. */
export interface AnnotatedObject {
  readonly className: string;
  readonly bbox: Box;
  readonly source: AnnotationSource;
  /** VOC `<difficult>`. */
  readonly difficult?: boolean;
  /** VOC `<truncated>`. */
  readonly truncated?: boolean;
  /** VOC `<pose>` (the Object Detection API's `image/object/view`). */
  readonly pose?: string;
  /** COCO `area` (segment area in source pixels). */
  readonly area?: number;
  /** COCO `iscrowd`. */
  readonly isCrowd?: boolean;
}

/** How an annotation names its image; match.ts tries them in the order its format prescribes. */
export interface ImageRef {
  /** The name the annotation declares (VOC `<filename>`, COCO `file_name`, CSV `filename`), if any. */
  readonly fileName?: string;
  /** The annotation file's own stem (VOC XML, YOLO .txt), relative to its folder, without extension. */
  readonly stem?: string;
}

/** One image's annotation. */
export interface ImageAnnotation {
  readonly format: AnnotationFormat;
  readonly source: AnnotationSource;
  readonly imageRef: ImageRef;
  /** The image size the annotation declares (VOC `<size>`, COCO width/height, CSV width,height). */
  readonly declaredSize?: Size;
  /** COCO image id. */
  readonly sourceId?: number;
  /** 'normalized' (YOLO): boxes are fractions of the image; see {@link toPixelBoxes}. */
  readonly units: 'pixels' | 'normalized';
  readonly objects: readonly AnnotatedObject[];
}

/** Stable problem kinds, for counting and for `--strict`. */
export type AnnotationProblemKind =
  | 'syntax'          // the file cannot be parsed
  | 'missing-field'   // a required element/column/key is absent
  | 'invalid-value'   // a number that is not one, a negative size, ...
  | 'invalid-box'     // xmin >= xmax, NaN, outside the image by more than a pixel
  | 'unknown-class'   // a class id/name with no name/id
  | 'missing-image'   // the annotation names an image that is not among the inputs
  | 'ambiguous-image' // the annotation's name fits more than one input
  | 'duplicate'       // two annotations for one image
  | 'size-mismatch'   // the declared size differs from the measured one (a warning)
  | 'plan-mismatch';  // the box map's output size missed the image's (a warning: boxes stretched to fit)

/** A problem found in an annotation, reported with where it is. */
export interface AnnotationProblem {
  readonly kind: AnnotationProblemKind;
  readonly message: string;
  readonly source: AnnotationSource;
}

/** A category as the annotation declares it (COCO categories, YOLO names by index). */
export interface DeclaredClass {
  readonly id: number;
  readonly name: string;
}

/** What a parser returns for a whole annotation set. */
export interface ParsedAnnotations {
  readonly format: AnnotationFormat;
  readonly annotations: readonly ImageAnnotation[];
  readonly problems: readonly AnnotationProblem[];
  /** Classes with ids when the format declares them (COCO categories, YOLO names as index + 1), else null. */
  readonly classes: readonly DeclaredClass[] | null;
}

/**
 * Formats a source as `path:line` or `path[index]` for messages.
 *
 * @example
 * formatSource({ path: 'train.csv', line: 4 }); // 'train.csv:4'
 */
export function formatSource(source: AnnotationSource): string {
  if (source.line !== undefined) return `${source.path}:${source.line}`;
  if (source.index !== undefined) return `${source.path}[${source.index}]`;
  return source.path;
}

/**
 * A problem value, its message prefixed with where it is.
 *
 * @example
 * createProblem('invalid-box', 'xmin 5 >= xmax 3', { path: 'a.xml' });
 */
export function createProblem(kind: AnnotationProblemKind, detail: string, source: AnnotationSource): AnnotationProblem {
  return { kind, message: `${formatSource(source)}: ${detail}`, source };
}

/**
 * Converts a normalised (YOLO) annotation's boxes to pixels of the given size; pixel annotations are returned as they are.
 *
 * @example
 * toPixelBoxes(yoloAnnotation, { width: 640, height: 480 }).units; // 'pixels'
 */
export function toPixelBoxes(annotation: ImageAnnotation, size: Size): ImageAnnotation {
  if (annotation.units === 'pixels') return annotation;
  const objects = annotation.objects.map((o) => ({
    ...o,
    bbox: { xmin: o.bbox.xmin * size.width, ymin: o.bbox.ymin * size.height, xmax: o.bbox.xmax * size.width, ymax: o.bbox.ymax * size.height },
  }));
  return { ...annotation, units: 'pixels', objects };
}
