import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Kafka from 'node-rdkafka';
import { parseValueSchema } from '../../../src/codec/avro-parse.js';
import { ChangeEncoder } from '../../../src/codec/change-encoder.js';
import { parseColumnType } from '../../../src/codec/column.js';
import type { Registry } from '../../../src/codec/registry.js';
import { memoryRegistry, PRODUCT_COLUMNS } from '../../fixtures/memory-registry.js';
import { productShape } from '../../../src/codec/value-schema.js';
import type { ChangeEvent } from '../../../src/model/change.js';
import { Decoder, PoisonError } from '../../../src/pool/decoder.js';
import type { TopicLines } from '../../../src/pool/line-batch.js';
import { InlineLines, LineWorkers } from '../../../src/pool/line-workers.js';
import { consumedOf, freshOf, keyOf } from '../../../src/pool/packed-batch.js';

/** A new packed batch each time: making lines on a worker hands its values' memory over. */
const packed = (messages: Kafka.Message[]) => freshOf(consumedOf(messages));

const COLUMNS = PRODUCT_COLUMNS;
const RULE = { category: 'GARDEN', percent: 10 };
const SEED = 'product_updates';
const OTHER = 'cdc.shop.other';

function event(id: number, row: Record<string, unknown>): ChangeEvent {
  return {
    op: 'u', row: { id, name: `n${id} "q" é`, category: id % 2 ? 'Garden' : 'Toys', price: Math.fround(4.5 + id), last_updated: '2026-01-02 00:00:00', ...row },
    source: { serverId: 1, db: 'shop', table: 'product', file: 'mysql-bin.000001', pos: 4, row: 0, gtid: null, tsMs: 1000 + id, snapshot: false },
  };
}

/** Two topics, a schema change in the middle of one, a value that is not Avro and one with an unknown schema id. */
async function batch(registry: Registry): Promise<Kafka.Message[]> {
  const encoder = new ChangeEncoder(registry, SEED, 10);
  await encoder.setShape(productShape('product', COLUMNS));
  const values: Array<[string, Buffer]> = [];
  for (let i = 0; i < 40; i++) values.push([i % 3 === 0 ? OTHER : SEED, encoder.encode(event(i, {}), 1000 + i).value!]);
  values.push([SEED, Buffer.from('not avro at all')]);
  const unknown = Buffer.from(values[1]![1]);
  unknown.writeUInt32BE(999, 1);
  values.push([SEED, unknown]);
  await encoder.setShape(productShape('product', [...COLUMNS, parseColumnType('colour', 'varchar(20)', 'utf8mb4')]));
  for (let i = 40; i < 60; i++) values.push([SEED, encoder.encode(event(i, { colour: 'red' }), 1000 + i).value!]);
  return values.map(([topic, value], i) => ({ topic, partition: i % 4, offset: 100 + i, value, key: Buffer.from(String(i)), size: value.length } as Kafka.Message));
}

/** What each message gives on its own through the decoder: its line, or why it is a dead letter. */
async function oneByOne(registry: Registry, messages: Kafka.Message[]): Promise<Map<string, { text: string; dead: string[] }>> {
  const decoder = new Decoder(registry, { seedTopic: SEED, rule: RULE });
  await decoder.prepare(messages.map((m) => m.value!));
  const out = new Map<string, { text: string; dead: string[] }>();
  for (const m of messages) {
    const t = out.get(m.topic) ?? { text: '', dead: [] };
    out.set(m.topic, t);
    try {
      t.text += decoder.lineOf(m.topic, m.value!, { topic: m.topic, partition: m.partition, offset: m.offset });
    } catch (err) {
      assert.ok(err instanceof PoisonError);
      t.dead.push(err.message);
    }
  }
  return out;
}

function flatten(made: TopicLines[]): Map<string, { text: string; dead: string[]; runs: number[]; lineOf: number[]; tsMs: number[] }> {
  return new Map(made.map((t) => [t.topic, {
    text: t.runs.map((r) => Buffer.from(r.text).toString('utf8')).join(''), dead: t.dead.map((d) => d.reason),
    runs: t.runs.map((r) => r.lines), lineOf: [...t.lineOf], tsMs: [...t.tsMs],
  }]));
}

