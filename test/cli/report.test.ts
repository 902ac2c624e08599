import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from '../../src/pipeline/index.js';
import { formatHumanSummary } from '../../src/cli/report.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample', import.meta.url));

test('the human summary warns when no input was found, and only then', async () => {
  const root = await mkdtemp(join(tmpdir(), 'img2tfrecord-report-'));
  await mkdir(join(root, 'empty'));
  const empty = await convert({ input: join(root, 'empty'), output: join(root, 'out-empty') });
  assert.equal(empty.found, 0);
  assert.match(formatHumanSummary(empty, 0.1), /warning: no input files were found/);
  const full = await convert({ input: SAMPLE, output: join(root, 'out-full') });
  assert.equal(full.found, 7);
  const text = formatHumanSummary(full, 0.1);
  assert.doesNotMatch(text, /warning: no input/);
  assert.match(text, /found 7 = 7 converted \+ 0 skipped \+ 0 ignored/);
});
