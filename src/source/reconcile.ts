/**
 * After a purged binlog, a snapshot brings back every row that changed but cannot show the rows deleted
 * meanwhile. This finds them, per table: keys whose last event on the table's topic is alive while the table (in
 * the snapshot's view) no longer has them. Each gets a `d` event carrying its last known record, then the usual
 * tombstone. Memory is bounded by the number of keys (key texts only): one pass finds the live keys, the table's
 * keys are read in chunks, and a second pass fetches the last records of the vanished ones alone.
 */
import type Kafka from 'node-rdkafka';
import type mysql from 'mysql2/promise';
import type { KafkaConnection } from '../config/kafka.js';
import type { Registry } from '../codec/registry.js';
import { unframe } from '../codec/wire.js';
import { connectClient, disconnectWithin, endReader, partitionsOf, readToEnd } from '../kafka/client.js';
import type { CapturedTable } from './capture/tables.js';
import { readChunks, type ChunkPlan } from './snapshot.js';

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
  return (await registry.typeOf(schemaId)).fromBuffer(body) as Record<string, unknown>;
}

const opOf = (record: Record<string, unknown>): unknown => record.op ?? record.__op;

/** Keys whose last event on the topic is not a delete (nor a tombstone). */
export async function liveKeysOnTopic(kafka: KafkaConnection, topic: string, registry: Registry): Promise<Set<string>> {
  const live = new Set<string>();
  await scanTopic(kafka, topic, async (m) => {
    const key = m.key?.toString() ?? '';
    if (!m.value || opOf(await decode(registry, m.value)) === 'd') live.delete(key);
    else live.add(key);
  });
  return live;
}

/** The keys of the table's rows in the connection's view, as the table's shape writes them. */
export async function keysInTable(conn: mysql.Connection, plan: ChunkPlan, table: CapturedTable, chunk: number): Promise<Set<string>> {
  const shape = table.encoder.current!;
  const keys = new Set<string>();
  const only = shape.keyColumns.length > 0 ? { ...plan, select: [...new Set([...plan.order, ...shape.keyColumns])] } : plan;
  for await (const rows of readChunks(conn, only, { after: null, chunk })) for (const row of rows) keys.add(shape.key(row));
  return keys;
}

/** The last record on the topic (as decoded, in its writer's schema) of each of these keys. */
export async function lastRecordsOnTopic(kafka: KafkaConnection, topic: string, registry: Registry, keys: Set<string>): Promise<Map<string, Record<string, unknown>>> {
  const records = new Map<string, Record<string, unknown>>();
  await scanTopic(kafka, topic, async (m) => {
    const key = m.key?.toString() ?? '';
    if (keys.has(key) && m.value) records.set(key, await decode(registry, m.value));
  });
  return records;
}
