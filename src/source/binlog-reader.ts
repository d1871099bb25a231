/**
 * Tails the binlog for one table and hands on three kinds of item, in binlog order:
 *   table   the table's columns, whenever a TableMap shows them changed (ALTER TABLE)
 *   changes the change events of one rows event
 *   commit  a transaction boundary, with the position to resume from after it
 * The position is zongji's: frozen at a transaction's first TableMap, advanced at its commit marker, so a
 * commit item's position always replays whole transactions.
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import { avroTypeOf, type ColumnType } from '../codec/mysql-types.js';
import { PipelineError } from '../errors.js';
import type { ChangeEvent } from '../model/change.js';
import { rowsToChanges, type RowsKind } from './change.js';
import type { BinlogPosition } from './checkpoint.js';
import { gtidTracker, type GtidTracker, type TxGtid } from './gtid.js';
import type { Flavor } from './server.js';

export type SourceItem =
  | { kind: 'table'; columns: ColumnType[] }
  | { kind: 'changes'; changes: ChangeEvent[] }
  | { kind: 'commit'; position: BinlogPosition; tsMs: number };

/** The binlog connection failed or the server refused the position; the session restarts from its checkpoint. */
export class BinlogError extends PipelineError {
  readonly sqlCode: string | undefined;
  constructor(message: string, options: { cause?: unknown; sqlCode?: string } = {}) {
    super(message, { cause: options.cause, retriable: true });
    this.sqlCode = options.sqlCode;
  }
}

export interface BinlogReaderOptions {
  mysql: ConnectionOptions;
  serverId: number;
  sourceServerId: number;
  flavor: Flavor;
  db: string;
  table: string;
  start: BinlogPosition;
  /** Start at the first transaction missing from start.gtid (MySQL), not at start.file/pos (purged). */
  byGtid?: boolean;
  /**
   * The server sends a heartbeat when it has had nothing to send this long; a connection silent for three periods
   * is dead (a half-open TCP connection never errors by itself). 0: no heartbeats, no watchdog.
   */
  heartbeatMs: number;
  onItem: (item: SourceItem) => void;
  onError: (err: BinlogError) => void;
}

interface ZongJiInternals {
  options: { filename?: string; position?: number };
  connection?: { pause(): void; resume(): void; query(sql: string, cb: (err: Error | null) => void): void; stream?: NodeJS.EventEmitter };
  tableMap: Record<number, { columns?: Array<{ name: string; type: number; charset: string | null }>; columnSchemas: Array<{ UNSIGNED?: boolean }> }>;
}

export class BinlogReader {
  private readonly zongji: ZongJi;
  private rowInTx = 0;
  private columnsKey = '';
  private paused = false;
  private stopped = false;
  private heardAtMs = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  /** The GTID position (MariaDB) or executed set (MySQL) after the last commit, when the start position carried one. */
  private readonly gtids: GtidTracker | undefined;
  /** The GTID of the transaction being read (zongji attaches none to MariaDB's events). */
  private txGtid: TxGtid | undefined;

