/** Object-detection annotations: parse VOC / COCO / YOLO / CSV, match them to inputs, map boxes, build OD features. */
export type {
  AnnotatedObject, AnnotationFormat, AnnotationProblem, AnnotationProblemKind, AnnotationSource, Box, DeclaredClass,
  ImageAnnotation, ImageRef, ParsedAnnotations,
} from './model.js';
export { createProblem, formatSource, toPixelBoxes } from './model.js';
export { parseVocXml } from './voc.js';
export { parseCocoJson } from './coco.js';
export { parseYoloLabels, parseDataYamlNames, parseClassesTxt } from './yolo.js';
export { parseDetectionCsv } from './csv.js';
export { detectAnnotationFormat } from './detect-format.js';
export { readAnnotations, findYoloNames, type ReadAnnotationsOptions } from './load.js';
export { matchAnnotations, type MatchResult } from './match.js';
export { planGeometry, fitPlanToOutput, mapObjects, mapBox, orientationMap, type AnnotationFrame, type GeometryInput, type GeometryPlan, type GeometrySettings, type Affine } from './geometry.js';
export { resolveAnnotationFrame, frameSize, checkDeclaredSize, checkObjects, DEFAULT_FRAMES } from './validate.js';
export { buildDetectionFeatures, buildDetectionLabelMap, formatDetectionLabelMap, type DetectionRecordInput, type DetectionFeatures } from './features.js';
export { applyAnnotation, type ApplyAnnotationSettings, type AppliedAnnotation } from './apply.js';
export { prepareAnnotations, type PrepareAnnotationsOptions, type PreparedAnnotations } from './prepare.js';
export { readExifOrientation } from './exif.js';
