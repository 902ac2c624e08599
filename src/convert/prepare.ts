/** The prepare stage: inputs gathered and labelled once, the shard plan, worker ownership and the plan's fingerprint. */
import { ImageError, InvalidOptionError, StrictModeError, UsageError } from '../errors.js';
import { createLabelResolver, readLabelFile, type LabelMap, type LabelResolver } from '../dataset/labels.js';
import { planShards, type SplitPlan } from '../dataset/plan.js';
import { gatherInputs, type Gathered, type InputItem } from '../inputs/sources.js';
import { planOwnership } from '../scale/slices.js';
import { summaryFileName, workerSummaryFile, type SkippedFile } from '../summary/summary.js';
import { describeSettings, fingerprintPlan } from './fingerprint.js';
import { describeDetection, prepareDetection, type PreparedDetection } from './detection.js';
import type { Job, LabelledInput, WorkItem } from './job.js';
import type { ConvertSettings } from './options/options.js';

/**
 * Prepares a conversion before any image is read: gathers the inputs, resolves each one's label
 * once (an unknown label is an up-front problem), plans splits and shards, and decides which
 * shards this process owns. Throws for `strict` with up-front problems and for plans the output
 * cannot hold.
 *
 * @example
 * const job = await prepareJob(resolveConvertOptions({ input: 'photos', output: 'out' }));
 */
export async function prepareJob(settings: ConvertSettings): Promise<Job> {
  const gathered = await gatherInputs(settings);
  const detecting = settings.annotations !== null;
  // In an object-detection run --labels fixes the detection ids, not the class-folder labels.
  const fixedLabels = settings.labels === null || detecting ? null : await readLabelFile(settings.labels);
  const labels = createLabelResolver(gathered.inputs, fixedLabels, settings);
  const labelled = labelInputs(gathered, labels);
  const { problems } = labelled;
  if (settings.labelMap === 'pbtxt' && labels.map !== null && !detecting) checkPbtxtIds(labels.map);
  if (settings.strict && problems.length > 0) throw new StrictModeError(new ImageError('invalid', (problems[0] as SkippedFile).reason));
  const od: PreparedDetection | null = detecting ? await prepareDetection(settings, labelled.inputs) : null;
  const inputs = od?.inputs ?? labelled.inputs;
  const ignored = od === null ? gathered.ignored : [...gathered.ignored, ...od.leftOut];
  const plans = planShards(inputs.map((i) => i.input), {
    sharding: settings.sharding,
    splits: settings.splits,
    defaultSplit: settings.prefix,
    seed: settings.seed,
    shuffle: settings.shuffle,
  });
  if (settings.toStdout && plans.length > 1) {
    throw new UsageError('-o - writes one stream: it cannot hold several splits; write to a folder instead');
  }
  const { worker } = settings;
  const detection = describeDetection(settings);
  const described = detection === null ? describeSettings(settings) : { ...describeSettings(settings), ...detection };
  // An OD run's label map is the detection one (label_map.pbtxt); class-folder labels are not written.
  const labelMap = od === null ? labels.map : null;
  // Global shard numbering across splits: worker I of N writes the shards whose number mod N is I.
  const ownership = planOwnership(plans, worker);
  const work = planWork(plans, inputs, od);
  return {
    settings,
    gathered: { kind: gathered.kind, ignored },
    inputs: work.inputs,
    problems,
    labelMap,
    detection: od?.detection ?? null,
    plans,
    ownership,
    // Without a worker slice every shard is this process's: the one list serves both.
    owned: worker === null ? work.planned : work.planned.filter((item) => ownership.owns(item.plan.name, item.shard)),
    fingerprint: fingerprintPlan(described, od === null ? labels.map : od.detection.prepared.labelMap, plans),
    described,
    summaryFile: worker === null ? summaryFileName(settings.prefix) : workerSummaryFile(worker.index, worker.count, settings.prefix),
    inputBytes: inputs.reduce((n, i) => n + i.input.size, 0),
  };
}

/** Resolves every input's label once: inputs with a known label, and the problems of the rest. */
function labelInputs(gathered: Gathered, labels: LabelResolver): { inputs: LabelledInput[]; problems: SkippedFile[] } {
  const problems: SkippedFile[] = gathered.problems.map((p) => ({ ...p }));
  const inputs: LabelledInput[] = [];
  for (const input of gathered.inputs) {
    const label = labels.resolve(input);
    if (typeof label === 'string') {
      problems.push({ path: input.relPath, problem: 'unknown-label', reason: `${input.origin === null ? '' : `${input.origin}: `}${input.relPath}: ${label}` });
    } else inputs.push({ input, label });
  }
  return { inputs, problems };
}

/**
 * One work item per input, held for the whole run: in output order (plan by plan), and the same
 * objects in gathered order, which also serve as the job's labelled inputs (a `WorkItem` is one),
 * so a run keeps a single small object per input rather than an input, a label pair and a work item.
 */
function planWork(plans: readonly SplitPlan<InputItem>[], inputs: readonly LabelledInput[], od: PreparedDetection | null): { planned: WorkItem[]; inputs: WorkItem[] } {
  const labelOf = new Map(inputs.map((i) => [i.input, i.label]));
  const workOf = new Map<InputItem, WorkItem>();
  const planned: WorkItem[] = [];
  for (const plan of plans) {
    for (const [i, input] of plan.inputs.entries()) {
      const item: WorkItem = { plan, input, shard: plan.shardOf[i] as number, label: labelOf.get(input) as LabelledInput['label'] };
      const work = od === null ? item : { ...item, annotation: od.annotationOf.get(input) ?? null };
      planned.push(work);
      workOf.set(input, work);
    }
  }
  return { planned, inputs: inputs.map((i) => workOf.get(i.input) as WorkItem) };
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
