/**
 * `verify --repair`: the missing and differing rows read again by key, in a consistent snapshot, and written to
 * their topics as `r` events through the source's transactional path (one Kafka transaction per chunk), so the pool
 * writes their lines exactly once like any other change and drift is fixed without a full reload. Keys the files
 * hold and MySQL does not are left to the operator (no row to read a delete from).
 */
import type mysql from 'mysql2/promise';
import type { TxWriter } from '../sink/tx-writer.js';
import { recordsOf, type CapturedTable } from '../source/capture/tables.js';
import type { BinlogPosition } from '../source/checkpoint.js';
import { fromCursor, textTypeCast, type ChunkPlan, type CursorValue } from '../source/snapshot.js';

const PER_QUERY = 500;
const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

export async function repairKeys(o: {
  conn: mysql.Connection; plan: ChunkPlan; table: CapturedTable; keys: CursorValue[][]; writer: TxWriter;
  position: BinlogPosition; serverId: number;
}): Promise<number> {
  const { db, table } = o.plan.ref;
  const from = `${q(db)}.${q(table)}`;
  const match = `(${o.plan.order.map((c) => `${q(c)} = ?`).join(' AND ')})`;
  let rows = 0;
  for (let i = 0; i < o.keys.length; i += PER_QUERY) {
    const batch = o.keys.slice(i, i + PER_QUERY);
    const [found] = await o.conn.query<mysql.RowDataPacket[]>({
      sql: `SELECT * FROM ${from} WHERE ${batch.map(() => match).join(' OR ')}`, typeCast: textTypeCast(o.plan.columns) as never,
    }, batch.flatMap((k) => k.map(fromCursor)));
    if (found.length === 0) continue;
    const now = Date.now();
    const events = (found as Array<Record<string, unknown>>).map((row) => ({
      op: 'r' as const, row,
      source: { serverId: o.serverId, db, table, file: o.position.file, pos: o.position.pos, row: rows++, gtid: null, tsMs: now, snapshot: true },
    }));
    await o.writer.write(recordsOf(o.table, events, now, false), null, 'verify.repair');
  }
  return rows;
}
