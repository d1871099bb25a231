/**
 * The source's resumable position: the binlog coordinates just after the last binlog transaction whose
 * changes are committed to Kafka. Written to a compacted topic, keyed by source id, inside the same Kafka
 * transaction as those changes, so the two can never disagree.
 */
import type { KafkaConnection } from '../config/kafka.js';
import { connectClient, disconnectWithin, endReader, readToEnd } from '../kafka/client.js';
import { kafkaError } from '../kafka/errors.js';

export interface BinlogPosition {
  file: string;
  pos: number;
  /** MariaDB GTID position / MySQL executed GTID set at that point, when known. */
  gtid: string | null;
  /**
   * MySQL after a snapshot: stream from the first transaction missing from `gtid`, not from file/pos. The view's
   * set is exact where the position is not: a transaction already in the binlog may not be visible yet.
   */
  byGtid?: true;
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
  /**
   * The captured tables ('db.table') as of this checkpoint, so a start can tell a table added to CAPTURE_TABLES
   * (snapshotted alone) from one it already streams. Absent in checkpoints written before several tables could be
   * captured: then the seed's table alone.
   */
  tables?: string[];
  /** Present while a snapshot before streaming is under way (cold start, a purged binlog): where it stands. */
  snapshot?: SnapshotProgress;
  /** Tables added to CAPTURE_TABLES, snapshotted while the others stream: each one's progress, in order. */
  adding?: AddingTable[];
}

/** Where a snapshot stands: tables in `tables` before `table` are done; `table` is read after `after`. */
export interface SnapshotProgress {
  since: string | null;
  /** The table being read ('db.table'); absent in older checkpoints, which snapshot the seed's table alone. */
  table?: string;
  /** Every table of this snapshot, in reading order. */
  tables?: string[];
  /** The last row read of `table`, as its order columns' values (older checkpoints: the seed's {ts, id}). */
  after: { values: Array<string | number | null | { b64: string }> } | { ts: string; id: number } | null;
  rows: number;
  /** A purged-binlog fallback: after the rows, emit deletes for keys the tables no longer have. */
  reconcile?: boolean;
}

/**
 * A table added to the captured set while the others stream: read a chunk at a time in a view of its own, each
 * chunk put into the stream at its view's binlog point, so it sits between the changes before and after it.
 */
export interface AddingTable {
  table: string;
  after: { values: Array<string | number | null | { b64: string }> } | null;
  rows: number;
}

/**
 * Where the reader starts. On MySQL a GTID set names the same point on every server of a replication topology, so
 * it is used whenever the checkpoint has one: after a failover the new primary's files have other names or other
 * contents, a purged file is gone, and a snapshot's position runs ahead of its view. MariaDB, or MySQL whose
 * gtid_mode is not ON (the server refuses a dump by set): the binlog file and position.
 */
export function streamsByGtid(server: { flavor: 'mariadb' | 'mysql'; binlogs: string[]; gtidOn: boolean }, checkpoint: Checkpoint): boolean {
  if (server.flavor !== 'mysql') return false;
  // A snapshot's point, or a purged file the start plan found resumable by its set.
  if (checkpoint.byGtid === true || !server.binlogs.includes(checkpoint.file)) return true;
  return server.gtidOn && Boolean(checkpoint.gtid);
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
    writtenAtMs: c.writtenAtMs ?? 0, owner: c.owner ?? '', ...(c.byGtid && typeof c.gtid === 'string' ? { byGtid: true } : {}),
    ...(c.snapshot ? { snapshot: c.snapshot } : {}),
    ...(Array.isArray(c.tables) ? { tables: c.tables } : {}),
    ...(Array.isArray(c.adding) && c.adding.length > 0 ? { adding: c.adding } : {}),
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
  const consumer = await connectClient(endReader(kafka, `checkpoint-reader-${key}`), 'connecting the checkpoint reader', kafka);
  try {
    const high = await new Promise<number>((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, 0, 30_000, (err, o) => (err ? reject(kafkaError(`reading offsets of ${topic}`, err)) : resolve(o.highOffset))));
    if (high <= 0) return undefined;
    let last: Buffer | undefined;
    // With read_committed the end of the partition is reported only while no writer has a transaction open
    // on it, so a busy writer of another key on this partition delays the read to a gap between its transactions.
    await readToEnd(consumer, { from: [{ topic, partition: 0, offset: 0 }], what: `reading ${topic}`, deadlineMs: 60_000, batch: 1000 }, (m) => {
      if (m.key?.toString() === key) last = m.value ?? undefined;
    });
    return last;
  } finally {
    await disconnectWithin(consumer, 10_000);
  }
}
