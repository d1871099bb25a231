/**
 * Tails the binlog for the captured tables and hands on four kinds of item, in binlog order:
 *   table   a table's columns and key, whenever its TableMap shows them new or changed (ALTER TABLE)
 *   changes the change events of one rows event of a captured table
 *   ddl     a statement that may create, drop, rename or truncate a table
 *   commit  a transaction boundary, with the position to resume from after it
 * The position is zongji's: frozen at a transaction's first TableMap, advanced at its commit marker, so a
 * commit item's position always replays whole transactions.
 */
import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import { parseColumnType, type ColumnSpec } from '../codec/column.js';
import { PipelineError } from '../errors.js';
import type { ChangeEvent } from '../model/change.js';
import { rowsToChanges, type RowsKind } from './change.js';
import type { BinlogPosition } from './checkpoint.js';
import { gtidTracker, type GtidTracker, type TxGtid } from './gtid.js';
import type { TableRef } from './capture/filter.js';
import type { Flavor } from './server.js';

export type SourceItem =
  | { kind: 'table'; table: TableRef; columns: ColumnSpec[]; keyColumns: string[] }
  | { kind: 'changes'; table: TableRef; changes: ChangeEvent[]; bytes: number }
  | { kind: 'ddl'; db: string; statement: string }
  | { kind: 'commit'; position: BinlogPosition; tsMs: number };

/**
 * What the binlog alone cannot tell about a column, from INFORMATION_SCHEMA: MariaDB's UUID, INET4 and INET6 ride
 * on BINARY in the row metadata. Column name → its COLUMN_TYPE there.
 */
export type ColumnTypeOverrides = (db: string, table: string) => ReadonlyMap<string, string> | undefined;

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
  /** Whether a table is captured (CAPTURE_TABLES / CAPTURE_EXCLUDE). */
  captures: (db: string, table: string) => boolean;
  overrides?: ColumnTypeOverrides;
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
  tableMap: Record<number, {
    columns?: Array<{ name: string; type: number; charset: string | null }>;
    columnSchemas: Array<{ COLUMN_NAME?: string; COLUMN_TYPE: string; CHARACTER_SET_NAME?: string | null; UNSIGNED?: boolean }>;
  }>;
  _skipSchema(db: string, table: string): boolean;
}

const GEOMETRY_CODE = 255;
/** zongji's dateStrings: which temporal types it hands over as text (TIMESTAMP only when needed: see tableMapped). */
const DATES_AS_TEXT = ['DATE', 'DATETIME'];
const BLOB_CODE = 252;

/** Per table id: which table, and how to tell an update that moves its key. */
interface MappedTable {
  ref: TableRef;
  /** The TableMap's columns as zongji had them, to tell a changed shape without parsing. */
  rawKey: string;
  /** A TIMESTAMP column with more than millisecond digits: a Date would drop them. */
  fineTimestamps: boolean;
  sameKey: (a: Record<string, unknown>, b: Record<string, unknown>) => boolean;
}

export class BinlogReader {
  private readonly zongji: ZongJi;
  private rowInTx = 0;
  /** The last shape announced per table ('db.table'), so an unchanged TableMap announces nothing. */
  private readonly shapes = new Map<string, string>();
  private readonly mapped = new Map<number, MappedTable>();
  /** Tables mapped in the transaction being read: their rows follow, decoded with the date options they need. */
  private readonly txTables = new Set<number>();
  private paused = false;
  private stopped = false;
  private heardAtMs = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  /** The GTID position (MariaDB) or executed set (MySQL) after the last commit, when the start position carried one. */
  private readonly gtids: GtidTracker | undefined;
  /** The GTID of the transaction being read (zongji attaches none to MariaDB's events). */
  private txGtid: TxGtid | undefined;

