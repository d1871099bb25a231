import assert from 'node:assert/strict';
import { test } from 'node:test';
import { orderViolations, tally } from '../../faults/report.js';

test('tally counts an expected change with no line as lost and a second line of one as duplicated', () => {
  assert.deepEqual(tally(['1:0', '1:1', '2:0'], 3), { lost: 0, duplicated: 0 });
  assert.deepEqual(tally(['1:0', '2:0'], 3), { lost: 1, duplicated: 0 });
  assert.deepEqual(tally(['1:0', '1:0', '2:0', '3:0'], 3), { lost: 0, duplicated: 1 });
});

test('orderViolations counts, per key in offset order, each version lower than the one before it', () => {
  const c = (key: number, version: number, offset: number) => ({ key, version, offset });
  // Versions ascend with offsets (arrival order in the list does not matter: files of several consumers).
  assert.equal(orderViolations([c(1, 1, 11), c(1, 0, 10), c(2, 0, 5), c(1, 2, 12), c(2, 1, 9)]), 0);
  // Key 1's version 2 at a lower offset than version 1: one change out of order.
  assert.equal(orderViolations([c(1, 0, 10), c(1, 2, 11), c(1, 1, 12)]), 1);
  // Another key's versions do not count against this one's.
  assert.equal(orderViolations([c(1, 5, 1), c(2, 0, 2)]), 0);
});
