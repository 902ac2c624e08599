/** The encode stage: one input -> its record (read, image stage, features, the target's encoding), failures contained. */
import { readFile } from 'node:fs/promises';
import { bytesFeature, floatFeature, int64Feature, type Feature } from '../example/index.js';
import { Img2TfrecordError, ImageError } from '../errors.js';
import { loadImage, type EncodedImage, type ImageContext, type ImageSettings, type RawImage, type TfVerdict } from '../image/index.js';
import { raceTimeLimit } from '../image/limits.js';
import { buildImageFeatures, buildLabelledFeatures, sha256Hex } from '../dataset/features.js';
import type { CellValue } from '../inputs/manifest.js';
import type { ReadBufferPool } from '../runtime/read-pool.js';
import { rememberCrc32c } from '../record/index.js';
import type { ReadWorkerPool, RecordPlan, WorkerRead } from './readers/pool.js';
import { stallPoint } from '../runtime/faults.js';
import type { SkippedFile } from '../summary/summary.js';
import type { StageMarker, Target, TargetInput, TargetRecord } from '../sinks/target.js';
import type { AppliedAnnotation } from '../annotations/index.js';
import { containError } from './contain.js';
import { applyDetection } from './detection.js';
import type { DetectionJob, WorkItem } from './job.js';
import type { ConvertSettings } from './options/options.js';
import { encodeTfdsDetection } from './targets/tfds-output.js';

/** What one input came to: its record, or why it was skipped. */
export type FileResult =
  | {
    readonly ok: true;
    readonly input: TargetInput;
    readonly record: TargetRecord;
    readonly bytesRead: number;
    /** Gives the file's buffer back to the read pool once the record is written. */
    readonly release: () => void;
    /** Only in an object-detection run: what the input's annotation came to. */
    readonly detection?: AppliedAnnotation;
  }
  | { readonly ok: false; readonly skipped: SkippedFile; readonly bytesRead: number; readonly error: Img2TfrecordError };

/** What the encode stage works with. */
export interface EncodeEnv {
  readonly settings: ConvertSettings;
  readonly target: Target;
  /** The image stage (the target's, or a hook's replacement). */
  readonly loadImage: (bytes: Buffer, settings: ImageSettings, context: ImageContext) => Promise<EncodedImage | RawImage>;
  readonly pool: ReadBufferPool;
  /**
   * Pass-through only: worker threads that read each file and digest it (SHA-256, CRC-32C, the
   * TensorFlow verdict) off the main thread; null reads on the main thread through `pool`.
   */
  readonly readers: ReadWorkerPool | null;
  readonly signal: AbortSignal | undefined;
  /** Only in an object-detection run: the prepared annotations. */
  readonly detection?: DetectionJob | null;
}

/** An input's bytes, with the digests a worker computed while it read them (null: not computed). */
interface ReadBytes {
  readonly bytes: Buffer;
  readonly sha256: string | null;
  readonly verdict: TfVerdict | null;
  /** The record a read worker built around the bytes (then `bytes` is the whole Example), or null. */
  readonly record: WorkerRead['record'];
}

/**
 * The encode stage of a run: each input read, turned into its record within the per-file time
 * limit, any unexpected failure contained as that input's problem.
 *
 * @example
 * const encode = createEncoder(env);
 * const result = await encode(work, 0); // input 0 of the run: { ok: true, record, ... } or { ok: false, skipped, ... }
 */
export function createEncoder(env: EncodeEnv): (work: WorkItem, index: number) => Promise<FileResult> {
  return async (work, index) => {
    env.signal?.throwIfAborted();
    const stage: StageMarker = { name: 'read' };
    try {
      return await raceTimeLimit(encodeInput(work, index, env, stage), env.settings.fileTimeout, work.input.relPath, env.signal);
    } catch (error) {
      return skip(work, containError(error, stage.name, work.input.relPath, env.signal), 0);
    }
  };
}

