/** The TF Object Detection API's record features (as its dataset_util writes them) and label_map.pbtxt. */
import { InputError } from '../errors.js';
import { bytesFeature, floatFeature, int64Feature, type Features } from '../example/example.js';
import { buildLabelMap, formatLabelMapPbtxt, type LabelFile, type LabelMap } from '../dataset/labels.js';
import type { AnnotatedObject, AnnotationFormat, AnnotationProblem, DeclaredClass } from './model.js';
import { createProblem } from './model.js';

/** What one detection record is built from; boxes are in pixels of the STORED output image. */
export interface DetectionRecordInput {
  readonly filename: string;
  /** COCO image id; else the file name is written. */
  readonly sourceId?: number | string;
  /** The stored image's size: boxes are normalised by it. */
  readonly width: number;
  readonly height: number;
  readonly objects: readonly AnnotatedObject[];
  /** Which per-format keys to write: VOC difficult/truncated/view, COCO area/is_crowd. */
  readonly format: AnnotationFormat;
}

/** The features, and the objects left out (their class has no id). */
export interface DetectionFeatures {
  readonly features: Features;
  readonly problems: readonly AnnotationProblem[];
}

/**
 * Builds the Object Detection API keys of one record (without image/encoded, image/format and
 * image/key/sha256, which the converter already writes): image/height, width, filename,
 * source_id, image/object/bbox/xmin|xmax|ymin|ymax (pixel / stored size, stored as float32),
 * image/object/class/text and label (int64, from the label map), and per format VOC
 * image/object/difficult, truncated, view; COCO image/object/area, is_crowd. Every per-object list
 * has one entry per box (empty lists for an image without boxes).
 *
 * @example
 * const { features } = buildDetectionFeatures({ filename: 'a.jpg', width: 640, height: 480, objects, format: 'voc' }, labelMap);
 * features['image/object/bbox/xmin'];
 */
export function buildDetectionFeatures(input: DetectionRecordInput, labels: LabelMap): DetectionFeatures {
  const idOf = new Map(labels.names.map((name, i) => [name, labels.ids[i] as number]));
  const problems: AnnotationProblem[] = [];
  const objects = input.objects.filter((o) => {
    if (idOf.has(o.className)) return true;
    problems.push(createProblem('unknown-class', `class "${o.className}" is not in the label map`, o.source));
    return false;
  });
  const { width, height } = input;
  const features: Record<string, Features[string]> = {
    'image/height': int64Feature(height),
    'image/width': int64Feature(width),
    'image/filename': bytesFeature(input.filename),
    'image/source_id': bytesFeature(String(input.sourceId ?? input.filename)),
    // Python float division in float64, then float32 in the FloatList: the same as here.
    'image/object/bbox/xmin': floatFeature(...objects.map((o) => o.bbox.xmin / width)),
    'image/object/bbox/xmax': floatFeature(...objects.map((o) => o.bbox.xmax / width)),
    'image/object/bbox/ymin': floatFeature(...objects.map((o) => o.bbox.ymin / height)),
    'image/object/bbox/ymax': floatFeature(...objects.map((o) => o.bbox.ymax / height)),
    'image/object/class/text': bytesFeature(...objects.map((o) => o.className)),
    'image/object/class/label': int64Feature(...objects.map((o) => idOf.get(o.className) as number)),
  };
  if (input.format === 'voc') {
    features['image/object/difficult'] = int64Feature(...objects.map((o) => (o.difficult === true ? 1 : 0)));
    features['image/object/truncated'] = int64Feature(...objects.map((o) => (o.truncated === true ? 1 : 0)));
    features['image/object/view'] = bytesFeature(...objects.map((o) => o.pose ?? 'Unspecified'));
  } else if (input.format === 'coco') {
    features['image/object/area'] = floatFeature(...objects.map((o) => o.area ?? (o.bbox.xmax - o.bbox.xmin) * (o.bbox.ymax - o.bbox.ymin)));
    features['image/object/is_crowd'] = int64Feature(...objects.map((o) => (o.isCrowd === true ? 1 : 0)));
  }
  return { features, problems };
}

/**
 * The detection label map: ids start at 1 (0 is the Object Detection API's background).
 * A `--labels` file fixes names and ids (a names list gets ids 1, 2, ...); else the classes the
 * annotations declare (COCO category ids; YOLO names as index + 1); else the classes present,
 * sorted, from 1. Throws {@link InputError} for an id below 1.
 *
 * @example
 * buildDetectionLabelMap(['dog', 'cat'], null, null).ids; // [1, 2] for ['cat', 'dog']
 */
export function buildDetectionLabelMap(present: Iterable<string>, declared: readonly DeclaredClass[] | null, fixed: LabelFile | null, labelsPath = ''): LabelMap {
  let map: LabelMap;
  if (fixed !== null) map = buildLabelMap([], fixed, 1, labelsPath);
  else if (declared !== null) {
    const sorted = [...declared].sort((a, b) => a.id - b.id);
    map = { names: sorted.map((c) => c.name), ids: sorted.map((c) => c.id), offset: sorted[0]?.id ?? 1 };
  } else map = buildLabelMap(present, null, 1);
  const low = map.ids.findIndex((id) => id < 1);
  if (low >= 0) {
    const where = labelsPath === '' ? 'the label map' : labelsPath;
    throw new InputError(`${where}: class "${map.names[low] ?? ''}" has id ${map.ids[low] ?? ''}; object detection ids start at 1 (0 is the background)`, labelsPath === '' ? {} : { path: labelsPath });
  }
  return map;
}

/**
 * Renders `label_map.pbtxt` for a detection label map (the Object Detection API's format).
 *
 * @example
 * formatDetectionLabelMap(map); // "item {\n  id: 1\n  name: 'raccoon'\n}\n"
 */
export function formatDetectionLabelMap(map: LabelMap): string {
  return formatLabelMapPbtxt(map);
}
