/** The object-detection part of a convert run: annotations read once, matched to the inputs, applied per record. */
import type { AnnotationProblem, AppliedAnnotation, ImageAnnotation } from '../annotations/index.js';
import { ImageError, StrictModeError } from '../errors.js';
import type { EncodedImage, RawImage } from '../image/index.js';
import type { InputItem } from '../inputs/sources.js';
import type { DetectionJob, LabelledInput } from './job.js';
import type { ConvertSettings } from './options/options.js';

/** Problems that `--strict` stops at; the others (size-mismatch, plan-mismatch) are warnings. */
const STRICT_KINDS: ReadonlySet<string> = new Set(['invalid-box', 'unknown-class', 'missing-image', 'ambiguous-image']);

/** What {@link prepareDetection} gives prepareJob. */
export interface PreparedDetection {
  readonly detection: DetectionJob;
  /** The inputs to convert (without the unannotated ones with `--annotated-only`). */
  readonly inputs: LabelledInput[];
  /** Each input's annotation, by input (not by index: splits and shuffles reorder). */
  readonly annotationOf: ReadonlyMap<InputItem, ImageAnnotation | null>;
  /** Inputs `--annotated-only` left out, as ignored files. */
  readonly leftOut: { relPath: string; reason: string }[];
}

/**
 * Reads the run's annotations once (folder inputs, manifests and splits alike), matches each
 * input to its annotation, and with `--annotated-only` leaves the unannotated inputs out (listed
 * as ignored files, so every input is in the output or the report). `--strict` stops at an
 * invalid box, an unknown class, an annotation naming a missing image or fitting several.
 *
 * @example
 * const od = await prepareDetection(settings, inputs); // od.annotationOf.get(input)?.objects
 */
export async function prepareDetection(settings: ConvertSettings, inputs: readonly LabelledInput[]): Promise<PreparedDetection> {
  // Loaded here, not at startup: only a run with --annotations needs the annotation parsers.
  const { applyAnnotation, prepareAnnotations } = await import('../annotations/index.js');
  const prepared = await prepareAnnotations(inputs.map((i) => i.input.relPath), {
    annotations: settings.annotations as string, format: settings.annotationsFormat, labels: settings.labels,
  });
  if (settings.strict) stopAtProblem(prepared.problems);
  const annotationOf = new Map<InputItem, ImageAnnotation | null>();
  const kept: LabelledInput[] = [];
  const leftOut: { relPath: string; reason: string }[] = [];
  inputs.forEach((labelled, i) => {
    const annotation = prepared.matched[i] ?? null;
    if (annotation === null && settings.annotatedOnly) {
      leftOut.push({ relPath: labelled.input.relPath, reason: 'no annotation (--annotated-only)' });
      return;
    }
    annotationOf.set(labelled.input, annotation);
    kept.push(labelled);
  });
  const apply = {
    format: prepared.format, geometry: settings.image, labels: prepared.labelMap, minBoxVisible: settings.minBoxVisible,
    ...(settings.annotationFrame === 'auto' ? {} : { frame: settings.annotationFrame }),
  };
  return { detection: { prepared, apply, leftOut: leftOut.length, applyAnnotation }, inputs: kept, annotationOf, leftOut };
}

/** Throws for the first problem `--strict` stops at. */
function stopAtProblem(problems: readonly AnnotationProblem[]): void {
  const first = problems.find((p) => STRICT_KINDS.has(p.kind));
  if (first !== undefined) throw new StrictModeError(new ImageError('invalid', `${first.kind}: ${first.message}`));
}

/**
 * Applies one input's annotation to its stored image; with `--strict` a box problem fails the
 * input (and so the run).
 *
 * @example
 * const od = applyDetection(job.detection, work.annotation ?? null, image, 'a.jpg', settings.strict);
 */
export function applyDetection(detection: DetectionJob, annotation: ImageAnnotation | null, image: EncodedImage | RawImage, relPath: string, strict: boolean): AppliedAnnotation {
  const applied = detection.applyAnnotation(annotation, image, relPath, detection.apply);
  if (strict) {
    const first = applied.problems.find((p) => STRICT_KINDS.has(p.kind));
    if (first !== undefined) throw new ImageError('invalid', `${first.kind}: ${first.message}`, { path: relPath });
  }
  return applied;
}

/**
 * The annotation settings recorded in dataset.json and the plan fingerprint, only for a run that
 * uses them (they are not enumerable settings, so other runs' outputs stay as they were).
 *
 * @example
 * describeDetection(settings); // { annotations: 'voc/', annotationsFormat: 'auto', ... } or null
 */
export function describeDetection(settings: ConvertSettings): Record<string, unknown> | null {
  if (settings.annotations === null) return null;
  const { annotations, annotationsFormat, annotatedOnly, minBoxVisible, annotationFrame } = settings;
  return { annotations, annotationsFormat, annotatedOnly, minBoxVisible, annotationFrame };
}
