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

/** A chunk of a table being added: its view's point, and its records once read. */
interface Chunk {
  at: BinlogPosition;
  table: string;
  /** Resolves with the chunk's records once read (the view is open from the start). */
  read: Promise<{ records: KafkaRecord[]; rows: number; next: AddingTable; done: boolean }>;
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
  private chunk: Chunk | undefined;
  private opening: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly d: AddingDeps, start: AddingTable[]) {
    this.log = d.logger.child({ component: 'snapshot' });
    this.queue = start.map((a) => ({ ...a }));
  }

  get active(): boolean {
    return this.queue.length > 0;
  }

  /** What the next checkpoint carries: the tables still being added, with their progress. */
  progress(): AddingTable[] {
    return this.queue.map((a) => ({ ...a }));
  }

  /**
   * Opens the next chunk's view when none is open (its rows are read in the background). Throws what a read
   * failed with. `boundary`: where the stream stands (a view whose point it has passed is of no use).
   */
  pump(): void {
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
    if (this.chunk || this.opening || this.queue.length === 0) return;
    this.opening = this.open().catch((err: unknown) => { this.failure = err; }).finally(() => { this.opening = undefined; });
  }

  /**
   * At a boundary of the stream (the position after a whole binlog transaction, with nothing of the next one
   * taken yet): the chunk's records when this is its view's point (waiting for the read to finish), with the
   * table's progress moved on; undefined otherwise. A chunk whose point the stream has passed is dropped and read
   * again in a newer view: its rows would be older than changes already sent.
   */
  async atBoundary(boundary: BinlogPosition): Promise<{ records: KafkaRecord[]; rows: number } | undefined> {
    const c = this.chunk;
    if (!c) return undefined;
    const where = compare(this.d.flavor, boundary, c.at);
    if (where === 'before') return undefined;
    this.chunk = undefined;
    if (where === 'past') {
      this.log.debug(`a chunk of ${c.table} (view at ${c.at.file}:${c.at.pos}) is behind the stream (${boundary.file}:${boundary.pos}); reading it again`);
      c.read.catch(() => undefined);
      return undefined;
    }
    const got = await c.read;
    const i = this.queue.findIndex((a) => a.table === c.table);
    if (got.done) {
      this.queue.splice(i, 1);
      this.finished.push(c.table);
      this.log.info(`snapshot of added table ${c.table} done: ${got.next.rows} rows; it streams from here on`);
    } else this.queue[i] = got.next;
    return { records: got.records, rows: got.rows };
  }

  private async open(): Promise<void> {
    const current = this.queue[0]!;
    const ref = { db: current.table.slice(0, current.table.indexOf('.')), table: current.table.slice(current.table.indexOf('.') + 1) };
    const conn = await connectMysql(this.d.mysql);
    let at: BinlogPosition;
    try {
      at = await openConsistentSnapshot(conn, this.d.flavor);
    } catch (err) {
      await conn.end().catch(() => undefined);
      throw err;
    }
    if (current.rows === 0 && current.after === null) this.log.info(`snapshotting added table ${current.table} while the others stream`);
    const read = this.read(conn, ref, current, at).finally(() => conn.end().catch(() => undefined));
    read.catch(() => undefined); // a failure surfaces where the chunk is taken, or is dropped with it
    this.chunk = { at, table: current.table, read };
  }

  private async read(conn: import('mysql2/promise').Connection, ref: { db: string; table: string }, current: AddingTable, at: BinlogPosition) {
    const description = await describeTable(conn, ref);
    if (!description) {
      this.log.warn(`added table ${current.table} is gone from the server; not snapshotted`);
      return { records: [], rows: 0, next: current, done: true };
    }
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
      source: { serverId: this.d.serverId, db: ref.db, table: ref.table, file: at.file, pos: at.pos, row: n++, gtid: null, tsMs: now, snapshot: true },
    }));
    const done = plan.order.length === 0 || rows.length < chunk;
    const after = rows.length > 0 && plan.order.length > 0 ? cursorOf(plan.order, rows[rows.length - 1]!) : current.after;
    this.log.debug(`read a chunk of ${current.table}: ${rows.length} rows, view at ${at.file}:${at.pos}`);
    return { records: recordsOf(captured, events, now, this.d.config.source.tombstones), rows: rows.length, next: { table: current.table, after, rows: n }, done };
  }
}

/**
 * Where a stream boundary is against a view's point: before it, at it, or past it. MariaDB: binlog file and
 * position. MySQL: the GTID sets (the view's point is the set executed before it opened; the stream is at it
 * when its set equals it, past it when its set holds more).
 */
export function compare(flavor: Flavor, boundary: BinlogPosition, at: BinlogPosition): 'before' | 'at' | 'past' {
  if (at.byGtid && flavor === 'mysql') {
    const have = GtidSet.parse((boundary.gtid ?? '').replace(/\s/g, '')).toString();
    const union = GtidSet.parse([boundary.gtid, at.gtid].filter(Boolean).join(',').replace(/\s/g, '')).toString();
    if (union !== have) return 'before';
    return have === GtidSet.parse((at.gtid ?? '').replace(/\s/g, '')).toString() ? 'at' : 'past';
  }
  if (boundary.file !== at.file) return boundary.file < at.file ? 'before' : 'past';
  return boundary.pos < at.pos ? 'before' : boundary.pos === at.pos ? 'at' : 'past';
}