function skip(work: WorkItem, error: ImageError, bytesRead: number): FileResult {
  return { ok: false, skipped: { path: work.input.relPath, problem: error.problem, reason: error.message }, bytesRead, error };
}

/** Reads an input's bytes from the pool, or says why it cannot be read. */
function readInput(work: WorkItem, pool: ReadBufferPool): ReadBytes | ImageError {
  const { relPath, path } = work.input;
  try {
    // Null: no longer a regular file (replaced since discovery); reading a FIFO or device could block for ever.
    const bytes = pool.read(path);
    return bytes === null ? notRegular(relPath) : { bytes, sha256: null, verdict: null, record: null };
  } catch (cause) {
    return new ImageError('unreadable', `cannot read file: ${(cause as Error).message}`, { path: relPath }, { cause });
  }
}

/** Reads input `index` of the plan on a read worker: its bytes, SHA-256, verdict and CRC-32C (remembered for the frame). */
async function readOnWorker(work: WorkItem, index: number, readers: ReadWorkerPool, pool: ReadBufferPool): Promise<ReadBytes | ImageError> {
  const { relPath } = work.input;
  try {
    const read = await readers.read(index);
    rememberCrc32c(read.bytes, read.crc);
    return read;
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'not-a-regular-file') return notRegular(relPath);
    // Too large for a worker's ring: read here, as without workers.
    if (code === 'large') return readInput(work, pool);
    return new ImageError('unreadable', `cannot read file: ${(cause as Error).message}`, { path: relPath }, { cause });
  }
}

function notRegular(relPath: string): ImageError {
  return new ImageError('not-a-regular-file', 'not a regular file; not read', { path: relPath });
}

/**
 * Encodes one input: its bytes through the image stage, its features (see {@link buildRecordFeatures}),
 * then the target's record. A bad image is a skipped result; anything else unexpected is contained.
 */
async function encodeInput(work: WorkItem, index: number, env: EncodeEnv, stage: StageMarker): Promise<FileResult> {
  await stallPoint('read', env.signal);
  const read = env.readers === null ? readInput(work, env.pool) : await readOnWorker(work, index, env.readers, env.pool);
  if (read instanceof ImageError) return skip(work, read, 0);
  const { bytes } = read;
  // The buffer goes back to whichever pool lent it (each ignores buffers it did not lend).
  const giveBack = (): void => {
    env.pool.release(bytes);
    env.readers?.release(bytes);
  };
  const { relPath } = work.input;
  if (read.record !== null) return workerRecord(work, read.record, bytes, giveBack);
  const context: ImageContext = read.verdict === null
    ? { path: relPath, fileTimeout: env.settings.fileTimeout }
    : { path: relPath, fileTimeout: env.settings.fileTimeout, verdict: read.verdict };
  try {
    stage.name = 'image';
    const image = await env.loadImage(bytes, env.settings.image, context);
    stage.name = 'record';
    // Stored bytes that are not the file's own (re-encoded, decoded): the file's buffer is free now,
    // else once its record is written.
    const ownBytes = image.bytes === bytes;
    if (!ownBytes) giveBack();
    const release = ownBytes ? giveBack : (): void => undefined;
    const { detection, ...input } = await buildRecordFeatures(work, image, env, stage, ownBytes ? read.sha256 : null);
    stage.name = 'record';
    const record = await env.target.encode(input, context, stage);
    return { ok: true, input, record, bytesRead: bytes.length, release, ...(detection === undefined ? {} : { detection }) };
  } catch (error) {
    if (error instanceof ImageError) {
      giveBack();
      return skip(work, error, bytes.length);
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return skip(work, new ImageError('unreadable', `cannot read file: ${(error as Error).message}`, { path: relPath }), bytes.length);
    }
    // The buffer may still be read by a native call that threw late: never lend it again.
    return skip(work, containError(error, stage.name, relPath, env.signal), bytes.length);
  }
}

