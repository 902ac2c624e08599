/** The target stage: the output format chosen once from `--target`, checked against the inputs and the output folder. */
import { checkOutputFree } from '../../sinks/output-check.js';
import type { Target, TargetPlan } from '../../sinks/target.js';
import { createTfrecordTarget } from '../../sinks/tfrecord-target.js';
import { fingerprintShards } from '../fingerprint.js';
import type { Job } from '../job.js';
import type { ConvertSettings } from '../options/options.js';
import type { ConvertHooks } from '../progress.js';
import { changedSidecars } from '../sidecars.js';
import { checkTfdsJob, tfdsSidecarNames, tfdsShardNaming } from './tfds-output.js';

/** Every target by its `--target` name. A new target is a module implementing `Target` and one line here. */
const TARGETS: Readonly<Record<ConvertSettings['target'], (settings: ConvertSettings, plan: TargetPlan) => Target | Promise<Target>>> = {
  tfrecord: (settings, plan) => createTfrecordTarget(settings, plan, settings.tfdsName === null ? undefined : tfdsShardNaming(settings.tfdsName)),
  // Loaded when chosen: a TFRecord run never loads the Caffe modules.
  'caffe-lmdb': async (settings, plan) => (await import('../../caffe/target.js')).createCaffeTarget(settings, plan),
};

/**
 * Creates the target of a prepared job, runs its preflight over the inputs (before any work) and
 * checks that the output folder holds nothing this run would replace (unless overwriting,
 * resuming, or one worker of several).
 *
 * @example
 * const target = await createTarget(job, hooks);
 */
export async function createTarget(job: Job, hooks: ConvertHooks): Promise<Target> {
  const { settings } = job;
  const byName = new Map(job.plans.map((plan) => [plan.name, plan]));
  const target = await TARGETS[settings.target](settings, {
    splits: job.plans,
    owns: (split, shard) => job.ownership.owns(split, shard),
    shardFingerprints: (split) => fingerprintShards(job.fingerprint, byName.get(split) as (typeof job.plans)[number]),
    inputBytes: job.inputBytes,
    stdout: hooks.stdout ?? process.stdout,
  });
  target.preflight(job.inputs.map(({ input, label }) => ({ relPath: input.relPath, label: label.label })));
  if (settings.tfdsName !== null) checkTfdsJob(job);
  if (!settings.toStdout && !settings.resume && settings.worker === null) {
    // Runs of other prefixes share the folder: a shared labels file clashes only if this run would change it.
    const sidecars = [job.summaryFile, ...await changedSidecars(settings.output, job.labelMap, settings.labelMap === 'pbtxt', job.detection?.prepared.labelMapText ?? null)];
    if (settings.tfdsName !== null) sidecars.push(...tfdsSidecarNames(job));
    for (const plan of job.plans) {
      await checkOutputFree(settings.output, plan.name, [...sidecars, ...target.outputNames(plan.name)], settings.overwrite, target.outputPattern(plan.name));
    }
  }
  return target;
}
