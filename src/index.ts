/**
 * img2tfrecord's library API: convert, the read functions, merge-summary, the errors and the public
 * types. The codec layers are also subpath exports: `img2tfrecord/record`, `img2tfrecord/example`,
 * `img2tfrecord/datum`, `img2tfrecord/image`.
 *
 * @example
 * import { convert, readExamples } from 'img2tfrecord';
 * const summary = await convert({ input: 'photos', output: 'out' });
 * for await (const { offset, example } of readExamples('out/train-00000-of-00001.tfrecord')) console.log(offset, example.features);
 */
export * from './errors.js';
export * from './record/index.js';
export * from './example/index.js';
export * from './datum/index.js';
export { sniffFormat, describeEncoded, resolveImageSettings, DEFAULT_IMAGE_SETTINGS, DEFAULT_MAX_PIXELS, JPEG_CHROMA_SUBSAMPLING, loadImage, checkTfDecodable } from './image/index.js';
export type {
  SourceFormat, StoredFormat, EncodedInfo, ImageOptions, ImageSettings, EncodeMode, ResizeFit, ResizeKernel, RawDtype, RawLayout,
  ChannelOrder, Size, Rgb, EncodedImage, RawImage, ImageContext, TfVerdict, TfVerdictProblem, TfDecodableOptions,
} from './image/index.js';

// convert
export { convert } from './convert/convert.js';
export type { ConvertProgress, ConvertHooks } from './convert/convert.js';
export { resolveConvertOptions, parseByteSize, DEFAULT_SHARD_BYTES } from './convert/options.js';
export type { ConvertOptions, ConvertSettings, Sharding } from './convert/options.js';
export type { SplitFraction } from './dataset/plan.js';
export { SCHEMA_NAMES, CANONICAL_KEYS } from './dataset/schema.js';
export type { Schema, SchemaName, FeatureType } from './dataset/schema.js';
export { MANIFEST_FORMATS } from './inputs/manifest.js';
export type { ManifestFormat, ColumnType } from './inputs/manifest.js';
export { IMAGE_EXTENSIONS } from './inputs/discover.js';
export type { ShardInfo } from './sinks/sink.js';
export { TOOL_VERSION } from './runtime/version.js';

// the run summary and merge-summary
export { SUMMARY_FILE, LABELS_FILE, LABEL_MAP_FILE, DEFAULT_PREFIX, summaryFileName, workerSummaryFile } from './summary/summary.js';
export type { ConvertSummary, SkippedFile, SplitSummary, ClassSummary } from './summary/summary.js';
export { mergeSummaries, listWorkerPrefixes } from './summary/merge-summary.js';
export type { MergeReport } from './summary/merge-summary.js';
export { parseWorker } from './scale/slices.js';
export type { WorkerSlice } from './scale/slices.js';

// the read side
export { readExamples } from './read/examples.js';
export type { ExampleEntry } from './read/examples.js';
export { expandRecordFiles, isLmdbDir } from './sinks/record-files.js';
export { inspectFiles } from './read/inspect.js';
export type { KeyStats, FileReport, InspectReport } from './read/inspect.js';
export { verifyFiles } from './read/verify.js';
export type { VerifyProblem, VerifyReport, VerifyFileReport, VerifyOptions } from './read/verify.js';
export { dumpRecords, featuresToJson } from './read/dump.js';
export type { BytesDisplay, DumpOptions, DumpedRecord } from './read/dump.js';
export { extractImages } from './read/extract.js';
export type { ExtractOptions, ExtractProblemKind, ExtractReport, ExtractSkip, RawOutput } from './read/extract.js';
export { buildIndex, writeIndex } from './sinks/index-file.js';
export { readDatums, datumToFeatures } from './caffe/lmdb-read.js';
export type { DatumEntry } from './caffe/lmdb-read.js';

// what to paste into Python (`inspect --spec`) and a picture of the records (`preview`)
export { gatherSpecStats } from './read/spec.js';
export type { Spec, SpecFeature, SpecImage, SpecRaw, SpecOptions, SpecStats, SpecKeyStats, ExampleSource } from './read/spec.js';
export { buildSpec, renderSpecJson } from './read/spec-build.js';
export { renderSpecPython } from './read/spec-python.js';
export { loadPreviewRecords, choosePreviewRecords, renderPreview } from './read/preview.js';
export type { PreviewCandidate, PreviewChoice, PreviewOptions, PreviewImage } from './read/preview.js';
