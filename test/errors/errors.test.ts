import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, DatumParseError, Img2TfrecordError, InputError, InternalError, InterruptedError, InvalidOptionError, OutputExistsError } from '../../src/errors.js';
import { describeFailure, EXIT } from '../../src/cli/exit-codes.js';

test('InternalError: code ERR_INTERNAL, the path before "internal:", the detail kept apart', () => {
  const error = new InternalError('3 channels decoded where 4 were planned', { path: 'a/b.png' });
  assert.ok(error instanceof Img2TfrecordError);
  assert.equal(error.code, 'ERR_INTERNAL');
  assert.equal(error.message, 'a/b.png: internal: 3 channels decoded where 4 were planned');
  assert.equal(error.detail, '3 channels decoded where 4 were planned');
  assert.equal(describeFailure(error).code, EXIT.FAILED);
});

test('InterruptedError carries its signal, and the exit code comes from it, not from the message', () => {
  assert.equal(new InterruptedError('SIGTERM').signal, 'SIGTERM');
  assert.equal(describeFailure(new InterruptedError('SIGTERM')).code, EXIT.SIGTERM);
  assert.equal(describeFailure(new InterruptedError('SIGINT')).code, EXIT.SIGINT);
  const odd = new InterruptedError('abort');
  assert.equal(describeFailure(odd).code, EXIT.SIGINT);
});

test('DatumParseError: a Caffe read error of its own, not an Example parse error', () => {
  const error = new DatumParseError('key 00000001: index out of range', { path: 'db', recordIndex: 1 });
  assert.equal(error.code, 'ERR_DATUM_PARSE');
  assert.equal(error.message, 'db: record 1 is not a Caffe Datum: key 00000001: index out of range');
  assert.doesNotMatch(error.message, /tf\.train\.Example/);
});

test('exit codes: data found unusable is FAILED (1); a command line to change is USAGE (2)', () => {
  const data = new DataError('--mean needs all images the same size: b.png is 2x2x3, but a.png is 2x2x1', { path: 'b.png' });
  assert.equal(data.code, 'ERR_DATA');
  assert.equal(data.context.path, 'b.png');
  assert.deepEqual(describeFailure(data), { code: EXIT.FAILED, message: data.message });
  assert.equal(describeFailure(new InvalidOptionError('Expected at most one of shards and shardSize')).code, EXIT.USAGE);
  assert.equal(describeFailure(new InputError('photos: no such folder')).code, EXIT.USAGE);
  assert.equal(describeFailure(new OutputExistsError('out/train-00000-of-00001.tfrecord')).code, EXIT.USAGE);
});
