/** The sidecar stage: labels.txt, label_map.pbtxt, TFDS metadata and the summary, published with the shards in one step. */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatLabelMapPbtxt, formatLabelsTxt, type LabelMap } from '../dataset/labels.js';
import type { Target } from '../sinks/target.js';
import { LABEL_MAP_FILE, LABELS_FILE, type ConvertSummary } from '../summary/summary.js';
import type { Job } from './job.js';
import type { RunOutcome } from './run.js';
import { listTfdsSidecars } from './targets/tfds-output.js';

/** A file written beside the shards. */
export interface Sidecar {
  /** File name in the output folder. */
  readonly name: string;
  readonly text: string;
}

/**
 * The sidecar files of a run, in the order they are staged; the summary comes last, since a folder
 * holding it holds a complete run. A feature adding files beside the shards (TFDS's
 * dataset_info.json and features.json) adds them here, before the summary.
 *
 * @example
 * listSidecars(job, summary).map((s) => s.name); // ['labels.txt', 'dataset.json']
 */
export function listSidecars(job: Job, summary: ConvertSummary, fragments: RunOutcome['fragments'] = new Map()): Sidecar[] {
  const map = job.labelMap;
  const sidecars: Sidecar[] = [];
  if (map !== null) sidecars.push({ name: LABELS_FILE, text: formatLabelsTxt(map) });
  if (map !== null && job.settings.labelMap === 'pbtxt') sidecars.push({ name: LABEL_MAP_FILE, text: formatLabelMapPbtxt(map) });
  if (job.detection !== null) sidecars.push({ name: LABEL_MAP_FILE, text: job.detection.prepared.labelMapText });
  // A TFDS run (--tfds-name): dataset_info.json, features.json and the class names TFDS reads.
  if (job.settings.tfdsName !== null) sidecars.push(...listTfdsSidecars(job, summary, fragments));
  sidecars.push({ name: job.summaryFile, text: `${JSON.stringify(summary, null, 2)}\n` });
  return sidecars;
}

/**
 * Stages the sidecars and publishes them with the sealed shards (undoing the run if that fails),
 * then lets the target settle and removes a stale labels.txt of an earlier run of this prefix.
 *
 * @example
 * await writeSidecars(job, target, outcome, summary);
 */
export async function writeSidecars(job: Job, target: Target, outcome: RunOutcome, summary: ConvertSummary): Promise<void> {
  const { settings } = job;
  try {
    if (!settings.toStdout) {
      for (const sidecar of listSidecars(job, summary, outcome.fragments)) await outcome.publication.stage(join(settings.output, sidecar.name), sidecar.text);
    }
    await outcome.publication.publish();
  } catch (error) {
    await outcome.fail(error);
  }
  await target.settle();
  // A stale labels.txt of an earlier run of this prefix goes; one another prefix's run wrote stays.
  if (!settings.toStdout && job.labelMap === null && !(await hasOtherSummaries(settings.output, job.summaryFile))) {
    await rm(join(settings.output, LABELS_FILE), { force: true });
  }
}

/**
 * The shared label files in `dir` that this run would write with other contents.
 *
 * @example
 * await changedSidecars('out', labelMap, false); // ['labels.txt'] when out/labels.txt differs
 */
export async function changedSidecars(dir: string, map: LabelMap | null, pbtxt: boolean, detectionLabelMap: string | null = null): Promise<string[]> {
  const wanted: [string, string | null][] = [
    [LABELS_FILE, map === null ? null : formatLabelsTxt(map)],
    // An object-detection run writes its own label_map.pbtxt (ids from 1), whatever --label-map says.
    [LABEL_MAP_FILE, detectionLabelMap ?? (map === null || !pbtxt ? null : formatLabelMapPbtxt(map))],
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
