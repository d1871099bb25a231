/**
 * Snapshots tables added to CAPTURE_TABLES while the others stream, a chunk at a time, without locks and without
 * writing to the database. Each chunk is read in a consistent view of its own whose binlog point P is known
 * (MariaDB: the view's exact file and position; MySQL: the executed GTID set read just before the view). The
 * chunk is held until the stream reaches P, and then goes into the stream's Kafka transaction at that boundary,
 * with the checkpoint recording how far the table's read has come: every change before P is on the topic before
 * the chunk's rows, every change after P after them, so each key's history stays in order. (On MySQL a few
 * transactions just after P may already be in the view: their changes then follow rows that include them, and
 * each key still ends at its true state.)
 *
 * Memory: one chunk. A crash resumes after the last chunk committed; none is written twice.
 */
import { GtidSet } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import { connectMysql } from '../mysql.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ChangeEvent } from '../model/change.js';
import type { KafkaRecord } from '../codec/change-encoder.js';
import type { AddingTable, BinlogPosition } from './checkpoint.js';
import { describeTable } from './capture/describe.js';
import { recordsOf, type CapturedTables } from './capture/tables.js';
import type { Flavor } from './server.js';
import { openConsistentSnapshot, readChunks, cursorOf } from './snapshot.js';
import { chunkPlan, cursorFrom } from './start-plan.js';

/** A chunk read and waiting for the stream to reach its view's point. */
interface HeldChunk {
  at: BinlogPosition;
  table: string;
  records: KafkaRecord[];
  rows: number;
  /** The table's progress once this chunk is in. */
  next: AddingTable;
  done: boolean;
}

export interface AddingDeps {
  config: Config;
  mysql: ConnectionOptions;
  tables: CapturedTables;
  flavor: Flavor;
  serverId: number;
  logger: Logger;
}

export class AddingTables {
  private readonly log: Logger;
  /** Progress of every table still being added, in order; the first is being read. */
  private queue: AddingTable[];
  /** Tables whose snapshot is complete (move to the checkpoint's captured tables). */
  readonly finished: string[] = [];
  private held: HeldChunk | undefined;
  private reading: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly d: AddingDeps, start: AddingTable[]) {
    this.log = d.logger.child({ component: 'snapshot' });
    this.queue = start.map((a) => ({ ...a }));
  }

  get active(): boolean {
    return this.queue.length > 0;
  }

  /** What the next checkpoint carries: the tables still being added, with their committed-to-be progress. */
  progress(): AddingTable[] {
    return this.queue.map((a) => ({ ...a }));
  }

  /** Starts reading the next chunk when none is held or being read. Throws what a read failed with. */
  pump(): void {
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
    if (this.held || this.reading || this.queue.length === 0) return;
    this.reading = this.readNext().catch((err: unknown) => { this.failure = err; }).finally(() => { this.reading = undefined; });
  }

  /**
   * At a boundary of the stream (the position after a whole binlog transaction): the held chunk's records when
   * the stream has reached its point, with the table's progress moved on; undefined otherwise.
   */
  takeIfReached(boundary: BinlogPosition): { records: KafkaRecord[]; rows: number } | undefined {
    const h = this.held;
    if (!h || !reached(this.d.flavor, boundary, h.at)) return undefined;
    this.held = undefined;
    const i = this.queue.findIndex((a) => a.table === h.table);
    if (h.done) {
      this.queue.splice(i, 1);
      this.finished.push(h.table);
      this.log.info(`snapshot of added table ${h.table} done: ${h.next.rows} rows; it streams from here on`);
    } else this.queue[i] = h.next;
    return { records: h.records, rows: h.rows };
  }

  private async readNext(): Promise<void> {
    const current = this.queue[0]!;
    const [db, table] = [current.table.slice(0, current.table.indexOf('.')), current.table.slice(current.table.indexOf('.') + 1)];
    const conn = await connectMysql(this.d.mysql);
    try {
      const at = await openConsistentSnapshot(conn, this.d.flavor);
      const description = await describeTable(conn, { db, table });
      if (!description) {
        this.log.warn(`added table ${current.table} is gone from the server; not snapshotted`);
        this.held = { at, table: current.table, records: [], rows: 0, next: current, done: true };
        return;
      }
      if (current.rows === 0 && current.after === null) this.log.info(`snapshotting added table ${current.table} while the others stream`);
      const plan = chunkPlan(this.d.config, description, null);
      const { table: captured } = await this.d.tables.setShape(description.ref, description.columns, description.keyColumns);
      const chunk = this.d.config.source.snapshotChunk;
      let rows: Array<Record<string, unknown>> = [];
      for await (const r of readChunks(conn, plan, { after: cursorFrom(current.after), chunk })) {
        rows = r;
        break;
      }
      const now = Date.now();
      let n = current.rows;
      const events: ChangeEvent[] = rows.map((row) => ({
        op: 'r', row,
        source: { serverId: this.d.serverId, db, table, file: at.file, pos: at.pos, row: n++, gtid: null, tsMs: now, snapshot: true },
      }));
      const done = plan.order.length === 0 || rows.length < chunk;
      const after = rows.length > 0 && plan.order.length > 0 ? cursorOf(plan.order, rows[rows.length - 1]!) : current.after;
      this.held = {
        at, table: current.table, records: recordsOf(captured, events, now, this.d.config.source.tombstones), rows: rows.length,
        next: { table: current.table, after, rows: n }, done,
      };
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
}

/** Whether a stream boundary is at or past a view's point. */
export function reached(flavor: Flavor, boundary: BinlogPosition, at: BinlogPosition): boolean {
  if (at.byGtid && flavor === 'mysql') {
    const have = GtidSet.parse((boundary.gtid ?? '').replace(/\s/g, ''));
    const union = GtidSet.parse([boundary.gtid, at.gtid].filter(Boolean).join(',').replace(/\s/g, ''));
    return union.toString() === have.toString();
  }
  if (boundary.file !== at.file) return boundary.file > at.file;
  return boundary.pos >= at.pos;
}
