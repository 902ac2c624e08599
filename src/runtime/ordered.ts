/** Bounded, order-keeping concurrency between async-iterable stages. */

/**
 * Maps `source` through `fn` with at most `window` calls in flight, yielding results in source order.
 *
 * Memory is bounded by the window, not by the length of the source: the source is pulled only as
 * results are taken. A rejection of `fn` is re-thrown in order, after the results before it.
 *
 * @example
 * for await (const size of mapOrdered(paths, 8, async (p) => (await stat(p)).size)) total += size;
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  window: number,
  fn: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R> {
  if (!Number.isInteger(window) || window < 1) {
    throw new RangeError(`mapOrdered window must be a positive integer, got ${window}`);
  }
  const iterator = (Symbol.asyncIterator in source
    ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  // Settled wrappers so a rejection waiting in the queue is never reported as unhandled.
  type Settled = { ok: true; value: R } | { ok: false; error: unknown };
  const queue: Promise<Settled>[] = [];
  let index = 0;
  let done = false;

  const fill = async (): Promise<void> => {
    while (!done && queue.length < window) {
      const next = await iterator.next();
      if (next.done === true) {
        done = true;
        break;
      }
      const i = index++;
      queue.push(
        fn(next.value, i).then(
          (value): Settled => ({ ok: true, value }),
          (error: unknown): Settled => ({ ok: false, error }),
        ),
      );
    }
  };

  try {
    await fill();
    while (queue.length > 0) {
      const head = queue.shift() as Promise<Settled>;
      const settled = await head;
      if (!settled.ok) throw settled.error;
      // Refill before yielding so work continues while the consumer is busy with this result.
      const refill = fill();
      yield settled.value;
      await refill;
    }
  } finally {
    if (!done && typeof iterator.return === 'function') await iterator.return();
    // Let in-flight work finish so nothing runs after the caller has moved on (e.g. deleted temp files).
    await Promise.all(queue);
  }
}

/**
 * Passes `source` through until `signal` aborts, then throws `onAbort()` at once, without waiting
 * for the pending item: a read stuck on a slow disk or a FIFO must not delay removing partial
 * output. The source is then closed in the background.
 *
 * @example
 * for await (const r of stopOnAbort(mapOrdered(paths, 8, read), signal, () => new InterruptedError('SIGINT'))) use(r);
 */
export async function* stopOnAbort<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined, onAbort: () => Error): AsyncGenerator<T> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  // Not Promise.race against one long-lived "aborted" promise: every race leaves a reaction on it
  // that holds the race's result, so each record ever yielded would stay in memory (2 GB for
  // 20,000 images). One listener wakes whichever wait is current instead.
  let wake: ((value: 'aborted') => void) | null = null;
  const listener = (): void => wake?.('aborted');
  signal.addEventListener('abort', listener, { once: true });
  const detach = (): void => signal.removeEventListener('abort', listener);
  let finished = false;
  let stopped = false;
  try {
    for (;;) {
      if (signal.aborted) {
        stopped = true;
        throw onAbort();
      }
      const next = iterator.next();
      // The pending next() settles later; its rejection is the source's business, not an unhandled one.
      next.catch(() => {});
      const winner = await new Promise<IteratorResult<T> | 'aborted'>((resolve, reject) => {
        wake = resolve;
        next.then(resolve, reject);
      });
      wake = null;
      if (winner === 'aborted') {
        stopped = true;
        throw onAbort();
      }
      if (winner.done === true) {
        finished = true;
        return;
      }
      yield winner.value;
    }
  } finally {
    detach();
    if (!finished) {
      const closing = iterator.return?.();
      // After an abort the source may still be waiting on its pending item: close it without waiting.
      if (stopped) void closing?.catch(() => {});
      else await closing;
    }
  }
}

/**
 * Wraps an async function so that at most `limit` calls run at once; later calls wait their turn
 * in call order. Lets a pipeline read ahead (a wide window) while only a few heavy ops run.
 *
 * @example
 * const decode = limitConcurrency((bytes: Buffer) => sharp(bytes).toBuffer(), 1);
 * await Promise.all([decode(a), decode(b)]); // b starts when a has finished
 */
export function limitConcurrency<A extends unknown[], R>(fn: (...args: A) => Promise<R>, limit: number): (...args: A) => Promise<R> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (...args: A): Promise<R> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn(...args);
    } finally {
      // The slot passes straight to the next waiter (running stays counted), or is freed.
      if (waiting.length > 0) waiting.shift()?.();
      else running--;
    }
  };
}

/**
 * Wraps an async function so that a call failing with an error `retryable` accepts runs once more
 * alone: once every call in progress has finished, with new calls held until it ends. For a library
 * with process-wide error state, libvips' error buffer: a failing operation's message is whatever
 * that buffer holds when it fails, which other operations running at the same time fill or clear,
 * so the same file failed with different reasons at different `--jobs`. Run alone, its message is
 * its own. The retry's outcome (success or error) is the call's.
 *
 * @example
 * const decode = retryAlone((bytes: Buffer) => sharp(bytes).toBuffer(), (error) => error instanceof Error);
 */
export function retryAlone<A extends unknown[], R>(fn: (...args: A) => Promise<R>, retryable: (error: unknown) => boolean): (...args: A) => Promise<R> {
  let running = 0;
  /** Settles when the retry in progress ends; null when none is. */
  let alone: Promise<void> | null = null;
  const idle: Array<() => void> = [];
  const leave = (): void => {
    running--;
    if (running === 0) for (const wake of idle.splice(0)) wake();
  };
  return async (...args: A): Promise<R> => {
    while (alone !== null) await alone;
    running++;
    try {
      return await fn(...args);
    } catch (error) {
      if (!retryable(error)) throw error;
    } finally {
      leave();
    }
    // One retry at a time; each waits for the calls in progress, while new calls wait for it.
    while (alone !== null) await alone;
    let end = (): void => undefined;
    alone = new Promise<void>((resolve) => {
      end = resolve;
    });
    try {
      while (running > 0) await new Promise<void>((resolve) => idle.push(resolve));
      return await fn(...args);
    } finally {
      alone = null;
      end();
    }
  };
}
