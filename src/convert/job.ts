/** The prepared job of a conversion: what every later stage reads, decided once before any image is read. */
import type { ResolvedLabel, LabelMap } from '../dataset/labels.js';
import type { SplitPlan } from '../dataset/plan.js';
import type { Gathered, InputItem } from '../inputs/sources.js';
import type { ShardOwnership } from '../scale/slices.js';
import type { SkippedFile } from '../summary/summary.js';
import type { ApplyAnnotationSettings, ImageAnnotation, PreparedAnnotations } from '../annotations/index.js';
import type { ConvertSettings } from './options/options.js';

/** An input with its label resolved (once, in {@link prepareJob}). */
export interface LabelledInput {
  readonly input: InputItem;
  readonly label: ResolvedLabel;
}

/** One unit of work: an input, its resolved label, its split plan and its planned shard. */
export interface WorkItem {
  readonly plan: SplitPlan<InputItem>;
  readonly input: InputItem;
  readonly label: ResolvedLabel;
  readonly shard: number;
  /** Only in an object-detection run: the input's annotation, or null (a record without boxes). */
  readonly annotation?: ImageAnnotation | null;
}

/** An object-detection run's annotations, read once before any image. */
export interface DetectionJob {
  readonly prepared: PreparedAnnotations;
  /** What every input's annotation is applied with. */
  readonly apply: ApplyAnnotationSettings;
  /** Inputs left out by `--annotated-only` (listed with the ignored files). */
  readonly leftOut: number;
  /** The annotations module's `applyAnnotation`, loaded only by a run with annotations. */
  readonly applyAnnotation: typeof import('../annotations/index.js').applyAnnotation;
}

/** Everything decided before any image is read. */
export interface Job {
  readonly settings: ConvertSettings;
  /** Where the inputs came from (summary `source`) and the files left out on purpose. */
  readonly gathered: Pick<Gathered, 'kind' | 'ignored'>;
  /** The usable inputs in gathered order, each with its label (the work items of {@link owned}, and those of shards other workers own). */
  readonly inputs: readonly LabelledInput[];
  /** Up-front problems: manifest rows, unknown labels. */
  readonly problems: readonly SkippedFile[];
  /** The class labels (folders, manifest column); null in an object-detection run, whose label map is the detection one. */
  readonly labelMap: LabelMap | null;
  /** Only with `--annotations`: the prepared annotations. */
  readonly detection: DetectionJob | null;
  readonly plans: readonly SplitPlan<InputItem>[];
  readonly ownership: ShardOwnership;
  /** The work this process owns, in output order (before resume removes kept shards). */
  readonly owned: readonly WorkItem[];
  /** Hash of everything that decides the output bytes (workers compare it). */
  readonly fingerprint: string;
  /** The settings as recorded in dataset.json. */
  readonly described: Readonly<Record<string, unknown>>;
  /** This run's summary file name (dataset.json, <prefix>.dataset.json or a worker's). */
  readonly summaryFile: string;
  /** Bytes on disk of every planned input. */
  readonly inputBytes: number;
}
