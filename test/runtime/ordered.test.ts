import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { limitConcurrency, mapOrdered, retryAlone, stopOnAbort } from '../../src/runtime/ordered.js';

test('mapOrdered keeps source order whatever the completion order', async () => {
  const input = Array.from({ length: 50 }, (_, i) => i);
  const out: number[] = [];
  // Later items finish first: a naive Promise.race pipeline would reorder them.
  for await (const v of mapOrdered(input, 7, async (x) => { await sleep((50 - x) % 5); return x * 2; })) out.push(v);
  assert.deepEqual(out, input.map((x) => x * 2));
});

test('mapOrdered never has more than `window` calls in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  const source = async function* () { for (let i = 0; i < 40; i++) yield i; };
  for await (const _ of mapOrdered(source(), 3, async (x) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await sleep(x % 3);
    inFlight--;
    return x;
  })) { /* drain */ }
  assert.equal(peak, 3);
});

test('mapOrdered pulls the source lazily (memory bounded by the window)', async () => {
  let pulled = 0;
  const source = function* () { for (let i = 0; i < 1000; i++) { pulled++; yield i; } };
  const it = mapOrdered(source(), 4, async (x) => x);
  await it.next();
  assert.ok(pulled <= 6, `pulled ${pulled} items for one result`);
  await it.return(undefined);
});

test('mapOrdered rethrows a failure in order, after the results before it', async () => {
  const out: number[] = [];
  await assert.rejects(async () => {
    for await (const v of mapOrdered([0, 1, 2, 3, 4], 3, async (x) => {
      if (x === 3) throw new Error('boom at 3');
      await sleep(5);
      return x;
    })) out.push(v);
  }, /boom at 3/);
  assert.deepEqual(out, [0, 1, 2]);
});

test('mapOrdered rejects a window below 1', async () => {
  await assert.rejects(async () => { for await (const _ of mapOrdered([1], 0, async (x) => x)) { /* */ } }, RangeError);
});

test('stopOnAbort throws at once on abort, without waiting for a pending item that never settles', async () => {
  const controller = new AbortController();
  let release = (): void => {};
  const stuck = new Promise<number>((resolve) => { release = () => resolve(99); });
  const results = mapOrdered([0, 1, 2], 3, async (x) => (x === 1 ? stuck : x));
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const v of stopOnAbort(results, controller.signal, () => new Error('stopped'))) {
      seen.push(v);
      // Item 1 never settles on its own: only the abort can end this loop.
      controller.abort('SIGINT');
    }
  }, /stopped/);
  assert.deepEqual(seen, [0]);
  release();
});

test('stopOnAbort passes everything through when not aborted, and without a signal', async () => {
  const controller = new AbortController();
  const out: number[] = [];
  for await (const v of stopOnAbort(mapOrdered([1, 2, 3], 2, async (x) => x * 2), controller.signal, () => new Error('x'))) out.push(v);
  for await (const v of stopOnAbort(mapOrdered([4], 1, async (x) => x), undefined, () => new Error('x'))) out.push(v);
  assert.deepEqual(out, [2, 4, 6, 4]);
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(async () => { for await (const _ of stopOnAbort(mapOrdered([1], 1, async (x) => x), aborted.signal, () => new Error('early'))) { /* */ } }, /early/);
});

test('stopOnAbort does not keep the items it has passed on (memory stays bounded over a long run)', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const controller = new AbortController();
  async function* items(): AsyncGenerator<{ payload: Buffer }> {
    for (let i = 0; i < 300; i++) yield { payload: Buffer.alloc(1024) };
  }
  const refs: WeakRef<object>[] = [];
  let alive = -1;
  for await (const item of stopOnAbort(items(), controller.signal, () => new Error('x'))) {
    refs.push(new WeakRef(item));
    if (refs.length === 250) {
      // A new macrotask first: WeakRef targets are kept until the current one ends.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      alive = refs.slice(0, 200).filter((r) => r.deref() !== undefined).length;
    }
  }
  assert.equal(alive, 0, `${alive} of the first 200 items passed on are still reachable`);
});

test('limitConcurrency runs at most limit calls at once, starts waiters in call order, and frees slots on failure', async () => {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const work = limitConcurrency(async (n: number): Promise<number> => {
    started.push(n);
    running++;
    peak = Math.max(peak, running);
    await sleep(n % 3);
    running--;
    if (n === 4) throw new Error('four');
    return n * 10;
  }, 2);
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6, 7].map((n) => work(n)));
  assert.equal(peak, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : 'x')), [0, 10, 20, 30, 'x', 50, 60, 70]);
  // After a failure the slots are still there: two more calls run side by side.
  const again = await Promise.all([work(8), work(9)]);
  assert.deepEqual(again, [80, 90]);
  assert.equal(running, 0);
});

test('retryAlone runs a retryable failure again with nothing else running, holds new calls until it ends, and passes other outcomes through', async () => {
  let active = 0;
  const log: string[] = [];
  const tries = new Map<string, number>();
  const work = retryAlone(async (name: string, ms: number): Promise<string> => {
    active++;
    const attempt = (tries.get(name) ?? 0) + 1;
    tries.set(name, attempt);
    log.push(`${name}#${attempt} start with ${active} running`);
    await sleep(ms);
    active--;
    if (name.startsWith('bad')) throw new Error(`${name} failed on try ${attempt} (alone: ${attempt === 2 ? active === 0 : 'n/a'})`);
    if (name.startsWith('fatal')) throw new TypeError(name);
    return name;
  }, (error) => error instanceof Error && !(error instanceof TypeError));
  const bad = assert.rejects(work('bad', 5), /bad failed on try 2 \(alone: true\)/);
  const slow = work('slow', 40);
  const fatal = assert.rejects(work('fatal', 1), TypeError);
  await sleep(10);
  // Started while the retry of 'bad' waits for 'slow': held until the retry ends.
  const late = work('late', 1);
  await bad;
  assert.equal(await slow, 'slow');
  await fatal;
  assert.equal(await late, 'late');
  assert.equal(tries.get('fatal'), 1, 'a non-retryable error is not retried');
  assert.equal(tries.get('slow'), 1);
  const retry = log.findIndex((line) => line.startsWith('bad#2'));
  assert.equal(log[retry], 'bad#2 start with 1 running', 'the retry runs alone');
  assert.ok(log.findIndex((line) => line.startsWith('late#1')) > retry, 'a call made meanwhile starts after the retry');
});
