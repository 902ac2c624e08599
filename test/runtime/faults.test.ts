import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { faultPoint, refreshFaults, stallPoint } from '../../src/runtime/faults.js';

/** Whether `promise` settles before the next turn of the event loop (a resolved one does). */
async function settlesNow(promise: Promise<void>): Promise<boolean> {
  return Promise.race([promise.then(() => true), nextTurn().then(() => false)]);
}

test('per-record fault points read IMG2TFRECORD_FAULT as of refreshFaults; the others on each pass', async () => {
  const controller = new AbortController();
  try {
    process.env.IMG2TFRECORD_FAULT = 'read:2:STALL';
    refreshFaults();
    assert.equal(await settlesNow(stallPoint('read', controller.signal)), true, 'first read passes');
    assert.equal(await settlesNow(stallPoint('read', controller.signal)), false, 'second read stalls');
    process.env.IMG2TFRECORD_FAULT = 'read:1:STALL';
    assert.equal(await settlesNow(stallPoint('read', controller.signal)), true, 'the run keeps the spec it started with');
    refreshFaults();
    assert.equal(await settlesNow(stallPoint('read', controller.signal)), false, 'a new run reads the new spec');
    process.env.IMG2TFRECORD_FAULT = 'stage:1:ENOSPC';
    assert.throws(() => faultPoint('stage', '/x'), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC' && e.path === '/x', 'stage reads it at once');
  } finally {
    controller.abort();
    delete process.env.IMG2TFRECORD_FAULT;
    refreshFaults();
  }
});
