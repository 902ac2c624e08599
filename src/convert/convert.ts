/** Converts images into TFRecord shards: gather inputs, plan, load, encode, frame, write, summarise. */
import { createHash } from 'node:crypto';
import { readdir, readFile, rmdir, stat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { bytesFeature, encodeExampleParts, floatFeature, int64Feature, type Feature, type Features } from '../example/index.js';
import { encodeBlobProto } from '../datum/index.js';
import { FRAME_OVERHEAD_BYTES } from '../record/index.js';
import { Img2TfrecordError, ImageError, InternalError, InterruptedError, InvalidOptionError, StrictModeError, UsageError } from '../errors.js';
import { buildDatumPayload, describeLabelProblem, fitsDatumLabel, loadDatumImage } from '../caffe/datum-record.js';
import { LmdbSink } from '../caffe/lmdb-sink.js';
import { MeanAccumulator } from '../caffe/mean.js';
import { configureImageConcurrency, loadImage, needsDecode, resolveImageSettings, type EncodedImage, type ImageContext, type ImageSettings, type RawImage } from '../image/index.js';
import { raceTimeLimit } from '../image/limits.js';
import { buildImageFeatures, sha256Hex } from '../dataset/features.js';
import { buildIndex } from '../sinks/index-file.js';
import { Publication, toOutputError } from '../runtime/publish.js';
import { buildLabelMap, formatLabelMapPbtxt, formatLabelsTxt, readLabelFile, type LabelFile, type LabelMap } from '../dataset/labels.js';
import type { CellValue } from '../inputs/manifest.js';
import { mapOrdered, stopOnAbort } from '../runtime/ordered.js';
import { resolveConvertOptions, type ConvertOptions, type ConvertSettings } from './options.js';
import { planShards, type SplitPlan } from '../dataset/plan.js';
import { ReadBufferPool } from '../runtime/read-pool.js';
import { applySchema, type FeatureType } from '../dataset/schema.js';
import { asParts, type RecordSink, type ShardInfo } from '../sinks/sink.js';
import { checkOutputFree, shardFileName, TfrecordShardSink, type KeptShard } from '../sinks/tfrecord-shards.js';
import { StreamSink } from '../sinks/stream.js';
import { stallPoint } from '../runtime/faults.js';
import { gatherInputs, type InputItem } from '../inputs/sources.js';
import { TOOL_VERSION } from '../runtime/version.js';
import { planOwnership } from '../scale/slices.js';
import { addClass, LABEL_MAP_FILE, LABELS_FILE, summaryFileName, workerSummaryFile, type ClassSummary, type ConvertSummary, type SkippedFile, type SplitSummary } from '../summary/summary.js';
import { compareCodeUnits, sortKeys } from '../runtime/compare.js';

/** Progress of a running conversion, reported after each input. */
export interface ConvertProgress {
  readonly total: number;
  readonly done: number;
  readonly records: number;
  readonly skipped: number;
  readonly bytesRead: number;
  /** Bytes on disk of the inputs this run reads (an ETA from bytes left is steadier than from files left). */
  readonly bytesTotal: number;
}

/** Hooks of {@link convert}. */
export interface ConvertHooks {
  /** Aborting stops the run, removes partial output and rejects with InterruptedError. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ConvertProgress) => void;
  /** Stream for `-o -` (default process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
  /**
   * Replaces the image stage (a file's bytes -> the image to store) for every input: a custom
   * decoder, or a test that makes one file's stage throw to see it contained.
   */
  readonly loadImage?: (bytes: Buffer, settings: ImageSettings, context: ImageContext) => Promise<EncodedImage | RawImage>;
}

type FileResult =
  | {
    readonly ok: true; readonly payload: Uint8Array | readonly Uint8Array[]; readonly image: EncodedImage | RawImage;
    readonly keys: readonly [string, Feature['kind']][]; readonly bytesRead: number;
    /** CHW BGR pixels of an encoded datum for --mean, decoded as Caffe's compute_image_mean does. */
    readonly meanPixels: RawImage | null;
    /** Gives the file's buffer back to the read pool once the record is written. */
    readonly release: () => void;
  }
  | { readonly ok: false; readonly skipped: SkippedFile; readonly bytesRead: number; readonly error: Img2TfrecordError };

/** How a record's label is written. */
interface LabelResolver {
  readonly map: LabelMap | null;
  /** Label features of an input, or a problem message (unknown label). */
  readonly features: (input: InputItem) => { label: Feature | null; text: Feature | null; classes: readonly string[] } | string;
}

function cellToFeature(cell: CellValue): Feature {
  if (cell.type === 'int64') return int64Feature(...cell.values);
  if (cell.type === 'float') return floatFeature(...cell.values);
  return bytesFeature(...cell.values);
}

function buildLabels(inputs: readonly InputItem[], fixed: LabelFile | null, settings: ConvertSettings): LabelResolver {
  const classNames = new Set<string>();
  for (const input of inputs) {
    if (input.className !== null) classNames.add(input.className);
    if (input.label?.type === 'bytes') for (const v of input.label.values) classNames.add(v);
  }
  // Folder classes must all be in a given label file (an error naming the folder); manifest
  // labels missing from it are per-row problems instead.
  const folderClasses = inputs.filter((i) => i.className !== null).map((i) => i.className as string);
  const hasNames = classNames.size > 0 || fixed !== null;
  const map = hasNames
    ? buildLabelMap(fixed === null ? classNames : folderClasses, fixed, settings.labelOffset, settings.labels ?? '')
    : idsAsLabelMap(inputs);
  // Ids named only by themselves get no image/class/text: the records stay as the manifest gave them.
  const named = hasNames;
  const idOf = new Map(map?.names.map((name, i) => [name, map.ids[i] as number]) ?? []);
  const nameOf = new Map(map?.names.map((name, i) => [map.ids[i] as number, name]) ?? []);
  // Every file of a class folder has the same label features: built once per class, not per file.
  const byClass = new Map<string, { label: Feature; text: Feature; classes: readonly string[] }>();
  return {
    map,
    features: (input) => {
      if (input.className !== null) {
        let resolved = byClass.get(input.className);
        if (resolved === undefined) {
          const id = idOf.get(input.className) as number;
          resolved = { label: int64Feature(id), text: bytesFeature(input.className), classes: [input.className] };
          byClass.set(input.className, resolved);
        }
        return resolved;
      }
      const cell = input.label;
      if (cell === null) return { label: null, text: null, classes: [] };
      if (cell.type === 'bytes') {
        const ids: number[] = [];
        for (const name of cell.values) {
          const id = idOf.get(name);
          if (id === undefined) return `label "${name}" is not in the label list ${settings.labels ?? ''}`.trim();
          ids.push(id);
        }
        return { label: int64Feature(...ids), text: bytesFeature(...cell.values), classes: cell.values };
      }
      if (cell.type === 'int64') {
        const names = cell.values.map((v) => nameOf.get(Number(v)));
        // Ids are free without a label file; with one, an id it does not list is unknown.
        const unknown = fixed === null ? undefined : cell.values.find((_, i) => names[i] === undefined);
        if (unknown !== undefined) return `label ${unknown} is not an id in the label list ${settings.labels ?? ''}`;
        const text = names.every((n) => n !== undefined) && named ? bytesFeature(...(names as string[])) : null;
        return { label: int64Feature(...cell.values), text, classes: names.every((n) => n !== undefined) ? names as string[] : cell.values.map(String) };
      }
      return { label: floatFeature(...cell.values), text: null, classes: [] };
    },
  };
}

/**
 * Integer labels without names (TSV, Caffe lists): the ids seen, each named by itself, so the
 * summary and labels.txt report them. Null when no input has an integer label.
 */
function idsAsLabelMap(inputs: readonly InputItem[]): LabelMap | null {
  const ids = new Set<number>();
  for (const input of inputs) {
    if (input.label?.type !== 'int64') continue;
    for (const v of input.label.values) {
      const id = Number(v);
      // Ids beyond 2^53 cannot round-trip through labels.txt as numbers: report none rather than wrong ones.
      if (!Number.isSafeInteger(id)) return null;
      ids.add(id);
    }
  }
  if (ids.size === 0) return null;
  const sorted = [...ids].sort((a, b) => a - b);
  return { names: sorted.map(String), ids: sorted, offset: sorted[0] as number };
}

/**
 * Converts images into TFRecord shards in `options.output`: from a folder (each top-level folder a
 * class, or TFDS's split/class tree), a manifest, or a list of paths.
 *
 * Bad images and manifest rows are skipped and reported in the summary (or stop the run with
 * `strict`); output appears under its final names only when the whole run succeeds.
 *
 * @example
 * import { convert } from 'img2tfrecord';
 * const summary = await convert({ input: 'photos', output: 'out', shards: 4 });
 * console.log(summary.records, summary.skipped, summary.shards);
 */
export async function convert(options: ConvertOptions, hooks: ConvertHooks = {}): Promise<ConvertSummary> {
  const settings = resolveConvertOptions(options);
  const gathered = await gatherInputs(settings);
  const fixedLabels = settings.labels === null ? null : await readLabelFile(settings.labels);
  const labels = buildLabels(gathered.inputs, fixedLabels, settings);

  const errors: SkippedFile[] = gathered.problems.map((p) => ({ ...p }));
  const inputs: InputItem[] = [];
  for (const input of gathered.inputs) {
    const resolved = labels.features(input);
    if (typeof resolved === 'string') {
      errors.push({ path: input.relPath, problem: 'unknown-label', reason: `${input.origin === null ? '' : `${input.origin}: `}${input.relPath}: ${resolved}` });
    } else inputs.push(input);
  }
  if (settings.labelMap === 'pbtxt' && labels.map !== null) checkPbtxtIds(labels.map);
  if (settings.strict && errors.length > 0) throw new StrictModeError(new ImageError('invalid', (errors[0] as SkippedFile).reason));
  const caffe = settings.target === 'caffe-lmdb';
  if (caffe && settings.labelTo === 'label') {
    // Caffe's Datum has one int32 label: say so before any work, naming the first input that does not fit.
    for (const input of inputs) {
      const resolved = labels.features(input);
      if (typeof resolved !== 'string' && !fitsDatumLabel(resolved.label)) {
        throw new InvalidOptionError(`${input.relPath}: ${describeLabelProblem(resolved.label as Feature)}`);
      }
    }
  }

  const plans = planShards(inputs, {
    sharding: settings.sharding,
    splits: settings.splits,
    defaultSplit: settings.prefix,
    seed: settings.seed,
    shuffle: settings.shuffle,
  });
  if (settings.toStdout && plans.length > 1) {
    throw new UsageError('-o - writes one stream: it cannot hold several splits; write to a folder instead');
  }
  const worker = settings.worker;
  const summaryFile = worker === null ? summaryFileName(settings.prefix) : workerSummaryFile(worker.index, worker.count, settings.prefix);
  if (!settings.toStdout && !settings.resume && worker === null) {
    // Runs of other prefixes share the folder: a shared labels file clashes only if this run would change it.
    const sidecars = [summaryFile, ...await changedSidecars(settings.output, labels.map, settings.labelMap === 'pbtxt')];
    for (const plan of plans) {
      await checkOutputFree(settings.output, plan.name, caffe ? [...sidecars, `${plan.name}_lmdb`] : sidecars, settings.overwrite);
    }
  }
  // Global shard numbering across splits: worker I of N writes the shards whose number mod N is I.
  const planFingerprint = fingerprintPlan(settings, labels.map, plans);
  const ownership = planOwnership(plans, worker);
  const owns = (plan: SplitPlan<InputItem>, shard: number): boolean => ownership.owns(plan.name, shard);

  // A failed run removes the output folder too when it made it (and it is still empty), so a
  // retry with a corrected option does not trip over an empty leftover.
  const outputExisted = settings.toStdout || (await stat(settings.output).then(() => true, () => false));
  const sinks = new Map<string, RecordSink>();
  const inputBytes = inputs.reduce((n, i) => n + i.size, 0);
  for (const plan of plans) {
    if (caffe) {
      sinks.set(plan.name, new LmdbSink({
        dir: join(settings.output, `${plan.name}_lmdb`),
        overwrite: settings.overwrite,
        commitEvery: settings.commitEvery,
        commitBytes: settings.commitBytes,
        // Decoded pixels take several times the compressed bytes; the map grows if this is short.
        initialMapSize: Math.max(64 * 2 ** 20, Math.ceil(inputBytes * (settings.image.encode === 'raw' ? 12 : 2))),
      }));
      continue;
    }
    sinks.set(plan.name, settings.toStdout
      ? new StreamSink((hooks.stdout ?? process.stdout) as Writable, settings.compression)
      : new TfrecordShardSink({
        dir: settings.output,
        prefix: plan.name,
        compression: settings.compression,
        shardCount: plan.shardCount,
        overwrite: settings.overwrite || worker !== null,
        owns: (shard) => owns(plan, shard),
        fingerprints: fingerprintShards(planFingerprint, plan),
        resume: settings.resume,
      }));
  }
  // Complete shards a resumed run keeps: their inputs are not read again.
  const kept = new Map<string, ReadonlyMap<number, KeptShard>>();
  try {
    for (const plan of plans) {
      const sink = sinks.get(plan.name);
      kept.set(plan.name, sink instanceof TfrecordShardSink ? await sink.prepare() : new Map());
    }
  } catch (error) {
    if (!outputExisted) await rmdir(settings.output).catch(() => undefined);
    throw toOutputError(error, settings.output);
  }
  const wanted = (work: WorkItem): boolean => owns(work.plan, work.shard) && !(kept.get(work.plan.name)?.has(work.shard) ?? false);

  let total = 0;
  let bytesTotal = 0;
  for (const work of workItems(plans)) {
    if (!wanted(work)) continue;
    total++;
    bytesTotal += work.input.size;
  }
  let records = 0;
  let bytesRead = 0;
  let done = 0;
  let skippedCount = 0;
  const fragments = new Map<string, Map<number, ShardFragment>>(plans.map((p) => [p.name, new Map()]));
  for (const [name, keptShards] of kept) {
    for (const [index, shard] of keptShards) (fragments.get(name) as Map<number, ShardFragment>).set(index, shard.meta as ShardFragment);
  }
  const fragmentOf = (work: WorkItem): ShardFragment => {
    const byShard = fragments.get(work.plan.name) as Map<number, ShardFragment>;
    let fragment = byShard.get(work.shard);
    if (fragment === undefined) {
      fragment = emptyFragment();
      byShard.set(work.shard, fragment);
    }
    return fragment;
  };

  // The mean of encoded datums: compute_image_mean decodes each one natively (grey stays one
  // channel, colour becomes BGR), so grey and colour images get their own raw settings.
  const meanOfEncoded = settings.mean !== null && settings.image.encode !== 'raw';
  const meanDecode = meanOfEncoded
    ? ([1, 3] as const).map((channels) => resolveImageSettings({ encode: 'raw', layout: 'chw', channelOrder: 'bgr', dtype: 'uint8', channels, maxPixels: settings.image.maxPixels }))
    : null;
  const feedsMean = (plan: SplitPlan<InputItem>): boolean => !plans.some((p) => p.name === 'train') || plan.name === 'train';

  const skip = (input: InputItem, error: ImageError, read: number): FileResult => ({
    ok: false, skipped: { path: input.relPath, problem: error.problem, reason: error.message }, bytesRead: read, error,
  });

  // Files in flight plus those in unwritten shard batches: a few dozen buffers, reused.
  const pool = new ReadBufferPool(64 * 2 ** 20);
  const loadStage = hooks.loadImage ?? (caffe ? loadDatumImage : loadImage);
  const context = (path: string): ImageContext => ({ path, fileTimeout: settings.fileTimeout });
  // Where a file's processing is, for the message of an unexpected failure.
  type Stage = { name: string };
  const processFile = async (work: WorkItem): Promise<FileResult> => {
    hooks.signal?.throwIfAborted();
    const stage: Stage = { name: 'read' };
    const running = processOneFile(work, stage);
    try {
      return await raceTimeLimit(running, settings.fileTimeout, work.input.relPath, hooks.signal);
    } catch (error) {
      return containFailure(work.input, error, stage.name);
    }
  };
  const containFailure = (input: InputItem, error: unknown, stage: string): FileResult =>
    skip(input, containError(error, stage, input.relPath, hooks.signal), 0);
  const processOneFile = async (work: WorkItem, stage: Stage): Promise<FileResult> => {
    const { input } = work;
    let bytes: Buffer;
    await stallPoint('read', hooks.signal);
    try {
      // Null: no longer a regular file (replaced since discovery); reading a FIFO or device could block for ever.
      const read = pool.read(input.path);
      if (read === null) return skip(input, new ImageError('not-a-regular-file', 'not a regular file; not read', { path: input.relPath }), 0);
      bytes = read;
    } catch (cause) {
      return skip(input, new ImageError('unreadable', `cannot read file: ${(cause as Error).message}`, { path: input.relPath }, { cause }), 0);
    }
    try {
      stage.name = 'image';
      const image = await loadStage(bytes, settings.image, context(input.relPath));
      stage.name = 'record';
      // Stored bytes that are not the file's own (re-encoded, decoded): the file's buffer is free now,
      // else once its record is written.
      const ownBytes = image.bytes === bytes;
      if (!ownBytes) pool.release(bytes);
      const release = ownBytes ? (): void => pool.release(bytes) : (): void => undefined;
      const canonical: Record<string, Feature> = { ...buildImageFeatures(image, input.relPath, sha256Hex(image.bytes)) };
      const label = labels.features(input);
      if (typeof label !== 'string') {
        if (label.label !== null) canonical['image/class/label'] = label.label;
        if (label.text !== null) canonical['image/class/text'] = label.text;
      }
      const extra: Record<string, Feature> = {};
      for (const [key, cell] of input.extra) extra[key] = cellToFeature(cell);
      for (const [key, second] of input.images) {
        stage.name = `image ${key}`;
        const other = await loadImage(await readFile(second.path), settings.image, context(second.relPath));
        extra[key] = bytesFeature(other.bytes);
      }
      stage.name = 'record';
      if (caffe) {
        const payload = buildDatumPayload(image, typeof label === 'string' ? null : label.label, settings);
        stage.name = 'mean';
        const meanPixels = meanDecode !== null && image.kind === 'encoded' && feedsMean(work.plan)
          ? await loadImage(image.bytes, meanDecode[image.channels <= 2 ? 0 : 1] as typeof settings.image, context(input.relPath)) as RawImage
          : null;
        return { ok: true, payload, image, keys: [], bytesRead: bytes.length, meanPixels, release };
      }
      const features: Features = applySchema(settings.schema, canonical, extra);
      const keys = Object.entries(features).map(([k, f]) => [k, f.kind] as [string, Feature['kind']]);
      // Parts: the image bytes go from the file read to the shard without a copy.
      return { ok: true, payload: encodeExampleParts(features), image, keys, bytesRead: bytes.length, meanPixels: null, release };
    } catch (error) {
      if (error instanceof ImageError) {
        pool.release(bytes);
        return skip(input, error, bytes.length);
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return skip(input, new ImageError('unreadable', `cannot read file: ${(error as Error).message}`, { path: input.relPath }), bytes.length);
      }
      // The buffer may still be read by a native call that threw late: never lend it again.
      const failed = containFailure(input, error, stage.name);
      return { ...failed, bytesRead: bytes.length };
    }
  };

  const splitShards: Record<string, readonly ShardInfo[]> = {};
  const mean = settings.mean === null ? null : new MeanAccumulator();
  const window = settings.jobs * 3;
  // Several sharp ops run at once; each then gets a share of the cores rather than all of them.
  if (needsDecode(settings.image)) configureImageConcurrency(window);
  let open: WorkItem | null = null;
  const completeOpen = async (): Promise<void> => {
    if (open === null) return;
    await (sinks.get(open.plan.name) as RecordSink).completeShard(open.shard, fragmentOf(open));
    open = null;
  };
  const interrupted = (): InterruptedError => new InterruptedError(String(hooks.signal?.reason ?? 'abort'));
  const publication = new Publication();
  // A failed run leaves nothing: staged sidecars and unpublished shards go, and a folder it made.
  const failRun = async (error: unknown): Promise<never> => {
    await publication.discard();
    await Promise.all([...sinks.values()].map((sink) => sink.abort()));
    if (!outputExisted) await rmdir(settings.output).catch(() => undefined);
    if (hooks.signal?.aborted === true && !(error instanceof InterruptedError)) throw interrupted();
    throw toOutputError(error, settings.output);
  };
  try {
    const source = (function* () { for (const w of workItems(plans)) if (wanted(w)) yield w; })();
    const results = mapOrdered(source, window, async (work) => ({ work, result: await processFile(work) }));
    for await (const { work, result } of stopOnAbort(results, hooks.signal, interrupted)) {
      if (hooks.signal?.aborted === true) throw interrupted();
      if (open !== null && (open.plan !== work.plan || open.shard !== work.shard)) await completeOpen();
      open = work;
      const fragment = fragmentOf(work);
      bytesRead += result.bytesRead;
      const relPath = work.input.relPath;
      if (result.ok) {
        await (sinks.get(work.plan.name) as RecordSink).write({ payload: result.payload, shard: work.shard, relPath, onWritten: result.release });
        records++;
        fragment.records++;
        const { image } = result;
        if (image.kind === 'encoded' && image.transcoded !== null) fragment.transcoded[image.transcoded] = (fragment.transcoded[image.transcoded] ?? 0) + 1;
        for (const message of image.notes) fragment.warnings.push({ path: relPath, message });
        const pixels = image.kind === 'raw' ? image : result.meanPixels;
        if (mean !== null && pixels !== null && feedsMean(work.plan)) mean.add(pixels.bytes, pixels.channels, pixels.height, pixels.width, relPath);
        for (const [key, kind] of result.keys) fragment.keys[key] = kind;
        const label = labels.features(work.input);
        if (typeof label !== 'string') {
          const recordBytes = FRAME_OVERHEAD_BYTES + asParts(result.payload).reduce((n, part) => n + part.length, 0);
          for (const name of label.classes) addClass(fragment.classes, name, { records: 1, bytes: recordBytes });
        }
      } else {
        if (settings.strict) throw new StrictModeError(result.error);
        fragment.errors.push(result.skipped);
        skippedCount++;
      }
      done++;
      hooks.onProgress?.({ total, done, records, skipped: skippedCount, bytesRead, bytesTotal });
    }
    await completeOpen();
    if (hooks.signal?.aborted === true) throw interrupted();
    // TFRecord shards are sealed (written, synced, hidden); they become final with the sidecars, below.
    for (const plan of plans) {
      const sink = sinks.get(plan.name) as RecordSink;
      splitShards[plan.name] = sink instanceof TfrecordShardSink ? await sink.seal() : await sink.finish();
    }
    for (const sink of sinks.values()) {
      if (!(sink instanceof TfrecordShardSink)) continue;
      for (const move of await sink.plannedMoves()) publication.move(move.from, move.to);
    }
    if (settings.index) {
      for (const plan of plans) {
        const sink = sinks.get(plan.name);
        if (!(sink instanceof TfrecordShardSink)) continue;
        for (const shard of splitShards[plan.name] ?? []) {
          await publication.stage(join(settings.output, `${shard.file}.idx`), await buildIndex(await sink.locate(shard.file)));
        }
      }
    }
    if (mean !== null && settings.mean !== null) await publication.stage(settings.mean, encodeBlobProto(mean.result()));
  } catch (error) {
    await failRun(error);
  }

  // Up-front problems (manifest rows, unknown labels) and ignored files are reported once: by
  // worker 0 of a distributed run.
  const reportsGlobal = worker === null || worker.index === 0;
  const all = emptyFragment();
  const splits: Record<string, SplitSummary> = {};
  for (const plan of plans) {
    const shards = splitShards[plan.name] ?? [];
    let splitRecords = 0;
    const splitClasses: Record<string, ClassSummary> = {};
    for (const [, fragment] of [...(fragments.get(plan.name) ?? new Map<number, ShardFragment>())].sort(([a], [b]) => a - b)) {
      if (fragment === null) continue;
      mergeFragment(all, fragment);
      splitRecords += fragment.records;
      for (const [k, c] of Object.entries(fragment.classes)) addClass(splitClasses, k, c);
    }
    splits[plan.name] = { records: splitRecords, bytes: shards.reduce((n, x) => n + x.bytes, 0), shards, classes: sortKeys(splitClasses) };
  }
  const errorList = [...(reportsGlobal ? errors : []), ...all.errors].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ignored = reportsGlobal ? gathered.ignored : [];
  const ownedInputs = [...workItems(plans)].filter((w) => owns(w.plan, w.shard)).length;
  const summary: ConvertSummary = {
    tool: 'img2tfrecord',
    version: TOOL_VERSION,
    input: settings.manifest ?? (settings.inputList === null ? settings.input : '-'),
    output: settings.output,
    source: gathered.kind,
    found: ownedInputs + (reportsGlobal ? errors.length + ignored.length : 0),
    records: all.records,
    skipped: errorList.length,
    ignored: ignored.length,
    errors: errorList,
    ignoredFiles: ignored.map((f) => ({ path: f.relPath, reason: f.reason })),
    transcoded: { count: Object.values(all.transcoded).reduce((a, b) => a + b, 0), reasons: sortKeys(all.transcoded) },
    warnings: all.warnings,
    shards: plans.flatMap((plan) => splitShards[plan.name] ?? []),
    splits,
    classes: sortKeys(all.classes),
    labels: labels.map?.names ?? [],
    labelIds: labels.map?.ids ?? [],
    labelOffset: labels.map?.offset ?? settings.labelOffset,
    schema: {
      name: settings.schema.name,
      keys: Object.entries(all.keys).sort(([a], [b]) => compareCodeUnits(a, b)).map(([key, type]) => ({ key, type })),
    },
    seed: settings.seed,
    options: describeSettings(settings),
    ...(settings.resume ? { resumed: countKept(kept) } : {}),
    ...(worker === null ? {} : {
      plan: {
        fingerprint: planFingerprint,
        worker: worker.index,
        workers: worker.count,
        shards: plans.flatMap((plan) => Array.from({ length: plan.shardCount }, (_, k) => ({
          file: settings.target === 'caffe-lmdb' ? `${plan.name}_lmdb` : shardFileName(plan.name, k, plan.shardCount, settings.compression),
          worker: ownership.ownerOf(plan.name, k),
        }))),
      },
    }),
  };
  const map = labels.map;
  try {
    if (!settings.toStdout) {
      if (map !== null) await publication.stage(join(settings.output, LABELS_FILE), formatLabelsTxt(map));
      if (map !== null && settings.labelMap === 'pbtxt') await publication.stage(join(settings.output, LABEL_MAP_FILE), formatLabelMapPbtxt(map));
      // The summary is renamed last: a folder with it holds a complete run.
      await publication.stage(join(settings.output, summaryFile), `${JSON.stringify(summary, null, 2)}\n`);
    }
    await publication.publish();
  } catch (error) {
    await failRun(error);
  }
  for (const sink of sinks.values()) if (sink instanceof TfrecordShardSink) await sink.settle();
  // A stale labels.txt of an earlier run of this prefix goes; one another prefix's run wrote stays.
  if (!settings.toStdout && map === null && !(await hasOtherSummaries(settings.output, summaryFile))) {
    await rm(join(settings.output, LABELS_FILE), { force: true });
  }
  return summary;
}

/**
 * Anything unexpected while processing one input is that input's problem (`internal`), never the
 * run's: a libvips exception, a broken invariant about its pixels. Rethrows what must stop the run:
 * an interrupt, and our named errors about the run itself (options, labels, output).
 */
function containError(error: unknown, stage: string, path: string, signal: AbortSignal | undefined): ImageError {
  if (signal?.aborted === true || error instanceof InterruptedError || (error as Error | null)?.name === 'AbortError') throw error;
  if (error instanceof ImageError) return error;
  if (error instanceof Img2TfrecordError && !(error instanceof InternalError)) throw error;
  // A second image (manifest image column) that cannot be read is unreadable, not a bug.
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new ImageError('unreadable', `cannot read file (stage ${stage}): ${(error as Error).message}`, { path }, { cause: error });
  }
  // An InternalError's message already starts with the path: keep only its detail.
  const original = error instanceof InternalError ? `${error.name}: internal: ${error.detail}` : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ImageError('internal', `internal error in stage ${stage} (please report): ${original}`, { path }, { cause: error });
}

