import assert from 'node:assert/strict';
import { test } from 'node:test';
import Kafka from 'node-rdkafka';
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
