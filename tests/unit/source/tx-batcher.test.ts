import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KafkaRecord } from '../../../src/codec/change-encoder.js';
import type { TxWriter } from '../../../src/sink/tx-writer.js';
import type { Checkpoint } from '../../../src/source/checkpoint.js';
import type { CheckpointStore } from '../../../src/source/checkpoint-store.js';
import { FLUSH_AT, TxBatcher } from '../../../src/source/tx-batcher.js';

/** A writer that only counts what it was asked to do: the batcher's decisions are what is under test. */
function counting() {
  const calls = { begin: 0, send: 0, commits: 0 };
  const writer = {
    begin: async () => { calls.begin++; },
    send: async () => { calls.send++; },
    sendPosition: async () => undefined,
    commitSent: async () => { calls.commits++; },
    abort: async () => undefined,
  } as unknown as TxWriter;
  const store = { owner: 'test', record: (c: Checkpoint) => ({ c }) } as unknown as CheckpointStore;
  return { calls, writer, store };
}

const start: Checkpoint = { file: 'b.000001', pos: 4, gtid: null, tsMs: 0, changes: 0, writtenAtMs: 0, owner: 'test' };
const record = { topic: 't', partition: 0, key: Buffer.from('1'), value: Buffer.from('v') } as unknown as KafkaRecord;

async function wholeTransaction(b: TxBatcher, pos: number): Promise<void> {
  await b.add([record], 1);
  b.endOfBinlogTx({ file: 'b.000001', pos, gtid: null }, 0);
}

test('with SOURCE_COMMIT_LINGER_MS, a whole transaction waits that long for more when nothing is queued, then commits them together', async () => {
  const { calls, writer, store } = counting();
  const b = new TxBatcher({ writer, store, batchMax: 1000, lingerMs: 80, onCommitted: () => undefined }, start);
  await wholeTransaction(b, 100);
  assert.equal(b.commitIfDue(true), undefined, 'younger than the linger: no commit');
  assert.ok(b.lingerLeft() > 0 && b.lingerLeft() <= 80);
  await wholeTransaction(b, 200);
  assert.equal(b.commitIfDue(true), undefined);
  await new Promise((r) => setTimeout(r, 90));
  assert.equal(b.lingerLeft(), 0);
  await b.commitIfDue(true);
  await b.settled();
  assert.equal(calls.commits, 1, 'both binlog transactions in one Kafka commit');
  assert.equal(b.committed.pos, 200);
});

test('a transaction that reaches SOURCE_BATCH_MAX commits at once, linger or not; without a linger, as soon as nothing is queued', async () => {
  const { calls, writer, store } = counting();
  const b = new TxBatcher({ writer, store, batchMax: 2, lingerMs: 10_000, onCommitted: () => undefined }, start);
  await wholeTransaction(b, 100);
  assert.equal(b.commitIfDue(true), undefined);
  await wholeTransaction(b, 200);
  await b.commitIfDue(true);
  await b.settled();
  assert.equal(calls.commits, 1);

  const none = counting();
  const c = new TxBatcher({ writer: none.writer, store: none.store, batchMax: 1000, onCommitted: () => undefined }, start);
  await wholeTransaction(c, 100);
  assert.equal(c.commitIfDue(false), undefined, 'more is queued: it waits for it');
  await c.commitIfDue(true);
  await c.settled();
  assert.equal(none.calls.commits, 1);
});

test('with no commit in flight, a transaction\'s first records are held for half the linger (or FLUSH_AT of them) and produced together; later ones at once', async () => {
  const sends: number[] = [];
  const { writer, store } = counting();
  (writer as unknown as { send: (r: KafkaRecord[]) => Promise<void> }).send = async (r) => { sends.push(r.length); };
  const b = new TxBatcher({ writer, store, batchMax: 10_000, lingerMs: 80, onCommitted: () => undefined }, start);
  for (let pos = 100; pos <= 300; pos += 100) await wholeTransaction(b, pos);
  await b.produceStagedIfReady();
  assert.deepEqual(sends, [], 'younger than half the linger: held');
  await new Promise((r) => setTimeout(r, 45));
  await wholeTransaction(b, 400);
  assert.deepEqual(sends, [4], 'past half the linger: the four records in one send');
  await wholeTransaction(b, 500);
  assert.deepEqual(sends, [4, 1], 'later records go out as they come');
  await b.commitNow();

  const many = new TxBatcher({ writer, store, batchMax: 10_000, lingerMs: 10_000, onCommitted: () => undefined }, start);
  sends.length = 0;
  await many.add(Array.from({ length: FLUSH_AT - 1 }, () => record), FLUSH_AT - 1);
  assert.deepEqual(sends, []);
  await many.add([record], 1);
  assert.deepEqual(sends, [FLUSH_AT], 'FLUSH_AT records go out however young the transaction');
});

test('held records are produced before the checkpoint at commit; a stop with records held but never produced neither begins nor aborts a transaction', async () => {
  const order: string[] = [];
  const { writer, store } = counting();
  const w = writer as unknown as Record<string, unknown>;
  w.begin = async () => { order.push('begin'); };
  w.send = async (r: KafkaRecord[]) => { order.push(`send ${r.length}`); };
  w.sendPosition = async () => { order.push('position'); };
  w.commitSent = async () => { order.push('commit'); };
  w.abort = async () => { order.push('abort'); };
  const b = new TxBatcher({ writer, store, batchMax: 10_000, lingerMs: 10_000, onCommitted: () => undefined }, start);
  await wholeTransaction(b, 100);
  await wholeTransaction(b, 200);
  await b.commitNow();
  assert.deepEqual(order, ['begin', 'send 2', 'position', 'commit']);

  order.length = 0;
  const c = new TxBatcher({ writer, store, batchMax: 10_000, lingerMs: 10_000, onCommitted: () => undefined }, start);
  await c.add([record], 1); // a binlog transaction not ended: only held
  const at = await c.close(true);
  assert.deepEqual(order, [], 'nothing was begun, so nothing to abort');
  assert.equal(at.pos, start.pos, 'the position stays where it was: the change is read again');
});
