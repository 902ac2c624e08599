import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCodeUnits, sortKeys } from '../../src/runtime/compare.js';

test('compareCodeUnits orders by UTF-16 code units, not by locale', () => {
  assert.deepEqual(['b', 'B', 'a', 'é', 'e', '10', '9'].sort(compareCodeUnits), ['10', '9', 'B', 'a', 'b', 'e', 'é']);
  assert.equal(compareCodeUnits('x', 'x'), 0);
  // An astral character (surrogate pair 0xD83D...) sorts before U+FFFD by code units, after it by code points.
  assert.equal(compareCodeUnits('\u{1F600}', '\uFFFD'), -1);
});

test('sortKeys returns the keys in code-unit order with their values', () => {
  assert.deepEqual(Object.entries(sortKeys({ b: 1, B: 2, a: 3 })), [['B', 2], ['a', 3], ['b', 1]]);
});
