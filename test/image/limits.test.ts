import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ImageError } from '../../src/errors.js';
import { raceTimeLimit } from '../../src/image/limits.js';

const LIMITS = fileURLToPath(new URL('../../src/image/limits.ts', import.meta.url));
const tooSlow = (path: string) => (e: unknown): boolean => e instanceof ImageError && e.problem === 'too-slow' && e.context.path === path;

test('raceTimeLimit: one shared timer times out each stalled file, whatever else is in flight', async () => {
  const never = new Promise<number>(() => undefined);
  let finish: (n: number) => void = () => undefined;
  const late = new Promise<number>((resolve) => { finish = resolve; });
  const a = raceTimeLimit(never, 0.05, 'a.jpg');
  const b = raceTimeLimit(late, 30, 'b.jpg');
  const c = raceTimeLimit(never, 0.1, 'c.jpg');
  const quick = await Promise.all(Array.from({ length: 100 }, (_, i) => raceTimeLimit(Promise.resolve(i), 0.05, `q${i}`)));
  assert.deepEqual(quick, Array.from({ length: 100 }, (_, i) => i));
  await assert.rejects(a, tooSlow('a.jpg'));
  await assert.rejects(c, tooSlow('c.jpg'));
  finish(9);
  assert.equal(await b, 9, 'a later deadline is still watched after earlier ones fired');
  await assert.rejects(raceTimeLimit(never, 0.05, 'd.jpg'), tooSlow('d.jpg'), 'the timer re-arms after the set ran empty');
});

test('raceTimeLimit: a stalled file keeps the process alive until it times out; an aborted run does not wait', () => {
  const script = (abort: boolean): string => `
    const { raceTimeLimit } = await import(${JSON.stringify(LIMITS)});
    const controller = new AbortController();
    raceTimeLimit(new Promise(() => {}), 0.3, 's.jpg', controller.signal).catch((e) => console.log(e.problem));
    await raceTimeLimit(Promise.resolve(1), 0.3, 'fast.jpg', controller.signal);
    ${abort ? 'controller.abort();' : ''}`;
  const run = (abort: boolean): string => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(abort)], { encoding: 'utf8' }).stdout.trim();
  assert.equal(run(false), 'too-slow', 'the process waited for the limit');
  assert.equal(run(true), '', 'the process exited without waiting for the limit');
});