/**
 * The result of an input whose record a read worker built (the bytes stored as they are, the
 * Example around them in `payload`): what the main thread would have built from the same bytes.
 * The canonical and extra features are left empty: nothing after the encoding reads them.
 */
function workerRecord(work: WorkItem, record: NonNullable<WorkerRead['record']>, payload: Buffer, release: () => void): FileResult {
  const input: TargetInput = { relPath: work.input.relPath, split: work.plan.name, image: record.image, label: work.label.label, canonical: {}, extra: {} };
  return { ok: true, input, record: { payload, keys: record.keys, observed: null }, bytesRead: record.image.bytes.length, release };
}

/**
 * What a read worker needs to build `work`'s record itself (see {@link buildRecordFeatures}), or
 * null when only the main thread can: an annotation to apply, second images to load.
 *
 * @example
 * pool.plan(todo.map((work) => ({ path: work.input.path, record: planWorkerRecord(work) })));
 */
export function planWorkerRecord(work: WorkItem): RecordPlan | null {
  const { input, label } = work;
  if (work.annotation !== undefined || input.images.size > 0) return null;
  return { relPath: input.relPath, label: label.label, text: label.text, extra: cellFeatures(input.extra) };
}

/**
 * The features of one input's record, given its encoded image: the image keys and the resolved
 * label under their canonical names, and the manifest's extra columns and second images under
 * their own. This is where per-input features from other sources join the record (e.g. the
 * object-detection boxes of an annotation, mapped into the stored image's frame): add them to
 * `canonical` (schema-renamed keys) or `extra` (kept as named).
 *
 * `sha256`: the image bytes' hex SHA-256 when already known (a hashing worker read them).
 *
 * @example
 * const input = await buildRecordFeatures(work, image, env, stage); // input.canonical['image/encoded']
 */
export async function buildRecordFeatures(
  work: WorkItem, image: EncodedImage | RawImage, env: EncodeEnv, stage: StageMarker, sha256: string | null = null,
): Promise<TargetInput & { readonly detection?: AppliedAnnotation }> {
  const { input, label } = work;
  const digest = env.target.writesKey('image/key/sha256') ? sha256 ?? sha256Hex(image.bytes) : null;
  const detection = env.detection === undefined || env.detection === null || work.annotation === undefined
    ? undefined
    : applyDetection(env.detection, work.annotation, image, input.relPath, env.settings.strict);
  // An object-detection record carries the detection classes (image/object/class/*), not the class-folder ones.
  const canonical: Record<string, Feature> = detection === undefined
    ? buildLabelledFeatures(image, input.relPath, digest, label.label, label.text)
    : { ...buildImageFeatures(image, input.relPath, digest), ...detection.features };
  const extra: Record<string, Feature> = {};
  // A TFDS run stores the boxes as TFDS's objects Sequence (its schema leaves the OD API keys out).
  if (detection !== undefined && env.settings.tfdsName !== null && env.detection) Object.assign(extra, encodeTfdsDetection(detection.features, env.detection.prepared.format));
  Object.assign(extra, cellFeatures(input.extra));
  for (const [key, second] of input.images) {
    stage.name = `image ${key}`;
    const other = await loadImage(await readFile(second.path), env.settings.image, { path: second.relPath, fileTimeout: env.settings.fileTimeout });
    extra[key] = bytesFeature(other.bytes);
  }
  const record = { relPath: input.relPath, split: work.plan.name, image, label: detection === undefined ? label.label : null, canonical, extra };
  return detection === undefined ? record : { ...record, detection };
}

/** A manifest row's extra columns as features, under their own names. */
function cellFeatures(cells: ReadonlyMap<string, CellValue>): Record<string, Feature> {
  const features: Record<string, Feature> = {};
  for (const [key, cell] of cells) {
    features[key] = cell.type === 'int64' ? int64Feature(...cell.values) : cell.type === 'float' ? floatFeature(...cell.values) : bytesFeature(...cell.values);
  }
  return features;
}
