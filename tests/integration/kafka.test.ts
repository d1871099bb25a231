import assert from 'node:assert/strict';
import { test } from 'node:test';
import Kafka from 'node-rdkafka';
import { consumedOf, keyOf, type ConsumedBatch } from '../../src/pool/packed-batch.js';
import { config, uniqueName } from './helpers.js';

const { AdminClient, HighLevelProducer, KafkaConsumer, Producer } = Kafka;

function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = AdminClient.create({ 'metadata.broker.list': config.kafka.brokers });
  return new Promise<void>((resolve, reject) => {
    admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 10_000, (err) => {
      admin.disconnect();
      if (err) reject(err);
      else resolve();
    });
  });
}

function consumeAll(topic: string, expected: number, extra: Kafka.ConsumerGlobalConfig = {}): Promise<Kafka.Message[]> {
  const consumer = new KafkaConsumer(
    { 'metadata.broker.list': config.kafka.brokers, 'group.id': uniqueName('test'), 'enable.auto.commit': false, ...extra },
    { 'auto.offset.reset': 'earliest' },
  );
  return new Promise((resolve, reject) => {
    const got: Kafka.Message[] = [];
    const deadline = setTimeout(() => finish(new Error(`only ${got.length}/${expected} messages within 30 s`)), 30_000);
    const finish = (err?: unknown) => {
      clearTimeout(deadline);
      consumer.disconnect(() => (err ? reject(err) : resolve(got)));
    };
    consumer.on('event.error', (err) => finish(err));
    consumer.connect({}, (err) => {
      if (err) return finish(err);
      consumer.subscribe([topic]);
      const loop = () =>
        consumer.consume(100, (cerr, messages) => {
          if (cerr) return finish(cerr);
          got.push(...messages);
          if (got.length >= expected) finish();
          else setImmediate(loop);
        });
      loop();
    });
  });
}

test('a message produced with node-rdkafka is consumed back', async () => {
  const topic = uniqueName('stack-check');
  await createTopic(topic, 3);
  const producer = new HighLevelProducer({ 'metadata.broker.list': config.kafka.brokers, 'enable.idempotence': true });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  const offset = await new Promise<number>((resolve, reject) =>
    producer.produce(topic, null, Buffer.from('hello 💡'), 'key-42', Date.now(), (err, off) => (err ? reject(err) : resolve(off ?? -1))));
  assert.equal(offset, 0);
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));

  const [message] = await consumeAll(topic, 1);
  assert.equal(message?.value?.toString(), 'hello 💡');
  assert.equal(message?.key?.toString(), 'key-42');
});