/** What one shard's inputs came to: kept beside a complete shard so a resumed run can count it. */
interface ShardFragment {
  records: number;
  errors: SkippedFile[];
  warnings: { path: string; message: string }[];
  transcoded: Record<string, number>;
  classes: Record<string, ClassSummary>;
  keys: Record<string, FeatureType>;
}

function emptyFragment(): ShardFragment {
  return { records: 0, errors: [], warnings: [], transcoded: {}, classes: {}, keys: {} };
}

function mergeFragment(into: ShardFragment, from: ShardFragment): void {
  into.records += from.records;
  into.errors.push(...from.errors);
  into.warnings.push(...from.warnings);
  for (const [k, n] of Object.entries(from.transcoded)) into.transcoded[k] = (into.transcoded[k] ?? 0) + n;
  for (const [k, c] of Object.entries(from.classes)) addClass(into.classes, k, c);
  Object.assign(into.keys, from.keys);
}

/**
 * The Object Detection API's label_map_util rejects negative ids and id 0 for anything but
 * `background`: say so before any work rather than write a label map it refuses.
 */
function checkPbtxtIds(map: LabelMap): void {
  map.ids.forEach((id, i) => {
    const name = map.names[i] as string;
    if (id < 0 || (id === 0 && name !== 'background')) {
      throw new InvalidOptionError(`label_map.pbtxt: the Object Detection API reserves id 0 for "background" and refuses negative ids, but class "${name}" would get id ${id}; pass --label-offset 1 (or a --labels file with ids from 1)`);
    }
  });
}

