/** Builds small Object Detection API records for the box tests of the read side. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesFeature, encodeExample, floatFeature, int64Feature, type Features } from '../../src/example/index.js';
import { frameRecordToBuffer } from '../../src/record/index.js';

/** TensorFlow's own Object Detection record of 40 images (see fixtures/golden/README.md). */
export const RACCOON = 'fixtures/golden/raccoon_test.record';

/**
 * The box features of one record: boxes as [xmin, ymin, xmax, ymax], classes as [text, label];
 * with `image`, also image/encoded and image/filename.
 */
export function od(boxes: readonly [number, number, number, number][], classes: readonly [string, number][], image?: Buffer): Features {
  return {
    ...(image === undefined ? {} : { 'image/encoded': bytesFeature(image), 'image/filename': bytesFeature('grey.png') }),
    'image/object/bbox/xmin': floatFeature(...boxes.map((b) => b[0])),
    'image/object/bbox/ymin': floatFeature(...boxes.map((b) => b[1])),
    'image/object/bbox/xmax': floatFeature(...boxes.map((b) => b[2])),
    'image/object/bbox/ymax': floatFeature(...boxes.map((b) => b[3])),
    'image/object/class/text': bytesFeature(...classes.map((c) => c[0])),
    'image/object/class/label': int64Feature(...classes.map((c) => c[1])),
  };
}

/** Writes the records as one plain TFRecord file in a new temporary folder and returns its path. */
export async function recordFile(records: readonly Features[], prefix = 'boxes-'): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), prefix)), 'in.tfrecord');
  await writeFile(file, Buffer.concat(records.map((f) => frameRecordToBuffer(encodeExample(f)))));
  return file;
}
