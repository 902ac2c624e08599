/** Per-image checks before mapping: which frame the boxes are in, the declared size, and each box's validity. */
import type { Size } from '../image/settings.js';
import type { AnnotatedObject, AnnotationFormat, AnnotationProblem, ImageAnnotation } from './model.js';
import { createProblem } from './model.js';
import type { AnnotationFrame } from './geometry.js';

/**
 * The frame each format's usual tool annotates in, when the declared size cannot tell: VOC and
 * the generate_tfrecord CSV come from labelImg (stored pixels); COCO and YOLO exports come from
 * CVAT-like tools and Ultralytics, which apply EXIF orientation (displayed pixels). See geometry.ts.
 */
export const DEFAULT_FRAMES: Readonly<Record<AnnotationFormat, AnnotationFrame>> = { voc: 'stored', csv: 'stored', coco: 'displayed', yolo: 'displayed' };

/**
 * Picks the frame an annotation's boxes are in. When the orientation swaps the axes (5-8) and the
 * annotation declares a size, the size tells: equal to the stored size is the stored frame, to the
 * swapped size the displayed one. Otherwise the override, else the format's default.
 *
 * @example
 * resolveAnnotationFrame(ann, { width: 4032, height: 3024 }, 6); // 'displayed' when ann declares 3024x4032
 */
export function resolveAnnotationFrame(annotation: ImageAnnotation, storedSize: Size, orientation: number, override?: AnnotationFrame): AnnotationFrame {
  const declared = annotation.declaredSize;
  if (orientation >= 5 && orientation <= 8 && declared !== undefined && storedSize.width !== storedSize.height) {
    if (declared.width === storedSize.width && declared.height === storedSize.height) return 'stored';
    if (declared.width === storedSize.height && declared.height === storedSize.width) return 'displayed';
  }
  return override ?? DEFAULT_FRAMES[annotation.format];
}

/**
 * The size of the frame the boxes are in, for a stored size and orientation.
 *
 * @example
 * frameSize({ width: 40, height: 30 }, 6, 'displayed'); // { width: 30, height: 40 }
 */
export function frameSize(storedSize: Size, orientation: number, frame: AnnotationFrame): Size {
  return frame === 'displayed' && orientation >= 5 && orientation <= 8 ? { width: storedSize.height, height: storedSize.width } : storedSize;
}

/**
 * A `size-mismatch` warning when the declared size differs from the measured one (a common VOC
 * defect); the measured size is the one used. Null when they agree or nothing is declared.
 * `measured` is the size of the annotation's frame: {@link frameSize} of the stored size.
 *
 * @example
 * checkDeclaredSize(ann, { width: 640, height: 480 }); // null, or a problem naming both sizes
 */
export function checkDeclaredSize(annotation: ImageAnnotation, measured: Size): AnnotationProblem | null {
  const d = annotation.declaredSize;
  if (d === undefined || (d.width === measured.width && d.height === measured.height)) return null;
  return createProblem('size-mismatch', `declares ${d.width}x${d.height} but the image is ${measured.width}x${measured.height}; boxes are normalised by the measured size`, annotation.source);
}

/** Valid objects (boxes within a pixel of the image clipped to it) and the problems of the others. */
export interface CheckedObjects {
  readonly objects: readonly AnnotatedObject[];
  readonly problems: readonly AnnotationProblem[];
}

/** How far outside the image a box edge may be before it is an error rather than clipped. */
export const EDGE_TOLERANCE_PX = 1;

/**
 * Checks each box against the image (in the annotation's frame, pixel units): NaN or infinite
 * coordinates, xmin >= xmax or ymin >= ymax, more than a pixel outside the image, or a class the
 * label map lacks (`knownClass` returns false) are problems; edges up to a pixel outside are clipped.
 *
 * @example
 * const { objects, problems } = checkObjects(ann.objects, { width: 640, height: 480 }, (c) => labels.has(c));
 */
export function checkObjects(objects: readonly AnnotatedObject[], size: Size, knownClass: (name: string) => boolean = () => true): CheckedObjects {
  const kept: AnnotatedObject[] = [];
  const problems: AnnotationProblem[] = [];
  const t = EDGE_TOLERANCE_PX;
  for (const object of objects) {
    const { xmin, ymin, xmax, ymax } = object.bbox;
    const text = `box ${xmin},${ymin},${xmax},${ymax} of "${object.className}"`;
    let problem: string | null = null;
    if (![xmin, ymin, xmax, ymax].every(Number.isFinite)) problem = `${text}: a coordinate is not a number`;
    else if (xmin >= xmax || ymin >= ymax) problem = `${text}: min >= max (empty or negative size)`;
    else if (xmin < -t || ymin < -t || xmax > size.width + t || ymax > size.height + t) problem = `${text}: outside the ${size.width}x${size.height} image by more than ${t} pixel`;
    if (problem !== null) {
      problems.push(createProblem('invalid-box', problem, object.source));
      continue;
    }
    if (!knownClass(object.className)) {
      problems.push(createProblem('unknown-class', `class "${object.className}" is not in the label map`, object.source));
      continue;
    }
    const bbox = { xmin: Math.max(0, xmin), ymin: Math.max(0, ymin), xmax: Math.min(size.width, xmax), ymax: Math.min(size.height, ymax) };
    // A box that lies entirely in the 1-pixel margin has nothing left after clipping.
    if (bbox.xmin >= bbox.xmax || bbox.ymin >= bbox.ymax) {
      problems.push(createProblem('invalid-box', `${text}: outside the ${size.width}x${size.height} image`, object.source));
      continue;
    }
    kept.push({ ...object, bbox });
  }
  return { objects: kept, problems };
}
