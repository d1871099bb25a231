import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnsFile, isClosedOutput, isDeadLetterOutput, isLegacyOutput, parseSegment, segmentFile } from '../../../src/pool/segment-name.js';

test('segment names round-trip, sort in write order and say who wrote them', () => {
  for (const name of ['consumer-3.000042.jsonl', 'consumer-a.b-1.000001.deadletter.jsonl.open', 'replay.1234567.jsonl.gz', 'consumer-1.000009.jsonl.gz.tmp']) {
    assert.equal(segmentFile(parseSegment(name)!), name);
  }
  assert.deepEqual(parseSegment('consumer-host.1-2.000007.deadletter.jsonl.open'), { base: 'consumer-host.1-2', seq: 7, dead: true, state: 'open' });
  const names = [9, 10, 100].map((seq) => segmentFile({ base: 'consumer-1', seq, dead: false, state: 'closed' }));
  assert.deepEqual([...names].sort(), names);
});

test('closed, open and old-layout files are told apart', () => {
  assert.equal(parseSegment('consumer-1.jsonl'), undefined);
  assert.ok(isLegacyOutput('consumer-1.jsonl') && isLegacyOutput('consumer-x.123456-1.jsonl'));
  assert.ok(isClosedOutput('consumer-1.000001.jsonl') && isClosedOutput('consumer-1.000001.jsonl.gz') && isClosedOutput('consumer-1.jsonl'));
  assert.ok(!isClosedOutput('consumer-1.000002.jsonl.open') && !isClosedOutput('consumer-1.000002.jsonl.gz.tmp') && !isClosedOutput('notes.txt'));
  assert.ok(isDeadLetterOutput('consumer-1.deadletter.jsonl') && isDeadLetterOutput('consumer-1.000003.deadletter.jsonl.gz'));
  assert.ok(!isDeadLetterOutput('consumer-1.000003.jsonl'));
});

test('Parquet segments: closed and complete as .parquet, being written as .parquet.tmp; their columns file is hidden', () => {
  assert.deepEqual(parseSegment('consumer-2.000009.parquet'), { base: 'consumer-2', seq: 9, dead: false, state: 'parquet' });
  assert.deepEqual(parseSegment('consumer-2.000009.parquet.tmp'), { base: 'consumer-2', seq: 9, dead: false, state: 'parquet-tmp' });
  for (const name of ['consumer-2.000009.parquet', 'consumer-2.000009.parquet.tmp']) assert.equal(segmentFile(parseSegment(name)!), name);
  assert.ok(isClosedOutput('consumer-2.000009.parquet') && !isClosedOutput('consumer-2.000009.parquet.tmp'));
  assert.equal(columnsFile({ base: 'consumer-2', seq: 9, dead: false, state: 'open' }), '.consumer-2.000009.columns.json');
  assert.equal(parseSegment('.consumer-2.000009.columns.json')?.state, undefined);
});
