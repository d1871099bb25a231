/**
 * After a purged binlog, a snapshot brings back every row that changed but cannot show the rows deleted
 * meanwhile. This finds them: keys whose last event on the topic is alive while the table (in the snapshot's
 * view) no longer has them. Each gets a `d` event carrying its last known row, then the usual tombstone.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import type { Registry } from '../codec/registry.js';
import { fromValueRecord } from '../codec/value-record.js';
import { unframe } from '../codec/wire.js';
import { kafkaError } from '../sink/errors.js';

export async function liveKeysOnTopic(kafka: KafkaConnection, topic: string, registry: Registry): Promise<Map<number, Record<string, unknown>>> {
  const consumer = new Kafka.KafkaConsumer({
    ...rdkafkaOptions(kafka), 'group.id': `reconcile-${topic}`, 'enable.auto.commit': false,
    'enable.partition.eof': true, 'isolation.level': 'read_committed', 'fetch.wait.max.ms': 10,
  } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (e) => (e ? reject(kafkaError('connecting the reconciler', e)) : resolve())));
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 30_000 }, (e, m) => (e ? reject(kafkaError(`metadata of ${topic}`, e)) : resolve(m))));
    const partitions = meta.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    const ended = new Set<number>();
    consumer.on('partition.eof', (p) => ended.add(p.partition));
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 0 })));
    const live = new Map<number, Record<string, unknown>>();
    while (ended.size < partitions.length) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(5000, (e, m) => (e ? reject(kafkaError(`reading ${topic}`, e)) : resolve(m))));
      for (const m of batch) {
        const id = Number(m.key?.toString());
        if (!m.value) { live.delete(id); continue; }
        const { schemaId, body } = unframe(m.value);
        const record = fromValueRecord((await registry.typeOf(schemaId)).fromBuffer(body) as Record<string, unknown>);
        if (record.op === 'd') live.delete(id);
        else live.set(id, record);
      }
    }
    return live;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