  constructor(private readonly o: BinlogReaderOptions) {
    // DATE and DATETIME as the server's own text, JSON as its text: the forms the snapshot reads too. TIMESTAMP as
    // a Date (exact to the millisecond, and cheaper), or as UTC text while a table with more digits is mapped.
    this.zongji = new ZongJi({ ...o.mysql, charset: 'utf8mb4', dateStrings: DATES_AS_TEXT, timezone: 'Z', jsonStrings: true } as ConstructorParameters<typeof ZongJi>[0]);
    // zongji decodes the rows of the tables this says are not skipped; its include/exclude maps know no patterns.
    this.internals()._skipSchema = (db: string, table: string) => !o.captures(db, table);
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
        const e = event as unknown as { tableId: number; tableName: string; schemaName: string; primaryKey?: number[] };
        if (!this.o.captures(e.schemaName, e.tableName)) return;
        this.tableMapped(e.tableId, { db: e.schemaName, table: e.tableName }, e.primaryKey);
        return;
      }
      case 'writerows':
      case 'updaterows':
      case 'deleterows': {
        const e = event as unknown as { rows: Array<Record<string, unknown>>; tableId: number };
        const mapped = this.mapped.get(e.tableId);
        if (!mapped) return;
        const { file, pos } = this.position();
        const changes = rowsToChanges(name as RowsKind, e.rows, {
          serverId: this.o.sourceServerId, db: mapped.ref.db, table: mapped.ref.table, file, pos,
          gtid: gtidText(event.gtid ?? this.txGtid), tsMs: event.timestamp, snapshot: false,
        }, this.rowInTx, mapped.sameKey);
        this.rowInTx += changes.length;
        // The rows event's length in the binlog: what its rows weigh in the source's queue.
        this.o.onItem({ kind: 'changes', table: mapped.ref, changes, bytes: (event as { size?: number }).size ?? 0 });
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
        const e = event as unknown as { query: string; schema?: string };
        if (isTableDdl(e.query)) this.o.onItem({ kind: 'ddl', db: e.schema ?? '', statement: e.query });
        if (endsTransaction(e.query)) this.commit(event);
        return;
      }
    }
  }

  /**
   * A captured table's TableMap: its columns as the pipeline types them (the binlog's FULL row metadata, with
   * INFORMATION_SCHEMA's word for MariaDB's BINARY-backed types), and its key. zongji is told to hand geometries
   * over as their bytes (it would parse them into objects, losing the WKB).
   */
  private tableMapped(tableId: number, ref: TableRef, primaryKey: number[] | undefined): void {
    const entry = this.internals().tableMap[tableId];
    const overrides = this.o.overrides?.(ref.db, ref.table);
    const schemas = entry?.columnSchemas ?? [];
    const raw = entry?.columns ?? [];
    // zongji rebuilds the entry at every TableMap: the patches are made each time, the parsing only on a change.
    let rawKey = String(primaryKey ?? '');
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      const schema = schemas[i];
      const special = overrides?.get(c.name);
      if (special && schema) schema.COLUMN_TYPE = special;
      if (c.type === GEOMETRY_CODE) {
        c.type = BLOB_CODE;
        c.charset = null;
      }
      rawKey += `\n${c.name}\t${schema?.COLUMN_TYPE}\t${schema?.CHARACTER_SET_NAME ?? c.charset}`;
    }
    const known = this.mapped.get(tableId);
    if (known && known.rawKey === rawKey && known.ref.db === ref.db && known.ref.table === ref.table) {
      this.datesFor(tableId);
      return;
    }
    const columns = raw.map((c, i) => parseColumnType(c.name, schemas[i]?.COLUMN_TYPE ?? '', schemas[i]?.CHARACTER_SET_NAME ?? c.charset ?? null));
    const keyColumns = (primaryKey ?? []).map((i) => columns[i]?.name).filter((n): n is string => n !== undefined);
    const keys = keyColumns.length > 0 ? keyColumns : undefined;
    const fineTimestamps = columns.some((c) => c.kind === 'timestamp' && c.fsp > 3);
    this.mapped.set(tableId, { ref, rawKey, fineTimestamps, sameKey: keys ? (a, b) => keys.every((k) => sameValue(a[k], b[k])) : () => true });
    this.datesFor(tableId);
    const id = `${ref.db}.${ref.table}`;
    const shape = JSON.stringify([columns, keyColumns]);
    if (this.shapes.get(id) === shape) return;
    this.shapes.set(id, shape);
    this.o.onItem({ kind: 'table', table: ref, columns, keyColumns });
  }

  /**
   * zongji reads its dateStrings option as it decodes each value, and a statement's TableMaps all come before its
   * rows: TIMESTAMP is text while any table mapped in this transaction needs its microseconds, a Date otherwise.
   */
  private datesFor(tableId: number): void {
    this.txTables.add(tableId);
    const config = (this.internals().connection as { config?: { dateStrings?: unknown } } | undefined)?.config;
    if (!config) return;
    let fine = false;
    for (const id of this.txTables) if (this.mapped.get(id)?.fineTimestamps) fine = true;
    config.dateStrings = fine ? true : DATES_AS_TEXT;
  }

  /** A transaction's GTID; one still pending was an XA PREPARE, whose part ended with no XID or COMMIT. */
  private nextGtid(gtid: TxGtid): void {
    if (this.txGtid && this.gtids) this.gtids.add(this.txGtid);
    this.txGtid = gtid;
  }

  private commit(event: AnyBinlogEvent): void {
    this.rowInTx = 0;
    this.txTables.clear();
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

const TABLE_DDL = /^\s*(?:\/\*.*?\*\/\s*)*(CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE|DROP\s+(?:TEMPORARY\s+)?TABLE|RENAME\s+TABLE|TRUNCATE|ALTER\s+TABLE)\b/is;

/** Whether a statement may create, drop, rename, truncate or alter a table (the daemon reads which). */
export function isTableDdl(statement: string): boolean {
  return TABLE_DDL.test(statement);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

function gtidText(gtid: unknown): string | null {
  if (gtid === undefined || gtid === null) return null;
  if (typeof gtid === 'string') return gtid;
  const g = gtid as { domainId?: number; serverId?: number; seqNo?: number | bigint };
  if (g.domainId !== undefined) return `${g.domainId}-${g.serverId}-${String(g.seqNo)}`;
  return String(gtid);
}
