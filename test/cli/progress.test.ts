import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createProgressReporter, formatBarLine, formatDuration, progressEnabled } from '../../src/cli/progress.js';
import type { ConvertProgress } from '../../src/convert/convert.js';

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
function fakeTerminal(isTTY: boolean, columns = 160): { stream: NodeJS.WriteStream; text: () => string; writes: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _encoding, callback) { chunks.push(chunk.toString()); callback(); } });
  Object.assign(stream, { isTTY, columns });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join(''), writes: () => chunks };
}

/** A clock the test moves by hand (milliseconds). */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const progress = (done: number, total: number, extra: Partial<ConvertProgress> = {}): ConvertProgress =>
  ({ total, done, records: done, skipped: 0, bytesRead: done * 100_000, bytesTotal: total * 100_000, ...extra });

test('the bar shows files done/total, images/s, MB/s, ETA and skipped count', () => {
  const term = fakeTerminal(true);
  const clock = fakeClock();
  const reporter = createProgressReporter({ quiet: false, stream: term.stream, env: {}, now: clock.now });
  reporter.update(progress(1, 10));
  clock.advance(1000);
  reporter.update(progress(3, 10, { records: 2, skipped: 1 }));
  reporter.stop();
  const text = term.text();
  assert.match(text, /\b3\/10 files\b/);
  assert.match(text, /\b3 img\/s/, '3 files in the first second');
  assert.match(text, /0\.3 MB\/s/);
  assert.match(text, /ETA 2s/, '700 KB left at 300 KB/s');
  assert.match(text, /skipped 1\b/);
});

test('the bar is not redrawn per file: thousands of updates in a burst draw it once', () => {
  const term = fakeTerminal(true);
  const clock = fakeClock();
  const reporter = createProgressReporter({ quiet: false, stream: term.stream, env: {}, now: clock.now });
  for (let done = 1; done <= 5000; done++) reporter.update(progress(done, 5000));
  reporter.stop();
  const draws = term.writes().filter((chunk) => chunk.includes(' files')).length;
  assert.equal(draws, 1, `${draws} draws for 5000 updates within one clock tick`);
});

test('durations: seconds, then minutes with two-digit seconds, never 3m60s', () => {
  assert.equal(formatDuration(15.2), '15s');
  assert.equal(formatDuration(59.6), '1m00s');
  assert.equal(formatDuration(239.6), '4m00s');
  assert.equal(formatDuration(170), '2m50s');
  assert.equal(formatDuration(3599.7), '1h00m');
  assert.equal(formatDuration(7620), '2h07m');
  assert.equal(formatDuration(Number.NaN), '--');
});

test('the ETA is smoothed and follows the bytes left: one slow file does not make it jump', () => {
  const term = fakeTerminal(true);
  const clock = fakeClock();
  const reporter = createProgressReporter({ quiet: false, stream: term.stream, env: {}, now: clock.now });
  const mb = 1048576;
  // 10 files of 10 MB at 10 MB/s for 5 s, then one second with nothing finished.
  for (let s = 1; s <= 5; s++) {
    clock.advance(1000);
    reporter.update({ total: 100, done: s, records: s, skipped: 0, bytesRead: s * 10 * mb, bytesTotal: 1000 * mb });
  }
  clock.advance(1000);
  reporter.update({ total: 100, done: 5, records: 5, skipped: 0, bytesRead: 50 * mb, bytesTotal: 1000 * mb });
  reporter.stop();
  const etas = [...term.text().matchAll(/ETA (\S+)/g)].map((m) => m[1]);
  // 950 MB left: 95 s at 10 MB/s; a stall of one second lowers the smoothed rate to 8 MB/s, not 0.
  assert.deepEqual(etas.slice(-2), ['1m35s', '1m59s']);
});

test('the bar fits the terminal: at 60 columns every shown part is whole and the line is shorter than the width', () => {
  for (const columns of [60, 40, 120]) {
    const term = fakeTerminal(true, columns);
    const reporter = createProgressReporter({ quiet: false, stream: term.stream, env: {}, now: fakeClock().now });
    reporter.update(progress(1234, 56789, { skipped: 12 }));
    reporter.stop();
    const line = (term.writes()[0] ?? '').replace(/^\r/, '').replace(/\x1b\[K$/, '');
    assert.ok(line.length < columns, `${line.length} < ${columns}: ${line}`);
    assert.match(line, /1234\/56789 files/);
    for (const part of line.split(' | ').slice(1)) assert.match(part, /^(ETA \S+|\S+ img\/s|\S+ MB\/s|skipped \d+)$/, `whole part "${part}" at ${columns}`);
  }
  assert.match(formatBarLine(progress(5, 10), ['5/10 files', 'ETA 1s'], 120), /^█{20}░{20} 5\/10 files \| ETA 1s$/);
});

test('without a terminal (CI, pipes): one line per interval, none for a short run, nothing with --quiet', () => {
  for (const [label, term, env] of [['pipe', fakeTerminal(false), {}], ['CI', fakeTerminal(true), { CI: '1' }]] as const) {
    const clock = fakeClock();
    const reporter = createProgressReporter({ quiet: false, stream: term.stream, env, now: clock.now, intervalSeconds: 30 });
    reporter.update(progress(1, 100));
    clock.advance(29_000);
    reporter.update(progress(2, 100));
    assert.equal(term.text(), '', `${label}: nothing before 30 s`);
    clock.advance(1_000);
    reporter.update(progress(3, 100));
    for (let i = 4; i < 50; i++) reporter.update(progress(i, 100));
    clock.advance(30_000);
    reporter.update(progress(50, 100));
    reporter.stop();
    const lines = term.text().split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, label);
    assert.match(lines[0] ?? '', /^img2tfrecord: 3\/100 files, ETA \S+, \S+ img\/s, \S+ MB\/s, skipped 0$/);
    assert.match(lines[1] ?? '', /^img2tfrecord: 50\/100 files/);
  }
  const quiet = fakeTerminal(false);
  const clock = fakeClock();
  const reporter = createProgressReporter({ quiet: true, stream: quiet.stream, env: {}, now: clock.now });
  reporter.update(progress(1, 2));
  clock.advance(60_000);
  reporter.update(progress(2, 2));
  reporter.stop();
  assert.equal(quiet.text(), '', '--quiet');
});
