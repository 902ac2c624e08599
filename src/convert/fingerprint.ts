/** The settings as recorded in dataset.json, and the fingerprints that prove workers and resumed runs share one plan. */
import { createHash, type Hash } from 'node:crypto';
import type { LabelMap } from '../dataset/labels.js';
import type { SplitPlan } from '../dataset/plan.js';
import type { InputItem } from '../inputs/sources.js';
import type { ConvertSettings } from './options/options.js';

/**
 * The resolved options, as recorded in dataset.json: no machine-dependent values such as jobs, and
 * not how the run went (resume, overwrite), so a resumed run's summary equals an uninterrupted one's.
 *
 * @example
 * describeSettings(resolveConvertOptions({ input: 'photos', output: 'out' })).prefix; // 'train'
 */
export function describeSettings(settings: ConvertSettings): Record<string, unknown> {
  const {
    input: _input, output: _output, jobs: _jobs, toStdout: _toStdout, inputList: _list, resume: _resume, overwrite: _overwrite,
    columnTypes, schema, ...rest
  } = settings;
  return JSON.parse(JSON.stringify({
    ...rest,
    columnTypes: Object.fromEntries(columnTypes),
    schema: { name: schema.name, renames: Object.fromEntries(schema.renames), drops: [...schema.drops] },
    // Recorded only when used (it is not enumerable): a TFDS run's summary and plan name it, so a
    // resume with another name does not keep its shards; other runs keep their bytes.
    ...(settings.tfdsName === null ? {} : { tfdsName: settings.tfdsName }),
  })) as Record<string, unknown>;
}

/**
 * A hash of everything that decides the output bytes: options (not jobs, worker or overwrite),
 * labels and every split's inputs. Workers compare it to prove they ran the same plan.
 *
 * @example
 * const fingerprint = fingerprintPlan(describeSettings(settings), labelMap, plans); // 64 hex digits
 */
export function fingerprintPlan(described: Readonly<Record<string, unknown>>, labels: LabelMap | null, plans: readonly SplitPlan<InputItem>[]): string {
  const { worker: _w, strict: _s, mean: _m, fileTimeout: _t, ...decisive } = described;
  const hash = createHash('sha256').update(JSON.stringify({ decisive, labels: labels === null ? null : { names: labels.names, ids: labels.ids } }));
  for (const plan of plans) {
    hash.update(`\n${plan.name}:${plan.shardCount}`);
    const lines = new HashLines(hash, HashLines.LIMIT);
    for (const input of plan.inputs) lines.add(`\n${input.relPath}\t${input.size}`);
    lines.flush();
  }
  return hash.digest('hex');
}

/**
 * Per-shard fingerprints: the plan's, plus the shard's own inputs and their sizes.
 *
 * @example
 * fingerprintShards(fingerprint, plan).length === plan.shardCount; // true
 */
export function fingerprintShards(planFingerprint: string, plan: SplitPlan<InputItem>): string[] {
  // Pending text per shard shrinks with the shard count, so all shards together hold ~64 K characters.
  const limit = Math.max(1024, Math.floor(HashLines.LIMIT / plan.shardCount));
  const lines = Array.from({ length: plan.shardCount }, (_, k) => new HashLines(createHash('sha256').update(`${planFingerprint}\n${plan.name}\n${k}`), limit));
  plan.inputs.forEach((input, i) => lines[plan.shardOf[i] as number]?.add(`\n${input.relPath}\t${input.size}`));
  return lines.map((l) => l.flush().digest('hex'));
}

/**
 * Feeds a hash many short strings as a few long ones: the digest is the same (a hash of the
 * concatenation), but one `update` per input cost ~8 ms per 5,000 inputs on the start path,
 * mostly crossing into native code. Pending text stays bounded, so memory does not grow with inputs.
 */
class HashLines {
  static readonly LIMIT = 65_536;
  private pending = '';
  constructor(private readonly hash: Hash, private readonly limit: number) {}

  add(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.limit) this.flush();
  }

  /** Hashes what is pending and returns the hash. */
  flush(): Hash {
    if (this.pending !== '') this.hash.update(this.pending);
    this.pending = '';
    return this.hash;
  }
}
