/** The per-input annotation chain of a convert run: check an image's boxes, map them into its stored output, build its OD features. */
import type { Features } from '../example/example.js';
import type { LabelMap } from '../dataset/labels.js';
import type { EncodedImage, RawImage } from '../image/load.js';
import type { Size } from '../image/settings.js';
import { buildDetectionFeatures } from './features.js';
import { readExifOrientation } from './exif.js';
import { fitPlanToOutput, mapBox, mapObjects, planGeometry, type AnnotationFrame, type GeometryPlan, type GeometrySettings } from './geometry.js';
import type { AnnotatedObject, AnnotationFormat, AnnotationProblem, Box, ImageAnnotation } from './model.js';
import { createProblem, toPixelBoxes } from './model.js';
import { checkDeclaredSize, checkObjects, frameSize, resolveAnnotationFrame } from './validate.js';

/** The run-wide settings of {@link applyAnnotation}. */
export interface ApplyAnnotationSettings {
  /** The run's annotation format: which per-format keys every record carries (also those without boxes). */
  readonly format: AnnotationFormat;
  /** The image stage's settings that move pixels (a resolved ImageSettings fits). */
  readonly geometry: GeometrySettings;
  /** The detection label map (ids from 1), from {@link prepareAnnotations}. */
  readonly labels: LabelMap;
  /** `--min-box-visible`: a clipped box keeping less than this fraction of its area is dropped (default 0). */
  readonly minBoxVisible?: number;
  /** The frame boxes are given in, over the format's default (see resolveAnnotationFrame). */
  readonly frame?: AnnotationFrame;
}

/** What one input's annotation gives its record. */
export interface AppliedAnnotation {
  /**
   * The Object Detection API keys to merge into the record: image/height, width, filename,
   * source_id, image/object/bbox/*, class/text, class/label and the format's extra keys (empty
   * lists for an image without boxes). height/width equal the stored image's.
   */
  readonly features: Features;
  /** Boxes the annotation gives. */
  readonly boxes: number;
  /** Boxes written. */
  readonly kept: number;
  /** Boxes mapped fully outside the output, or keeping less than minBoxVisible of their area. */
  readonly dropped: number;
  /** Boxes written after clipping (to the image within a pixel, or to the output frame). */
  readonly clipped: number;
  /** Boxes left out as invalid or of an unknown class, one problem each (`--strict` stops at them). */
  readonly problems: readonly AnnotationProblem[];
  /** Not errors: a declared size that differs from the measured one, a plan that missed the output size. */
  readonly warnings: readonly AnnotationProblem[];
}

function sameBox(a: Box, b: Box): boolean {
  return a.xmin === b.xmin && a.ymin === b.ymin && a.xmax === b.xmax && a.ymax === b.ymax;
}

/** The plan, stretched to the image's real size when the model missed it (then a warning says so). */
function planFor(image: EncodedImage | RawImage, annotation: ImageAnnotation, frame: AnnotationFrame, orientation: number, settings: ApplyAnnotationSettings): { plan: GeometryPlan; warning: AnnotationProblem | null } {
  const { geometry } = image;
  const planned = planGeometry({
    storedSize: { width: geometry.width, height: geometry.height }, orientation, frame,
    decoded: geometry.decoded, jpegShrinkOnLoad: geometry.jpegShrinkOnLoad,
  }, settings.geometry);
  const actual = { width: image.width, height: image.height };
  const { width, height } = planned.outputSize;
  if (width === actual.width && height === actual.height) return { plan: planned, warning: null };
  const warning = createProblem('plan-mismatch', `boxes planned for a ${width}x${height} output but the image is ${actual.width}x${actual.height}; boxes stretched to fit (within a pixel)`, annotation.source);
  return { plan: fitPlanToOutput(planned, actual), warning };
}

/** Boxes written, and the counts: dropped by the mapping, clipped (at the image edge or by the output frame). */
interface MappedBoxes { readonly kept: AnnotatedObject[]; readonly dropped: number; readonly clipped: number; readonly problems: AnnotationProblem[] }

/** Checks and maps each box on its own, so that every count names what happened to that box. */
function checkAndMap(objects: readonly AnnotatedObject[], measured: Size, known: ReadonlySet<string>, plan: GeometryPlan, minBoxVisible: number): MappedBoxes {
  const out: MappedBoxes = { kept: [], dropped: 0, clipped: 0, problems: [] };
  let dropped = 0;
  let clipped = 0;
  for (const object of objects) {
    const checked = checkObjects([object], measured, (name) => known.has(name));
    const valid = checked.objects[0];
    if (valid === undefined) {
      out.problems.push(...checked.problems);
      continue;
    }
    const mapped = mapObjects([valid], plan, minBoxVisible).objects[0];
    if (mapped === undefined) {
      dropped++;
      continue;
    }
    if (!sameBox(valid.bbox, object.bbox) || !sameBox(mapped.bbox, mapBox(valid.bbox, plan.map))) clipped++;
    out.kept.push(mapped);
  }
  return { ...out, dropped, clipped };
}

/**
 * The whole per-input chain: the frame the boxes are in, YOLO fractions to pixels, the declared
 * size against the measured one, each box checked (invalid ones and unknown classes become
 * problems; edges within a pixel clipped), boxes mapped through what the image stage did (EXIF
 * orientation, resize, letterbox, crop; nothing for pass-through except a displayed-frame
 * annotation going back to the stored frame), and the record's OD features. A null annotation
 * (an unannotated input) gives a record without boxes. Pure: no I/O; problems are values.
 *
 * @example
 * const image = await loadImage(bytes, imageSettings, { path: 'a.jpg' });
 * const od = applyAnnotation(matched[i], image, 'a.jpg', { format: 'voc', geometry: imageSettings, labels });
 * Object.assign(features, od.features);
 */
export function applyAnnotation(annotation: ImageAnnotation | null, image: EncodedImage | RawImage, filename: string, settings: ApplyAnnotationSettings): AppliedAnnotation {
  const build = (objects: readonly AnnotatedObject[], sourceId?: number): Features => buildDetectionFeatures({
    filename, width: image.width, height: image.height, objects, format: settings.format, ...(sourceId === undefined ? {} : { sourceId }),
  }, settings.labels).features;
  if (annotation === null) return { features: build([]), boxes: 0, kept: 0, dropped: 0, clipped: 0, problems: [], warnings: [] };
  const { geometry } = image;
  // Pass-through bytes are the source: read their orientation here (the image stage had no need to).
  const orientation = geometry.orientation ?? (image.kind === 'encoded' ? readExifOrientation(image.bytes) : 1);
  const stored: Size = { width: geometry.width, height: geometry.height };
  const frame = resolveAnnotationFrame(annotation, stored, orientation, settings.frame);
  const measured = frameSize(stored, orientation, frame);
  const warnings: AnnotationProblem[] = [];
  const mismatch = checkDeclaredSize(annotation, measured);
  if (mismatch !== null) warnings.push(mismatch);
  const { plan, warning } = planFor(image, annotation, frame, orientation, settings);
  if (warning !== null) warnings.push(warning);
  const pixels = toPixelBoxes(annotation, measured);
  const mapped = checkAndMap(pixels.objects, measured, new Set(settings.labels.names), plan, settings.minBoxVisible ?? 0);
  return {
    features: build(mapped.kept, annotation.sourceId),
    boxes: annotation.objects.length,
    kept: mapped.kept.length,
    dropped: mapped.dropped,
    clipped: mapped.clipped,
    problems: mapped.problems,
    warnings,
  };
}
