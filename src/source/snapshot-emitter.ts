/**
 * Emits a table's rows as `r` events, one Kafka transaction per chunk together with the position record that
 * says where the read stands, so a crash resumes after the last whole chunk and no chunk lands twice.
 * Shared by the daemon's snapshots (cold start, a purged binlog, a table added to CAPTURE_TABLES) and `backfill`.
 */
import type mysql from 'mysql2/promise';
import type { ChangeEvent } from '../model/change.js';
import type { PositionRecord, TxWriter } from '../sink/tx-writer.js';
import type { BinlogPosition } from './checkpoint.js';
import { recordsOf, type CapturedTable } from './capture/tables.js';
import { cursorOf, readChunks, type ChunkPlan, type Cursor } from './snapshot.js';

export interface SnapshotRun {
  conn: mysql.Connection;
  plan: ChunkPlan;
  table: CapturedTable;
  serverId: number;
  /** The binlog point the rows belong to (the view's position), carried in each event's source block. */
  position: BinlogPosition;
  after: Cursor | null;
  chunk: number;
  /** Rows emitted by earlier runs of this snapshot, so row numbers stay unique across restarts. */
  rowsBefore: number;
  writer: TxWriter;
  tombstones: boolean;
  /** The position record committed with each chunk. */
  checkpoint: (cursor: Cursor | null, rows: number) => PositionRecord;
  /** A crash point passed before each chunk's commit. */
  crashPoint?: string;
  onChunk?: (rows: number) => void;
  shouldStop?: () => boolean;
}

export async function emitSnapshot(run: SnapshotRun): Promise<{ rows: number; stopped: boolean }> {
  let rows = run.rowsBefore;
  const { db, table } = run.plan.ref;
  for await (const chunk of readChunks(run.conn, run.plan, { after: run.after, chunk: run.chunk })) {
    const now = Date.now();
    const events: ChangeEvent[] = chunk.map((row) => ({
      op: 'r', row,
      source: { serverId: run.serverId, db, table, file: run.position.file, pos: run.position.pos, row: rows++, gtid: null, tsMs: now, snapshot: true },
    }));
    const cursor = run.plan.order.length > 0 ? cursorOf(run.plan.order, chunk[chunk.length - 1]!) : null;
    await run.writer.write(recordsOf(run.table, events, now, run.tombstones), run.checkpoint(cursor, rows), run.crashPoint ?? 'snapshot.chunk');
    run.onChunk?.(rows);
    if (run.shouldStop?.()) return { rows, stopped: true };
  }
  return { rows, stopped: false };
}