test('a batch made on a line worker and in place gives each message the line the decoder gives it alone, in order, with runs per writer schema', async () => {
  const registry = memoryRegistry();
  const messages = await batch(registry);
  const expected = await oneByOne(registry, messages);
  const workers = new LineWorkers(new Decoder(registry, { seedTopic: SEED, rule: RULE }), 2, { seedTopic: SEED, rule: RULE });
  try {
    const inline = flatten(await new InlineLines(new Decoder(registry, { seedTopic: SEED, rule: RULE })).make(packed(messages)));
    // Twice on the workers: the second batch goes to the other worker, which must be handed the schemas too.
    for (let round = 0; round < 3; round++) {
      const onWorker = flatten(await workers.make(packed(messages)));
      assert.deepEqual(onWorker, inline, `round ${round}: the same on a worker as in place`);
    }
    for (const [topic, want] of expected) {
      assert.equal(inline.get(topic)!.text, want.text, `${topic}: lines`);
      assert.deepEqual(inline.get(topic)!.dead, want.dead, `${topic}: dead letters`);
    }
    const seed = inline.get(SEED)!;
    assert.equal(seed.dead.length, 2, 'the unframed value and the unknown schema id');
    assert.deepEqual(seed.runs, [26, 20], 'a new run where the writer schema changes');
    assert.ok(seed.text.split('\n')[30]!.includes('"colour":"red"'));
    const other = inline.get(OTHER)!;
    assert.deepEqual(other.lineOf, messages.flatMap((m, i) => (m.topic === OTHER ? [i] : [])), 'each line knows its message');
    assert.deepEqual(other.tsMs, other.lineOf.map((i) => 1000 + i), "each line's read time");
  } finally {
    await workers.close();
  }
});

test('a line worker that dies fails the batches it holds with a retriable error, and a new one takes the next', async () => {
  const registry = memoryRegistry();
  const messages = await batch(registry);
  const workers = new LineWorkers(new Decoder(registry, { seedTopic: SEED, rule: RULE }), 1, { seedTopic: SEED, rule: RULE });
  try {
    await workers.make(packed(messages));
    const threads = (workers as unknown as { threads: Array<{ worker: import('node:worker_threads').Worker }> }).threads;
    const inFlight = workers.make(packed(messages));
    await threads[0]!.worker.terminate();
    await assert.rejects(inFlight, (err: Error & { retriable?: boolean }) => err.name === 'LineWorkerError' && err.retriable === true);
    const again = flatten(await workers.make(packed(messages)));
    assert.equal(again.get(SEED)!.runs.reduce((a, b) => a + b, 0), 46);
  } finally {
    await workers.close();
  }
});

test('a consumed batch keeps each message; the worker gets all of it as it came, or only the chosen ones, copied', () => {
  const m = (topic: string, partition: number, offset: number, value: string | null, key: string | null) =>
    ({ topic, partition, offset, value: value === null ? null : Buffer.from(value), key: key === null ? null : Buffer.from(key), size: 0 }) as Kafka.Message;
  const b = consumedOf([m('a', 0, 5, 'xx', 'k1'), m('b', 3, 9, null, 'k2'), m('a', 1, 7, 'yyy', null), m('b', 3, 10, '', 'k3')]);
  assert.deepEqual(b.topics, ['a', 'b']);
  assert.deepEqual([...b.topicIndex], [0, 1, 0, 1]);
  assert.deepEqual([...b.valueNull], [0, 1, 0, 0], 'a tombstone is null, an empty value is not');
  assert.deepEqual([...b.valueEnds], [2, 2, 5, 5]);
  assert.deepEqual([0, 1, 2, 3].map((i) => keyOf(b, i)), ['k1', 'k2', null, 'k3']);
  const chosen = freshOf(b, Uint32Array.from([2, 3]));
  assert.deepEqual([...chosen.offsets], [7, 10]);
  assert.deepEqual([...chosen.partitions], [1, 3]);
  assert.deepEqual([...chosen.topicIndex], [0, 1]);
  assert.equal(Buffer.from(chosen.values).toString(), 'yyy');
  assert.deepEqual([...chosen.ends], [3, 3]);
  assert.notEqual(chosen.values.buffer, b.values.buffer, 'copied: the batch keeps its own');
  assert.equal(freshOf(b).values, b.values, 'all of it: the same buffer, not a copy');
});
