import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOptionError, flagOf } from '../../src/cli/flag-names.js';
import { InvalidOptionError } from '../../src/errors.js';
import { resolveConvertOptions } from '../../src/convert/options/options.js';

function optionError(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InvalidOptionError, String(error));
    return error;
  }
  assert.fail('no error thrown');
}

test('option names become flags', () => {
  assert.equal(flagOf('shardSize'), '--shard-size');
  assert.equal(flagOf('recordsPerShard'), '--records-per-shard');
  assert.equal(flagOf('output'), '-o');
  assert.equal(flagOf('imageColumns'), '--image-column');
  assert.equal(flagOf('worker index'), '--worker');
  assert.equal(flagOf('column type of x'), 'column type of x', 'not an option name: left alone');
});

test('library messages stay library-ish; the CLI words them with flags', () => {
  const size = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', shardSize: '10XB' }));
  assert.match(size.message, /^Expected size such as 256MB.* for shardSize but received "10XB" of type string$/);
  assert.equal(describeOptionError(size), '--shard-size: "10XB" is not a size; use e.g. 256MB');

  const stdout = optionError(() => resolveConvertOptions({ input: 'in', output: '-', shards: 2 }));
  assert.match(stdout.message, /shards, shardSize and recordsPerShard need a folder to write to/);
  assert.equal(describeOptionError(stdout), '-o "-" writes one unsharded stream to stdout; --shards, --shard-size and --records-per-shard need a folder to write to');

  const two = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', shards: 2, recordsPerShard: 5 }));
  assert.equal(describeOptionError(two), 'Expected at most one of --shards, --shard-size and --records-per-shard');

  const seed = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', seed: -1 }));
  assert.equal(describeOptionError(seed), `--seed: -1 is not an integer between 0 and ${Number.MAX_SAFE_INTEGER}`);

  const split = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', split: 'train=0.5' }));
  assert.equal(describeOptionError(split), '--split: "train=0.5" is not a split spec; use e.g. train=0.8,validation=0.2');

  const resplit = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', resplit: true }));
  assert.equal(describeOptionError(resplit), '--resplit re-splits a pre-split tree by --split fractions: it needs --split');

  const resize = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', resize: { width: 2, height: 2 }, resizeShorter: 4 }));
  assert.equal(describeOptionError(resize), 'Expected at most one of --resize and --resize-shorter');
  const alpha = optionError(() => resolveConvertOptions({ input: 'in', output: 'out', encode: 'jpeg', channels: 4 }));
  assert.equal(describeOptionError(alpha), 'Expected --channels 0, 1 or 3 for --encode jpeg but received --channels 4 (JPEG holds no alpha)');
});
