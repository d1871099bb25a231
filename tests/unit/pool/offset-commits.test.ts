import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetCommits } from '../../../src/pool/offset-commits.js';

const at = (partition: number, offset: number) => ({ topic: 't', partition, offset });

test('a commit goes out at most every interval, carrying the latest offset of each partition written since', () => {
  const c = new OffsetCommits(250);
  c.written([at(0, 10)]);
  assert.deepEqual(c.due(1_000), [at(0, 10)], 'the first is due at once');
  c.written([at(0, 20)]);
  c.written([at(0, 30), at(1, 5)]);
  assert.deepEqual(c.due(1_100), [], 'not within the interval');
  assert.deepEqual(c.due(1_250), [at(0, 30), at(1, 5)]);
  assert.deepEqual(c.due(2_000), [], 'nothing new, nothing sent');
});

test('interval 0 commits after every batch', () => {
  const c = new OffsetCommits(0);
  c.written([at(0, 1)]);
  assert.deepEqual(c.due(5), [at(0, 1)]);
  c.written([at(0, 2)]);
  assert.deepEqual(c.due(5), [at(0, 2)]);
});

test('a revocation or a stop commits what is written, sent or not; a let-go partition is never committed after', () => {
  const c = new OffsetCommits(1_000);
  c.written([at(0, 10), at(1, 7)]);
  assert.deepEqual(c.due(10_000), [at(0, 10), at(1, 7)]);
  c.written([at(0, 12), at(1, 8)]);
  assert.deepEqual(c.of([{ topic: 't', partition: 0 }]), [at(0, 12)], 'the unsent offset, not the last sent');
  assert.deepEqual(c.of(), [at(0, 12), at(1, 8)]);
  c.forget([{ topic: 't', partition: 0 }]);
  assert.deepEqual(c.due(20_000), [at(1, 8)], "the let-go partition's unsent offset is dropped, the other's sent");
  assert.deepEqual(c.of(), [at(1, 8)]);
});

test('an idle position past the markers is committed once, and an older unsent offset never follows it', () => {
  const c = new OffsetCommits(1_000);
  c.written([at(0, 10)]);
  assert.deepEqual(c.due(10_000), [at(0, 10)]);
  c.written([at(0, 11)]);
  const ahead = c.ahead([at(0, 12), at(1, -1001)]);
  assert.deepEqual(ahead, [at(0, 12)], 'an unknown position (negative) is not a commit');
  c.committedPast(ahead);
  assert.deepEqual(c.due(20_000), [], 'offset 11 would move the group back from 12');
  assert.deepEqual(c.ahead([at(0, 12)]), [], 'already committed');
});
