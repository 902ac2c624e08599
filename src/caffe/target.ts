/** The Caffe LMDB target: Datum records in one LMDB database per split, and the mean image. */
import { join } from 'node:path';
import { encodeBlobProto } from '../datum/index.js';
import type { Feature } from '../example/index.js';
import { loadImage, resolveImageSettings, type ImageContext, type ImageSettings, type RawImage } from '../image/index.js';
import { shardNamePattern } from '../sinks/shard-names.js';
import type { RecordSink, ShardInfo } from '../sinks/sink.js';
import type { StageMarker, Target, TargetInput, TargetPlan, TargetRecord, TargetSplit } from '../sinks/target.js';
import { buildDatumPayload, describeLabelProblem, fitsDatumLabel, loadDatumImage } from './datum-record.js';
import { DataError } from '../errors.js';
import { LmdbSink } from './lmdb-sink.js';
import { MeanAccumulator } from './mean.js';

/** The settings the Caffe target reads (a subset of the convert settings). */
export interface CaffeTargetSettings {
  readonly output: string;
  readonly overwrite: boolean;
  readonly commitEvery: number;
  readonly commitBytes: number;
  readonly datumDims: boolean;
  readonly labelTo: 'label' | 'float_data';
  /** Where to write the mean image (BlobProto), or null. */
  readonly mean: string | null;
  readonly image: ImageSettings;
}

/** The database folder of split `split`. */
function lmdbName(split: string): string {
  return `${split}_lmdb`;
}

/**
 * Creates the Caffe LMDB target of a run: one {@link LmdbSink} per split, Datum records, and the
 * mean image of the train split (of every split when there is none) with `mean`.
 *
 * @example
 * const target = createCaffeTarget(settings, plan); // settings from resolveConvertOptions
 */
export function createCaffeTarget(settings: CaffeTargetSettings, plan: TargetPlan): Target {
  const sinks = new Map<string, RecordSink>();
  const mean = settings.mean === null ? null : new MeanAccumulator();
  const meanDecode = meanDecodeSettings(settings);
  const feedsMean = (split: string): boolean => !plan.splits.some((p) => p.name === 'train') || split === 'train';
  return {
    preflight: (inputs) => {
      if (settings.labelTo !== 'label') return;
      // Caffe's Datum has one int32 label: say so before any work, naming the first input that does not fit.
      for (const input of inputs) {
        if (!fitsDatumLabel(input.label)) throw new DataError(`${input.relPath}: ${describeLabelProblem(input.label as Feature)}`, { path: input.relPath });
      }
    },
    outputNames: (split) => [lmdbName(split)],
    outputPattern: (split) => shardNamePattern(split),
    fileName: (split: TargetSplit) => lmdbName(split.name),
    open: async () => {
      // Made here, after the output checks: the binding loads now, before any work.
      for (const split of plan.splits) sinks.set(split.name, createLmdbSink(settings, split.name, plan.inputBytes));
      return new Map(plan.splits.map((split) => [split.name, new Map()]));
    },
    sink: (name) => sinks.get(name) as RecordSink,
    loadImage: loadDatumImage,
    // A Datum holds pixels (or encoded bytes), a label and a size: no feature keys.
    writesKey: () => false,
    encode: async (input: TargetInput, context: ImageContext, stage: StageMarker): Promise<TargetRecord> => {
      const payload = buildDatumPayload(input.image, input.label, settings);
      stage.name = 'mean';
      const { image } = input;
      const pixels = meanDecode !== null && image.kind === 'encoded' && feedsMean(input.split)
        ? await loadImage(image.bytes, meanDecode[image.channels <= 2 ? 0 : 1] as ImageSettings, context) as RawImage
        : null;
      return { payload, keys: [], observed: pixels };
    },
    observe: (input, record) => {
      const pixels = input.image.kind === 'raw' ? input.image : record.observed as RawImage | null;
      if (mean !== null && pixels !== null && feedsMean(input.split)) mean.add(pixels.bytes, pixels.channels, pixels.height, pixels.width, input.relPath);
    },
    finish: async (publication) => {
      const shards: Record<string, readonly ShardInfo[]> = {};
      for (const split of plan.splits) shards[split.name] = await (sinks.get(split.name) as RecordSink).finish();
      if (mean !== null && settings.mean !== null) await publication.stage(settings.mean, encodeBlobProto(mean.result()));
      return shards;
    },
    settle: async () => undefined,
    abort: async () => {
      await Promise.all([...sinks.values()].map((sink) => sink.abort()));
    },
  };
}

function createLmdbSink(settings: CaffeTargetSettings, split: string, inputBytes: number): LmdbSink {
  return new LmdbSink({
    dir: join(settings.output, lmdbName(split)),
    overwrite: settings.overwrite,
    commitEvery: settings.commitEvery,
    commitBytes: settings.commitBytes,
    // Decoded pixels take several times the compressed bytes; the map grows if this is short.
    initialMapSize: Math.max(64 * 2 ** 20, Math.ceil(inputBytes * (settings.image.encode === 'raw' ? 12 : 2))),
  });
}

/**
 * The mean of encoded datums: compute_image_mean decodes each one natively (grey stays one
 * channel, colour becomes BGR), so grey and colour images get their own raw settings.
 */
function meanDecodeSettings(settings: CaffeTargetSettings): readonly ImageSettings[] | null {
  if (settings.mean === null || settings.image.encode === 'raw') return null;
  return ([1, 3] as const).map((channels) => resolveImageSettings({
    encode: 'raw', layout: 'chw', channelOrder: 'bgr', dtype: 'uint8', channels, maxPixels: settings.image.maxPixels,
  }));
}