/** The complete shards a resumed run kept, and their records. */
function countKept(kept: ReadonlyMap<string, ReadonlyMap<number, KeptShard>>): { shards: number; records: number } {
  let shards = 0;
  let records = 0;
  for (const byShard of kept.values()) {
    for (const shard of byShard.values()) {
      shards++;
      records += shard.records;
    }
  }
  return { shards, records };
}

/** The shared label files in `dir` that this run would write with other contents. */
async function changedSidecars(dir: string, map: LabelMap | null, pbtxt: boolean): Promise<string[]> {
  const wanted: [string, string | null][] = [
    [LABELS_FILE, map === null ? null : formatLabelsTxt(map)],
    [LABEL_MAP_FILE, map === null || !pbtxt ? null : formatLabelMapPbtxt(map)],
  ];
  const changed: string[] = [];
  for (const [name, text] of wanted) {
    if (text === null) continue;
    const existing = await readFile(join(dir, name), 'utf8').catch(() => null);
    if (existing !== null && existing !== text) changed.push(name);
  }
  return changed;
}

/** Whether `dir` holds the summary of a run of another prefix. */
async function hasOtherSummaries(dir: string, own: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((name) => name !== own && /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\.)?dataset\.json$/.test(name));
}

/**
 * A hash of everything that decides the output bytes: options (not jobs, worker or overwrite),
 * labels and every split's inputs. Workers compare it to prove they ran the same plan.
 */
