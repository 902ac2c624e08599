import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressEnabled } from '../../src/cli/progress.js';

test('the progress bar is drawn only on a TTY, without CI and without --quiet', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as unknown as NodeJS.WriteStream;
  assert.equal(progressEnabled(false, tty, {}), true);
  assert.equal(progressEnabled(true, tty, {}), false, '--quiet');
  assert.equal(progressEnabled(false, pipe, {}), false, 'stderr not a terminal');
  assert.equal(progressEnabled(false, tty, { CI: 'true' }), false, 'CI set');
  assert.equal(progressEnabled(false, tty, { CI: '' }), true, 'CI empty counts as unset');
});