test('transactions commit on the one-node broker and aborted writes stay invisible to read_committed', async () => {
  const topic = uniqueName('stack-tx');
  await createTopic(topic, 1);
  const producer = new Producer({
    'metadata.broker.list': config.kafka.brokers,
    'transactional.id': uniqueName('stack-tx-producer'),
    dr_cb: false,
  });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  const call = (fn: (cb: (err: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
  await call((cb) => producer.initTransactions(10_000, cb));

  await call((cb) => producer.beginTransaction(cb));
  producer.produce(topic, 0, Buffer.from('aborted'));
  await call((cb) => producer.abortTransaction(10_000, cb));

  await call((cb) => producer.beginTransaction(cb));
  producer.produce(topic, 0, Buffer.from('committed'));
  await call((cb) => producer.commitTransaction(10_000, cb));
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));

  const messages = await consumeAll(topic, 1, { 'isolation.level': 'read_committed' });
  assert.deepEqual(messages.map((m) => m.value?.toString()), ['committed']);
});

test("node-rdkafka's packed read (scripts/patches/) gives what its message objects give, tombstones, empty values and null keys included", async () => {
  const topic = uniqueName('stack-packed');
  await createTopic(topic, 2);
  const producer = new HighLevelProducer({ 'metadata.broker.list': config.kafka.brokers });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  const sent = Array.from({ length: 300 }, (_, i) => ({
    partition: i % 2, key: i % 7 === 0 ? null : `k${i}`, value: i % 11 === 0 ? null : i % 13 === 0 ? Buffer.alloc(0) : Buffer.from(`value ${i} ✓`),
  }));
  for (const s of sent) {
    await new Promise<void>((resolve, reject) => producer.produce(topic, s.partition, s.value, s.key, Date.now(), (err) => (err ? reject(err) : resolve())));
  }
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  const objects = consumedOf(await consumeAll(topic, sent.length));

  const consumer = new KafkaConsumer({ 'metadata.broker.list': config.kafka.brokers, 'group.id': uniqueName('packed'), 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  const native = (consumer as unknown as { _client: { consume: (t: number, n: number, cb: (err: unknown, b: ConsumedBatch | Kafka.Message[]) => void, packed: boolean) => void } })._client;
  consumer.assign([{ topic, partition: 0, offset: 0 }, { topic, partition: 1, offset: 0 }]);
  const batches: ConsumedBatch[] = [];
  let got = 0;
  const deadline = Date.now() + 30_000;
  while (got < sent.length && Date.now() < deadline) {
    const b = await new Promise<ConsumedBatch | Kafka.Message[]>((resolve, reject) => native.consume(500, 1000, (err, r) => (err ? reject(err) : resolve(r)), true));
    assert.ok(!Array.isArray(b), 'the installed node-rdkafka is patched: a packed batch, not message objects');
    batches.push(b);
    got += b.count;
  }
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  const byMessage = (b: ConsumedBatch) => Array.from({ length: b.count }, (_, i) => ({
    topic: b.topics[b.topicIndex[i]!], partition: b.partitions[i], offset: b.offsets[i],
    value: b.valueNull[i] ? null : b.values.toString('utf8', i === 0 ? 0 : b.valueEnds[i - 1], b.valueEnds[i]), key: keyOf(b, i),
  }));
  const order = (x: { partition?: number; offset?: number }, y: { partition?: number; offset?: number }) => x.partition! - y.partition! || x.offset! - y.offset!;
  const packed = batches.flatMap(byMessage).sort(order);
  assert.equal(packed.length, sent.length);
  assert.deepEqual(packed, byMessage(objects).sort(order));
  assert.equal(packed.filter((m) => m.value === null).length, sent.filter((s) => s.value === null).length);
  assert.equal(packed.filter((m) => m.value === '').length, sent.filter((s) => s.value?.length === 0).length);
});

test('a packed read ends once its values reach 64 MiB, however many messages were asked for', { timeout: 120_000 }, async (t) => {
  const topic = uniqueName('stack-packed-big');
  await createTopic(topic, 1);
  const producer = new HighLevelProducer({ 'metadata.broker.list': config.kafka.brokers, 'compression.codec': 'none' });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  const value = Buffer.alloc(900 * 1024, 7);
  for (let i = 0; i < 90; i++) {
    await new Promise<void>((resolve, reject) => producer.produce(topic, 0, value, `k${i}`, Date.now(), (err) => (err ? reject(err) : resolve())));
  }
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  const consumer = new KafkaConsumer({ 'metadata.broker.list': config.kafka.brokers, 'group.id': uniqueName('packed-big'), 'enable.auto.commit': false,
    'queued.max.messages.kbytes': 200_000, 'fetch.max.bytes': 100_000_000 }, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  const native = (consumer as unknown as { _client: { consume: (t: number, n: number, cb: (err: unknown, b: ConsumedBatch) => void, packed: boolean) => void } })._client;
  consumer.assign([{ topic, partition: 0, offset: 0 }]);
  const counts: number[] = [];
  let got = 0;
  const deadline = Date.now() + 60_000;
  while (got < 90 && Date.now() < deadline) {
    const b = await new Promise<ConsumedBatch>((resolve, reject) => native.consume(2000, 1000, (err, r) => (err ? reject(err) : resolve(r)), true));
    if (b.count > 0) counts.push(b.count);
    got += b.count;
  }
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  t.diagnostic(`batches of ${counts.join(', ')} messages`);
  assert.equal(got, 90);
  const perBatch = Math.ceil((64 * 1024 * 1024) / value.length);
  assert.ok(counts.every((c) => c <= perBatch), `batches of ${counts.join(', ')} messages: none past the ${perBatch} that reach 64 MiB`);
  assert.ok(counts.length >= 2, 'the 90 messages (79 MiB) came in more than one batch');
});
