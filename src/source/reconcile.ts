/**
 * After a purged binlog, a snapshot brings back every row that changed but cannot show the rows deleted
 * meanwhile. This finds them: keys whose last event on the topic is alive while the table (in the snapshot's
 * view) no longer has them. Each gets a `d` event carrying its last known row, then the usual tombstone.
 * Memory is bounded by the number of keys (ids only), not their rows: one pass finds the live keys, the table is
 * asked about them in batches, and a second pass fetches the last rows of the vanished ones alone.
 */
import type Kafka from 'node-rdkafka';
import type { KafkaConnection } from '../config/kafka.js';
import type { Registry } from '../codec/registry.js';
import { fromValueRecord } from '../codec/value-record.js';
import { unframe } from '../codec/wire.js';
import { connectClient, disconnectWithin, endReader, partitionsOf, readToEnd } from '../kafka/client.js';

async function scanTopic(kafka: KafkaConnection, topic: string, onMessage: (m: Kafka.Message) => Promise<void>): Promise<void> {
  const consumer = await connectClient(endReader(kafka, `reconcile-${topic}`), 'connecting the reconciler', kafka);
  try {
    const partitions = await partitionsOf(consumer, topic);
    await readToEnd(consumer, { from: partitions.map((partition) => ({ topic, partition, offset: 0 })), what: `reading ${topic}`, deadlineMs: 600_000 }, onMessage);
  } finally {
    await disconnectWithin(consumer, 10_000);
  }
}

async function decode(registry: Registry, value: Buffer): Promise<Record<string, unknown>> {
  const { schemaId, body } = unframe(value);
  return fromValueRecord((await registry.typeOf(schemaId)).fromBuffer(body) as Record<string, unknown>);
}

/** Keys whose last event on the topic is not a delete (nor a tombstone). */
export async function liveKeysOnTopic(kafka: KafkaConnection, topic: string, registry: Registry): Promise<Set<number>> {
  const live = new Set<number>();
  await scanTopic(kafka, topic, async (m) => {
    const id = Number(m.key?.toString());
    if (!m.value || (await decode(registry, m.value)).op === 'd') live.delete(id);
    else live.add(id);
  });
  return live;
}

/** The last row on the topic of each of these keys. */
export async function lastRowsOnTopic(kafka: KafkaConnection, topic: string, registry: Registry, ids: Set<number>): Promise<Map<number, Record<string, unknown>>> {
  const rows = new Map<number, Record<string, unknown>>();
  await scanTopic(kafka, topic, async (m) => {
    const id = Number(m.key?.toString());
    if (ids.has(id) && m.value) rows.set(id, await decode(registry, m.value));
  });
  return rows;
}
