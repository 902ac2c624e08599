/** The TFDS folder of a `--tfds-name` run: its shard names, its checks before any work, and its metadata sidecars. */
import { InvalidOptionError } from '../errors.js';
import type { ShardNaming } from '../sinks/shard-names.js';
import type { ShardFragment } from '../summary/fragment.js';
import type { ConvertSummary } from '../summary/summary.js';
import { formatTfdsLabels, formatTfdsMetadata, formatTfdsShardName, tfdsLabelFiles, type TfdsFeaturesInput, type TfdsMetadataFile } from '../tfds/index.js';
import type { Job } from './job.js';

/** The version written in dataset_info.json (`tfds.builder_from_directory` reads it; TFDS's default for a new dataset). */
const TFDS_DATASET_VERSION = '1.0.0';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The shard naming of a TFDS folder: `NAME-SPLIT.tfrecord-00000-of-00004` (TFDS shards are never
 * compressed, so the compression argument is not used).
 *
 * @example
 * tfdsShardNaming('my_photos').fileName('train', 0, 4, 'none'); // 'my_photos-train.tfrecord-00000-of-00004'
 */
export function tfdsShardNaming(name: string): ShardNaming {
  return Object.freeze({
    fileName: (prefix: string, index: number, total: number) => formatTfdsShardName(name, prefix, index, total),
    pattern: (prefix: string) => new RegExp(`^${escapeRegExp(name)}-${escapeRegExp(prefix)}\\.tfrecord-\\d{5,}-of-\\d{5,}$`),
  });
}

/**
 * Checks, before any work, that a TFDS folder can hold the job: TFDS split names, class ids
 * 0..n-1 (ClassLabel's), and one integer label per input.
 *
 * @example
 * checkTfdsJob(job); // throws InvalidOptionError for a split named "my.split"
 */
export function checkTfdsJob(job: Job): void {
  const name = job.settings.tfdsName as string;
  for (const plan of job.plans) formatTfdsShardName(name, plan.name, 0, Math.max(1, plan.shardCount));
  const map = job.labelMap;
  if (map !== null) {
    if (map.ids.some((id, i) => id !== i)) {
      throw new InvalidOptionError(`tfdsName writes TFDS ClassLabel ids, which are 0..n-1; the label map has ids ${map.ids.slice(0, 5).join(', ')}${map.ids.length > 5 ? ', ...' : ''}`, ['tfdsName', 'labels']);
    }
    formatTfdsLabels(map.names);
  }
  const labelled = hasLabel(job);
  for (const { input, label } of job.inputs) {
    const feature = label.label;
    if (feature === null && labelled) throw new InvalidOptionError(`tfdsName writes a label in every record of a labelled dataset (TFDS reads label as required); ${input.relPath} has none`, ['tfdsName']);
    if (feature === null) continue;
    const values = feature.kind === 'int64' ? feature.values.map(Number) : [];
    if (values.length !== 1 || (values[0] as number) < 0) {
      throw new InvalidOptionError(`tfdsName writes one TFDS ClassLabel id (>= 0) per record; ${input.relPath} has label ${feature.kind} [${feature.values.join(', ')}]`, ['tfdsName']);
    }
  }
}

/** Whether the run's records carry a label (the label map, or integer labels from a manifest), unless dropped. */
function hasLabel(job: Job): boolean {
  return !job.settings.schema.drops.has('label') && (job.labelMap !== null || job.inputs.some((l) => l.label.label !== null));
}

/** The ClassLabel: the label map's names, else as many classes as the largest id needs. */
function labelOf(job: Job): NonNullable<TfdsFeaturesInput['label']> {
  if (job.labelMap !== null) return { names: job.labelMap.names };
  let max = 0;
  for (const { label } of job.inputs) for (const v of label.label?.values ?? []) max = Math.max(max, Number(v));
  return { numClasses: max + 1 };
}

