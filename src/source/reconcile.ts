/**
 * After a purged binlog, a snapshot brings back every row that changed but cannot show the rows deleted
 * meanwhile. This finds them: keys whose last event on the topic is alive while the table (in the snapshot's
 * view) no longer has them. Each gets a `d` event carrying its last known row, then the usual tombstone.
 */
import type { KafkaConnection } from '../config/kafka.js';
import type { Registry } from '../codec/registry.js';
import { fromValueRecord } from '../codec/value-record.js';
import { unframe } from '../codec/wire.js';
import { connectClient, disconnectWithin, endReader, partitionsOf, readToEnd } from '../kafka/client.js';

export async function liveKeysOnTopic(kafka: KafkaConnection, topic: string, registry: Registry): Promise<Map<number, Record<string, unknown>>> {
  const consumer = await connectClient(endReader(kafka, `reconcile-${topic}`), 'connecting the reconciler', kafka);
  try {
    const partitions = await partitionsOf(consumer, topic);
    const live = new Map<number, Record<string, unknown>>();
    await readToEnd(consumer, { from: partitions.map((partition) => ({ topic, partition, offset: 0 })), what: `reading ${topic}`, deadlineMs: 600_000 },
      async (m) => {
        const id = Number(m.key?.toString());
        if (!m.value) {
          live.delete(id);
          return;
        }
        const { schemaId, body } = unframe(m.value);
        const record = fromValueRecord((await registry.typeOf(schemaId)).fromBuffer(body) as Record<string, unknown>);
        if (record.op === 'd') live.delete(id);
        else live.set(id, record);
      });
    return live;
  } finally {
    await disconnectWithin(consumer, 10_000);
  }
}
