/**
 * The source's resumable position: the binlog coordinates just after the last binlog transaction whose
 * changes are committed to Kafka. Written to a compacted topic, keyed by source id, inside the same Kafka
 * transaction as those changes, so the two can never disagree.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import { kafkaError } from '../sink/errors.js';

export interface BinlogPosition {
  file: string;
  pos: number;
  /** MariaDB GTID position / MySQL executed GTID set at that point, when known. */
  gtid: string | null;
}

export interface Checkpoint extends BinlogPosition {
  /** Server time of the last included change (binlog event time), 0 when none yet. */
  tsMs: number;
  /** Changes committed by this source so far; a progress counter for operators. */
  changes: number;
  /** When the checkpoint was written. */
  writtenAtMs: number;
  /** The daemon process that wrote it: a newer owner means this one was fenced and must not come back. */
  owner: string;
  /** Present while a cold-start snapshot is under way: where it stands. Streaming starts at file/pos after it. */
  snapshot?: SnapshotProgress;
}

export interface SnapshotProgress {
  since: string | null;
  after: { ts: string; id: number } | null;
  rows: number;
  /** A purged-binlog fallback: after the rows, emit deletes for keys the table no longer has. */
  reconcile?: boolean;
}

export function encodeCheckpoint(c: Checkpoint): Buffer {
  return Buffer.from(JSON.stringify(c));
}

export function decodeCheckpoint(value: Buffer): Checkpoint {
  const c = JSON.parse(value.toString('utf8')) as Partial<Checkpoint>;
  if (typeof c.file !== 'string' || typeof c.pos !== 'number') {
    throw new Error(`checkpoint record without binlog file/position: ${value.toString('utf8').slice(0, 200)}`);
  }
  return {
    file: c.file, pos: c.pos, gtid: c.gtid ?? null, tsMs: c.tsMs ?? 0, changes: c.changes ?? 0,
    writtenAtMs: c.writtenAtMs ?? 0, owner: c.owner ?? '', ...(c.snapshot ? { snapshot: c.snapshot } : {}),
  };
}

/**
 * The last committed checkpoint for `key`, read with read_committed from the start of the (compacted,
 * one-partition) topic to its end. Call it after the session's producer has fenced older instances, so no
 * commit can land behind the read.
 */
export async function readCheckpoint(kafka: KafkaConnection, topic: string, key: string): Promise<Checkpoint | undefined> {
  const value = await readLatest(kafka, topic, key);
  return value ? decodeCheckpoint(value) : undefined;
}

/** The last committed value for `key` on a one-partition compacted topic (undefined when none, or deleted). */
export async function readLatest(kafka: KafkaConnection, topic: string, key: string): Promise<Buffer | undefined> {
  const consumer = new Kafka.KafkaConsumer({
    ...rdkafkaOptions(kafka),
    'group.id': `checkpoint-reader-${key}`,
    'enable.auto.commit': false,
    'enable.partition.eof': true,
    'isolation.level': 'read_committed',
    // The end of the partition shows only in a second fetch: at librdkafka's default 500 ms fetch wait, every
    // read of a checkpoint took half a second.
    'fetch.wait.max.ms': 10,
  } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(kafkaError('connecting the checkpoint reader', err)) : resolve())));
  try {
    const high = await new Promise<number>((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, 0, 30_000, (err, o) => (err ? reject(kafkaError(`reading offsets of ${topic}`, err)) : resolve(o.highOffset))));
    if (high <= 0) return undefined;
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    let last: Buffer | undefined;
    let eof = false;
    consumer.on('partition.eof', () => { eof = true; });
    // With read_committed the end of the partition is reported only while no writer has a transaction open
    // on it, so a busy writer of another key on this partition delays the read to a gap between its transactions.
    const deadline = Date.now() + 60_000;
    while (!eof) {
      if (Date.now() > deadline) throw kafkaError(`reading ${topic}`, new Error('no end of partition within 60 s'));
      const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(1000, (err, m) => (err ? reject(kafkaError(`reading ${topic}`, err)) : resolve(m))));
      for (const m of messages) {
        if (m.key?.toString() !== key) continue;
        last = m.value ?? undefined;
      }
    }
    return last;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
