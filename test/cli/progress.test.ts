import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgressReporter, progressEnabled } from '../../src/cli/progress.js';

test('the progress bar is drawn only on a TTY, without CI and without --quiet', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as unknown as NodeJS.WriteStream;
  assert.equal(progressEnabled(false, tty, {}), true);
  assert.equal(progressEnabled(true, tty, {}), false, '--quiet');
  assert.equal(progressEnabled(false, pipe, {}), false, 'stderr not a terminal');
  assert.equal(progressEnabled(false, tty, { CI: 'true' }), false, 'CI set');
  assert.equal(progressEnabled(false, tty, { CI: '' }), true, 'CI empty counts as unset');
});

/** A stand-in terminal: a Writable that says it is a TTY and keeps what was written. */
function fakeTerminal(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string; writes: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _encoding, callback) { chunks.push(chunk.toString()); callback(); } });
  Object.assign(stream, { isTTY, columns: 160 });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join(''), writes: () => chunks };
}

test('the bar shows files done/total, images/s, MB/s, ETA and skipped count', () => {
  const term = fakeTerminal(true);
  const reporter = createProgressReporter({ quiet: false, stream: term.stream, env: {} });
  reporter.update({ total: 10, done: 1, records: 1, skipped: 0, bytesRead: 100_000 });
  reporter.update({ total: 10, done: 3, records: 2, skipped: 1, bytesRead: 300_000 });
  reporter.stop();
  const text = term.text();
  assert.match(text, /\b3\/10 files\b/);
  assert.match(text, /\d+ img\/s/);
  assert.match(text, /[\d.]+ MB\/s/);
  assert.match(text, /ETA \S+/);
  assert.match(text, /skipped 1\b/);
});

test('the bar is not redrawn per file: thousands of updates in a burst draw it a few times at most', () => {
  const term = fakeTerminal(true);
  const reporter = createProgressReporter({ quiet: false, stream: term.stream, env: {} });
  for (let done = 1; done <= 5000; done++) reporter.update({ total: 5000, done, records: done, skipped: 0, bytesRead: done * 100_000 });
  reporter.stop();
  // Drawn on start and on stop; in between only cli-progress's 10-per-second timer may draw.
  const draws = term.writes().filter((chunk) => chunk.includes(' files |')).length;
  assert.ok(draws >= 2 && draws <= 5, `${draws} draws for 5000 updates`);
});

test('nothing is written without a terminal, with --quiet, or with CI set', () => {
  for (const [label, term, quiet, env] of [
    ['pipe', fakeTerminal(false), false, {}],
    ['--quiet', fakeTerminal(true), true, {}],
    ['CI', fakeTerminal(true), false, { CI: '1' }],
  ] as const) {
    const reporter = createProgressReporter({ quiet, stream: term.stream, env });
    reporter.update({ total: 2, done: 1, records: 1, skipped: 0, bytesRead: 10 });
    reporter.stop();
    assert.equal(term.text(), '', label);
  }
});
