/**
 * Emits table rows as `r` events, one Kafka transaction per chunk together with the checkpoint that says where
 * the read stands, so a crash resumes after the last whole chunk and no chunk lands twice.
 * Shared by the daemon's cold-start snapshot and `npm run backfill`.
 */
import type mysql from 'mysql2/promise';
import type { ChangeEncoder } from '../codec/change-encoder.js';
import type { TxProducer } from '../sink/tx-producer.js';
import type { ChangeEvent } from '../model/change.js';
import type { BinlogPosition } from './checkpoint.js';
import { crashPoint } from '../faults.js';
import { cursorOf, readChunks, type Cursor } from './snapshot.js';

export interface SnapshotRun {
  conn: mysql.Connection;
  db: string;
  table: string;
  serverId: number;
  /** The binlog point the rows belong to (the view's position), carried in each event's source block. */
  position: BinlogPosition;
  since: Date | null;
  after: Cursor | null;
  chunk: number;
  /** Rows emitted by earlier runs of this snapshot, so row numbers stay unique across restarts. */
  rowsBefore: number;
  producer: TxProducer;
  encoder: ChangeEncoder;
  topic: string;
  /** The checkpoint record committed with each chunk. */
  checkpoint: (cursor: Cursor, rows: number) => { topic: string; key: string; value: Buffer };
  onChunk?: (rows: number) => void;
  shouldStop?: () => boolean;
}

export async function emitSnapshot(run: SnapshotRun): Promise<{ rows: number; stopped: boolean }> {
  let rows = run.rowsBefore;
  for await (const chunk of readChunks(run.conn, run.table, { since: run.since, after: run.after, chunk: run.chunk })) {
    await run.producer.begin();
    const now = Date.now();
    for (const row of chunk) {
      const event: ChangeEvent = {
        op: 'r', id: Number(row.id), row,
        source: {
          serverId: run.serverId, db: run.db, table: run.table, file: run.position.file, pos: run.position.pos,
          row: rows++, gtid: null, tsMs: now, snapshot: true,
        },
      };
      const record = run.encoder.encode(event, now);
      await run.producer.send(run.topic, record.partition, record.value, record.key);
    }
    const cp = run.checkpoint(cursorOf(chunk[chunk.length - 1]!), rows);
    await run.producer.send(cp.topic, 0, cp.value, Buffer.from(cp.key));
    crashPoint('snapshot.chunk');
    await run.producer.commit();
    run.onChunk?.(rows);
    if (run.shouldStop?.()) return { rows, stopped: true };
  }
  return { rows, stopped: false };
}