/**
 * The Image feature from the kinds of image stored (`<format>/<channels>` counts): PNG or JPEG
 * when every record is, and the smallest TFDS channel count that holds every record (1 gray,
 * 3 colour, 4 when any has alpha; as TFDS's ImageFolder, which fixes 3): TFDS decodes each image
 * with that count, so a gray JPEG among colour ones reads as colour, nothing lost.
 */
function imageOf(kinds: ReadonlyMap<string, number>): TfdsFeaturesInput['image'] {
  const formats = new Set<string>();
  const channels = new Set<number>();
  for (const kind of kinds.keys()) {
    const [format, count] = kind.split('/');
    formats.add(format as string);
    channels.add(Number(count));
  }
  const alpha = channels.has(2) || channels.has(4);
  const colour = channels.has(3) || channels.has(4) || channels.size === 0;
  const only = formats.size === 1 ? [...formats][0] : null;
  return { channels: alpha ? 4 : colour ? 3 : 1, encodingFormat: only === 'png' || only === 'jpeg' ? only : null };
}

/** The image kinds of every shard, added up. */
function countImageKinds(fragments: ReadonlyMap<string, ReadonlyMap<number, ShardFragment>>): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const byShard of fragments.values()) {
    for (const fragment of byShard.values()) {
      for (const [kind, n] of Object.entries(fragment.images ?? {})) kinds.set(kind, (kinds.get(kind) ?? 0) + n);
    }
  }
  return kinds;
}

/** What features.json declares for the job. */
function featuresOf(job: Job, summary: ConvertSummary, fragments: ReadonlyMap<string, ReadonlyMap<number, ShardFragment>>): TfdsFeaturesInput {
  const filename = summary.schema.keys.some((k) => k.key === 'image/filename');
  return { image: imageOf(countImageKinds(fragments)), ...(hasLabel(job) ? { label: labelOf(job) } : {}), filename };
}

/**
 * The names of the TFDS files beside the shards (for the output check), before the run.
 *
 * @example
 * tfdsSidecarNames(job); // ['dataset_info.json', 'features.json', 'label.labels.txt']
 */
export function tfdsSidecarNames(job: Job): string[] {
  const label = hasLabel(job) && job.labelMap !== null ? { names: job.labelMap.names } : undefined;
  return ['dataset_info.json', 'features.json', ...tfdsLabelFiles({ image: { channels: 3 }, ...(label === undefined ? {} : { label }) }).keys()];
}

/**
 * The TFDS metadata files of a finished run: dataset_info.json (one split per plan split, shard
 * lengths and bytes from the summary, supervised keys image/label, version 1.0.0, module name
 * img2tfrecord), features.json and the class names.
 *
 * @example
 * listTfdsSidecars(job, summary, outcome.fragments).map((f) => f.name);
 * // ['dataset_info.json', 'features.json', 'label.labels.txt']
 */
export function listTfdsSidecars(job: Job, summary: ConvertSummary, fragments: ReadonlyMap<string, ReadonlyMap<number, ShardFragment>>): TfdsMetadataFile[] {
  const features = featuresOf(job, summary, fragments);
  const splits = job.plans.map((plan) => {
    const split = summary.splits[plan.name];
    return { name: plan.name, shardLengths: (split?.shards ?? []).map((s) => s.records), numBytes: split?.bytes ?? 0 };
  });
  return formatTfdsMetadata({
    name: job.settings.tfdsName as string,
    version: TFDS_DATASET_VERSION,
    description: `Images converted by ${summary.tool} ${summary.version} (${summary.source}).`,
    splits,
    ...(features.label === undefined ? {} : { supervisedKeys: { input: 'image', output: 'label' } }),
    moduleName: summary.tool,
    // No fileFormat: TFDS reads tfrecord when it is absent, and it is not a field of the proto the
    // format was taken from (see tfds/dataset-info.ts), nor of the dataset_info.json TFDS wrote.
  }, features);
}