function fingerprintPlan(settings: ConvertSettings, labels: LabelMap | null, plans: readonly SplitPlan<InputItem>[]): string {
  const { worker: _w, strict: _s, mean: _m, fileTimeout: _t, ...decisive } = describeSettings(settings) as Record<string, unknown>;
  const hash = createHash('sha256').update(JSON.stringify({ decisive, labels: labels === null ? null : { names: labels.names, ids: labels.ids } }));
  for (const plan of plans) {
    hash.update(`\n${plan.name}:${plan.shardCount}`);
    for (const input of plan.inputs) hash.update(`\n${input.relPath}\t${input.size}`);
  }
  return hash.digest('hex');
}

/** Per-shard fingerprints: the plan's, plus the shard's own inputs and their sizes. */
function fingerprintShards(planFingerprint: string, plan: SplitPlan<InputItem>): string[] {
  const hashes = Array.from({ length: plan.shardCount }, (_, k) => createHash('sha256').update(`${planFingerprint}\n${plan.name}\n${k}`));
  plan.inputs.forEach((input, i) => hashes[plan.shardOf[i] as number]?.update(`\n${input.relPath}\t${input.size}`));
  return hashes.map((h) => h.digest('hex'));
}

/** One unit of work: an input, its split plan and its planned shard. */
interface WorkItem {
  readonly plan: SplitPlan<InputItem>;
  readonly input: InputItem;
  readonly shard: number;
}

function* workItems(plans: readonly SplitPlan<InputItem>[]): Generator<WorkItem> {
  for (const plan of plans) {
    for (const [i, input] of plan.inputs.entries()) yield { plan, input, shard: plan.shardOf[i] as number };
  }
}

/**
 * The resolved options, as recorded in dataset.json: no machine-dependent values such as jobs, and
 * not how the run went (resume, overwrite), so a resumed run's summary equals an uninterrupted one's.
 */
function describeSettings(settings: ConvertSettings): Record<string, unknown> {
  const {
    input: _input, output: _output, jobs: _jobs, toStdout: _toStdout, inputList: _list, resume: _resume, overwrite: _overwrite,
    columnTypes, schema, ...rest
  } = settings;
  return JSON.parse(JSON.stringify({
    ...rest,
    columnTypes: Object.fromEntries(columnTypes),
    schema: { name: schema.name, renames: Object.fromEntries(schema.renames), drops: [...schema.drops] },
  })) as Record<string, unknown>;
}