  constructor(private readonly o: BinlogReaderOptions) {
    this.zongji = new ZongJi({ ...o.mysql, charset: 'utf8mb4' } as ConstructorParameters<typeof ZongJi>[0]);
    this.gtids = gtidTracker(o.flavor, o.start.gtid);
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ready = false;
      this.zongji.on('ready', () => {
        ready = true;
        // zongji queues the dump right after 'ready', so this lands on the binlog connection before it.
        this.askForHeartbeats();
        resolve();
      });
      this.zongji.on('error', (err: Error & { code?: string }) => {
        // MariaDB and MySQL drop the older of two replication connections with one server id.
        const message = /same server_uuid\/server_id|same server_id/i.test(err.message)
          ? `binlog connection: another replica or source connected to MySQL with server id ${this.o.serverId} (${err.message}); ` +
            'give each source daemon its own SOURCE_SERVER_ID, different from every replica\'s server_id'
          : `binlog connection: ${err.message}`;
        const wrapped = new BinlogError(message, { cause: err, sqlCode: err.code });
        if (!ready) reject(wrapped);
        else if (!this.stopped) this.o.onError(wrapped);
      });
      this.zongji.on('binlog', (event: AnyBinlogEvent) => {
        try {
          this.handle(event);
        } catch (err) {
          this.o.onError(err instanceof BinlogError ? err : new BinlogError(`decoding the binlog: ${(err as Error).message}`, { cause: err }));
        }
      });
      this.zongji.start({
        serverId: this.o.serverId,
        // By GTID the server names the file in its first (artificial) rotate, which zongji follows.
        ...(this.o.byGtid ? { gtidSet: this.o.start.gtid ?? '' } : { filename: this.o.start.file, position: this.o.start.pos }),
        includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows', 'xid', 'query', 'gtid', 'mariadbgtid', 'heartbeat'],
        includeSchema: { [this.o.db]: [this.o.table] },
      });
    });
  }

  /** Stops reading from the socket; the few events already in flight still arrive. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.internals().connection?.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.heardAtMs = Date.now();
    this.internals().connection?.resume();
  }

  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    clearInterval(this.watchdog);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      this.zongji.once('stopped', () => {
        clearTimeout(timer);
        resolve();
      });
      this.zongji.stop();
    });
  }

  /**
   * Both servers read the period (nanoseconds) from this user variable of the dump connection; MySQL 8.4+ also
   * under its newer name. Any bytes count as a sign of life, since a busy server sends events, not heartbeats.
   */
  private askForHeartbeats(): void {
    const connection = this.internals().connection;
    if (this.o.heartbeatMs <= 0 || !connection) return;
    const ns = BigInt(this.o.heartbeatMs) * 1_000_000n;
    connection.query(`SET @master_heartbeat_period = ${ns}, @source_heartbeat_period = ${ns}`, (err) => {
      if (err && !this.stopped) this.o.onError(new BinlogError(`binlog connection: asking for heartbeats: ${err.message}`, { cause: err }));
    });
    this.heardAtMs = Date.now();
    connection.stream?.on('data', () => {
      this.heardAtMs = Date.now();
    });
    const limitMs = 3 * this.o.heartbeatMs;
    const silent = () => !this.paused && !this.stopped && Date.now() - this.heardAtMs > limitMs;
    this.watchdog = setInterval(() => {
      // Checked again after pending socket input is handled: timers run first, so after a long event-loop stall
      // data that did arrive would not have been counted yet.
      if (silent()) setImmediate(() => {
        if (!silent() || this.watchdog === undefined) return;
        clearInterval(this.watchdog);
        this.watchdog = undefined;
        const silentS = ((Date.now() - this.heardAtMs) / 1000).toFixed(1);
        this.o.onError(new BinlogError(`binlog connection silent for ${silentS} s, three heartbeat periods ` +
          `(BINLOG_HEARTBEAT_SECONDS=${this.o.heartbeatMs / 1000}): the server or the network is gone; reconnecting`));
      });
    }, Math.min(this.o.heartbeatMs, 1000));
    this.watchdog.unref();
  }

  private internals(): ZongJiInternals {
    return this.zongji as unknown as ZongJiInternals;
  }

  private position(): { file: string; pos: number } {
    const { filename, position } = this.internals().options;
    return { file: filename ?? this.o.start.file, pos: position ?? this.o.start.pos };
  }

  private handle(event: AnyBinlogEvent): void {
    const name = event.getEventName();
    switch (name) {
      case 'tablemap': {
        const e = event as unknown as { tableId: number; tableName: string; schemaName: string };
        if (e.schemaName !== this.o.db || e.tableName !== this.o.table) return;
        const entry = this.internals().tableMap[e.tableId];
        const columns = (entry?.columns ?? []).map((c, i) => ({
          name: c.name,
          avro: avroTypeOf(c.type, c.charset, entry?.columnSchemas[i]?.UNSIGNED === true),
        }));
        const key = JSON.stringify(columns);
        if (key !== this.columnsKey) {
          this.columnsKey = key;
          this.o.onItem({ kind: 'table', columns });
        }
        return;
      }
      case 'writerows':
      case 'updaterows':
      case 'deleterows': {
        const e = event as unknown as { rows: Array<Record<string, unknown>>; tableMap: Record<number, { tableName: string; parentSchema: string }>; tableId: number };
        const meta = e.tableMap[e.tableId];
        if (!meta || meta.parentSchema !== this.o.db || meta.tableName !== this.o.table) return;
        const { file, pos } = this.position();
        const changes = rowsToChanges(name as RowsKind, e.rows, {
          serverId: this.o.sourceServerId, db: this.o.db, table: this.o.table, file, pos,
          gtid: gtidText(event.gtid ?? this.txGtid), tsMs: event.timestamp, snapshot: false,
        }, this.rowInTx);
        this.rowInTx += changes.length;
        this.o.onItem({ kind: 'changes', changes });
        return;
      }
      case 'gtid':
        this.nextGtid((event as unknown as { gtid: string }).gtid);
        return;
      case 'mariadbgtid': {
        const e = event as unknown as { domainId: number; serverId: number; seqNo: number | bigint };
        this.nextGtid({ domainId: e.domainId, serverId: e.serverId, seqNo: e.seqNo });
        return;
      }
      case 'xid':
        this.commit(event);
        return;
      case 'heartbeat':
        return;
      case 'query': {
        if (endsTransaction((event as unknown as { query: string }).query)) this.commit(event);
        return;
      }
    }
  }

  /** A transaction's GTID; one still pending was an XA PREPARE, whose part ended with no XID or COMMIT. */
  private nextGtid(gtid: TxGtid): void {
    if (this.txGtid && this.gtids) this.gtids.add(this.txGtid);
    this.txGtid = gtid;
  }

  private commit(event: AnyBinlogEvent): void {
    this.rowInTx = 0;
    const { file, pos } = this.position();
    // The start position's GTIDs plus each transaction read since. zongji's own set is used only when the start
    // had none: it knows the set only from a GTID or binlog-start position, and leaves out transactions that end
    // with a statement (DDL, FLUSH PRIVILEGES) rather than an XID.
    let gtid: string | null;
    if (this.gtids) {
      if (this.txGtid) this.gtids.add(this.txGtid);
      gtid = this.gtids.text();
    } else gtid = this.zongji.gtidSet ?? null;
    this.txGtid = undefined;
    this.o.onItem({ kind: 'commit', position: { file, pos, gtid }, tsMs: event.timestamp });
  }
}

const MID_TRANSACTION = /^(BEGIN$|XA START|XA END|SAVEPOINT\b|RELEASE SAVEPOINT\b|ROLLBACK\s+(WORK\s+)?TO\b)/;

/**
 * Whether a statement in the binlog ends a transaction. BEGIN opens one and savepoints sit inside one; anything
 * else (COMMIT of a non-transactional engine, DDL) ends one. Ending one at a savepoint would put a half-read
 * transaction's GTID in the checkpoint's set, and a resume by that set would skip the rest of it.
 */
export function endsTransaction(statement: string): boolean {
  return !MID_TRANSACTION.test(statement.trim().toUpperCase());
}

function gtidText(gtid: unknown): string | null {
  if (gtid === undefined || gtid === null) return null;
  if (typeof gtid === 'string') return gtid;
  const g = gtid as { domainId?: number; serverId?: number; seqNo?: number | bigint };
  if (g.domainId !== undefined) return `${g.domainId}-${g.serverId}-${String(g.seqNo)}`;
  return String(gtid);
}
