/**
 * `verify --repair`: the missing and differing rows read again by key, in a consistent snapshot, and written to
 * their topics as `r` events through the source's transactional path (one Kafka transaction per 500 keys), so the pool
 * writes their lines exactly once like any other change and drift is fixed without a full reload. Keys the files
 * hold and MySQL does not are left to the operator (no row to read a delete from).
 */
import type mysql from 'mysql2/promise';
import type { TxWriter } from '../sink/tx-writer.js';
import { recordsOf, type CapturedTable } from '../source/capture/tables.js';
import type { BinlogPosition } from '../source/checkpoint.js';
import { readByKeys, type ChunkPlan, type CursorValue } from '../source/snapshot.js';

export async function repairKeys(o: {
  conn: mysql.Connection; plan: ChunkPlan; table: CapturedTable; keys: CursorValue[][]; writer: TxWriter;
  position: BinlogPosition; serverId: number;
}): Promise<number> {
  const { db, table } = o.plan.ref;
  let rows = 0;
  // One Kafka transaction per query's rows.
  for await (const found of readByKeys(o.conn, o.plan, o.keys)) {
    const now = Date.now();
    const events = found.map((row) => ({
      op: 'r' as const, row,
      source: { serverId: o.serverId, db, table, file: o.position.file, pos: o.position.pos, row: rows++, gtid: null, tsMs: now, snapshot: true },
    }));
    await o.writer.write(recordsOf(o.table, events, now, false), null, 'verify.repair');
  }
  return rows;
}
