/** Where the raccoon annotation fixtures of each format live (see fixtures/annotations/raccoon/README.md). */
import type { AnnotationFormat } from '../../src/annotations/index.js';

/** The same 44 boxes of TensorFlow's raccoon_test.record, once per annotation format. */
export const RACCOON_ANNOTATIONS: Readonly<Record<AnnotationFormat, string>> = {
  voc: 'fixtures/annotations/raccoon/voc',
  csv: 'fixtures/annotations/raccoon/raccoon_test.csv',
  coco: 'fixtures/annotations/raccoon/coco.json',
  yolo: 'fixtures/annotations/raccoon/yolo',
};
