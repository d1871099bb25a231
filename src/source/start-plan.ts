/**
 * Where a session starts streaming, after whatever must come first: nothing (a checkpoint to resume from), or a
 * snapshot of the captured tables (cold start, an interrupted snapshot, a checkpoint whose binlog was purged).
 * Every path first commits this process's claim, so an older instance that loses its binlog connection to us
 * exits instead of fencing us back. Tables added to CAPTURE_TABLES since the checkpoint are not snapshotted here:
 * the returned checkpoint lists them under `adding`, and the stream reads them (src/source/adding.ts).
 */
import type mysql from 'mysql2/promise';
import type { ConnectionOptions } from 'mysql2';
import { connectMysql, ServerConfigError } from '../mysql.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ChangeEvent } from '../model/change.js';
import type { TxWriter } from '../sink/tx-writer.js';
import type { Checkpoint, SnapshotProgress } from './checkpoint.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { describeCaptured, describeTable, type TableDescription } from './capture/describe.js';
import { tableId } from './capture/filter.js';
import { recordsOf, type CapturedTables } from './capture/tables.js';
import type { SourceMetrics } from './metrics.js';
import type { ServerFacts } from './preflight.js';
import { keysInTable, lastRecordsOnTopic, liveKeysOnTopic } from './reconcile.js';
import { emitSnapshot } from './snapshot-emitter.js';
import { gtidsStillOnServer } from './server.js';
import { openConsistentSnapshot, sqlTime, type ChunkPlan, type Cursor } from './snapshot.js';

export interface StartPlanDeps {
  config: Config;
  mysql: ConnectionOptions;
  registry: Registry;
  logger: Logger;
  metrics: SourceMetrics;
  store: CheckpointStore;
  tables: CapturedTables;
  /** A snapshot is under way (for readiness), and made progress. */
  onSnapshot: () => void;
  onProgress: () => void;
  shouldStop: () => boolean;
}

/** How a table is read in chunks: led by its watermark column when rows are chosen by time, then its key. */
export function chunkPlan(config: Config, d: TableDescription, since: Date | null): ChunkPlan {
  const id = tableId(d.ref);
  const seed = d.ref.db === config.capture.seed.db && d.ref.table === config.capture.seed.table;
  const watermark = seed ? 'last_updated' : config.capture.watermarks[id];
  const hasWatermark = watermark !== undefined && d.columns.some((c) => c.name === watermark);
  // The seed's table keeps its (last_updated, id) order always, as its index and older checkpoints expect.
  const leadByWatermark = hasWatermark && (seed || since !== null);
  const key = d.keyColumns;
  const order = leadByWatermark ? [watermark!, ...key.filter((k) => k !== watermark)] : [...key];
  return { ref: d.ref, columns: d.columns, order, since: hasWatermark ? since : null };
}

/** A cursor from a checkpoint, older ones (the seed's {ts, id}) included. */
export function cursorFrom(after: SnapshotProgress['after']): Cursor | null {
  if (!after) return null;
  if ('values' in after) return after;
  return { values: [sqlTime(new Date(after.ts)), after.id] };
}

export class StartPlan {
  private readonly log: Logger;

  constructor(private readonly d: StartPlanDeps) {
    this.log = d.logger.child({ component: 'source' });
  }

  /** The checkpoint streaming starts from; undefined when stopped during a snapshot (it resumes there). */
  async startingPoint(writer: TxWriter, server: ServerFacts, found: Checkpoint | undefined): Promise<Checkpoint | undefined> {
    const { config, store } = this.d;
    const claim = (c: Checkpoint): Checkpoint => ({ ...c, owner: store.owner, writtenAtMs: Date.now() });
    if (found?.snapshot) {
      this.log.info(`resuming the snapshot after ${found.snapshot.rows} rows; streaming follows from ${streamStart(found)}`);
      return this.snapshot(writer, server, claim(found), found.snapshot.since ? new Date(found.snapshot.since) : null);
    }
    if (found && !server.binlogs.includes(found.file) && await this.resumableByGtid(server, found)) {
      const checkpoint = await this.withTables(claim(found));
      await store.commitOnly(writer, checkpoint);
      this.log.warn(
        `resuming from checkpoint by its GTID set: binlog ${found.file} is no longer on the server, but every ` +
          'transaction after the checkpoint still is', { gtid: found.gtid, changes: found.changes, oldest: server.binlogs[0] });
      return checkpoint;
    }
    if (found && !server.binlogs.includes(found.file)) {
      const since = new Date((found.tsMs || found.writtenAtMs) - config.source.purgedMarginSeconds * 1000);
      this.log.error(
        `binlog ${found.file} of the checkpoint is no longer on the server (purged or expired): falling back to a ` +
          `snapshot of rows changed since ${since.toISOString()} (checkpoint time minus ${config.source.purgedMarginSeconds} s; ` +
          'tables without a watermark column are read whole), then streaming', { checkpoint: `${found.file}:${found.pos}`, oldest: server.binlogs[0] });
      return this.snapshot(writer, server, undefined, since, found.changes, true);
    }
    if (found) {
      const checkpoint = await this.withTables(claim(found));
      await store.commitOnly(writer, checkpoint);
      const previous = found.owner && found.owner !== store.owner ? { previousOwner: found.owner } : {};
      this.log.info(`resuming from checkpoint ${checkpoint.file}:${checkpoint.pos}`, { gtid: checkpoint.gtid, changes: checkpoint.changes, ...previous });
      for (const a of checkpoint.adding ?? []) if (!(found.adding ?? []).some((f) => f.table === a.table)) {
        this.log.info(`table ${a.table} is newly captured: it is snapshotted while the other tables stream`);
      }
      return checkpoint;
    }
    const policy = config.source.coldStart;
    if (policy.kind === 'latest') {
      const checkpoint = await this.withTables({ ...server.end, tsMs: 0, changes: 0, writtenAtMs: Date.now(), owner: store.owner, tables: [] });
      // Starting at the end: every table is captured from here on, none snapshotted.
      checkpoint.tables = [...checkpoint.tables!, ...(checkpoint.adding ?? []).map((a) => a.table)];
      delete checkpoint.adding;
      await store.commitOnly(writer, checkpoint);
      this.log.info(`no checkpoint yet: starting at the binlog's end, ${checkpoint.file}:${checkpoint.pos}`);
      return checkpoint;
    }
    return this.snapshot(writer, server, undefined, policy.kind === 'watermark' ? policy.since : null);
  }

  /**
   * The checkpoint with the tables captured now: those it knew stay, those no longer captured go, new ones are
   * added to `adding` (snapshotted while streaming), unless already there.
   */
  private async withTables(c: Checkpoint): Promise<Checkpoint> {
    const { config, tables } = this.d;
    const known = c.tables ?? [tableId(config.capture.seed)];
    const conn = await connectMysql(this.d.mysql);
    let now: string[];
    try {
      now = (await describeCaptured(conn, tables.filter)).map((d) => tableId(d.ref));
    } finally {
      await conn.end().catch(() => undefined);
    }
    const adding = (c.adding ?? []).filter((a) => now.includes(a.table));
    for (const id of now) if (!known.includes(id) && !adding.some((a) => a.table === id)) adding.push({ table: id, after: null, rows: 0 });
    const gone = known.filter((id) => !now.includes(id) && !tables.captures(...split(id)));
    if (gone.length > 0) this.log.info(`no longer captured: ${gone.join(', ')} (their topics and files stay as they are)`);
    const out: Checkpoint = { ...c, tables: known.filter((id) => !gone.includes(id) && !adding.some((a) => a.table === id)) };
    if (adding.length > 0) out.adding = adding;
    else delete out.adding;
    return out;
  }

  /** MySQL with GTIDs: the checkpoint's set covers everything the server purged (GTID_SUBSET). */
  private async resumableByGtid(server: ServerFacts, found: Checkpoint): Promise<boolean> {
    if (server.flavor !== 'mysql' || !found.gtid) return false;
    const conn = await connectMysql(this.d.mysql);
    try {
      return await gtidsStillOnServer(conn, found.gtid);
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /**
   * Emits the captured tables (rows changed since `since` where a table has a watermark column, or all) from one
   * consistent view as `r` events, table by table and chunk by chunk, each chunk committed with a checkpoint that
   * records the snapshot's progress and the binlog position of the first view; then commits the plain checkpoint
   * at that position, where streaming starts. On MariaDB the position is the view's own, so no change is missed
   * and none arrives before its key's snapshot row.
   */
  private async snapshot(writer: TxWriter, server: ServerFacts, resume: Checkpoint | undefined, since: Date | null,
    changesBefore = 0, reconcile = false): Promise<Checkpoint | undefined> {
    const { config, store, metrics, tables } = this.d;
    const log = this.d.logger.child({ component: 'snapshot' });
    this.d.onSnapshot();
    const conn = await connectMysql(this.d.mysql);
    try {
      const view = await openConsistentSnapshot(conn, server.flavor);
      if (server.flavor === 'mysql' && !view.byGtid) {
        throw new ServerConfigError('MySQL without GTIDs gives no exact binlog point for a snapshot, so a change could be ' +
          'missed: set gtid_mode=ON and enforce_gtid_consistency=ON on the server, or COLD_START=latest to start at the binlog\'s end without one');
      }
      const seedId = tableId(config.capture.seed);
      const described = await describeCaptured(conn, tables.filter);
      // An older checkpoint's snapshot under way is the seed's table alone; one not begun yet (move-source --to
      // snapshot) reads every captured table.
      const begun = resume?.snapshot && (resume.snapshot.after !== null || resume.snapshot.rows > 0);
      const order = resume?.snapshot?.tables ?? (begun ? [resume!.snapshot!.table ?? seedId] : described.map((d) => tableId(d.ref)));
      const progress: SnapshotProgress = resume?.snapshot
        ? { ...resume.snapshot, table: resume.snapshot.table ?? order[0], tables: order }
        : { since: since?.toISOString() ?? null, table: order[0], tables: order, after: null, rows: 0, reconcile };
      const { snapshot: _inProgress, ...resumed } = resume ?? ({} as Partial<Checkpoint>);
      const base: Checkpoint = resume ? (resumed as Checkpoint) : { ...view, tsMs: 0, changes: changesBefore, writtenAtMs: Date.now(), owner: store.owner };
      base.tables = order;
      delete base.adding;
      await store.commitOnly(writer, { ...base, snapshot: progress });
      if (!resume) {
        log.info(`snapshot of ${order.length} table(s) ${since ? `(rows changed since ${since.toISOString()} where a table has a watermark column)` : '(all rows)'}: ` +
          `${order.join(', ') || 'none'}; then streaming from ${streamStart(base)}`);
      }
      const started = Date.now();
      let rowsSoFar = progress.rows;
      for (let i = Math.max(0, order.indexOf(progress.table ?? seedId)); i < order.length; i++) {
        const id = order[i]!;
        const d = described.find((x) => tableId(x.ref) === id) ?? await describeTable(conn, split2(id));
        const current = id === progress.table ? progress : { ...progress, table: id, after: null };
        if (!d) {
          log.warn(`table ${id} is gone from the server; the snapshot goes on without it`);
          continue;
        }
        const plan = chunkPlan(config, d, since);
        const { table } = await tables.setShape(d.ref, d.columns, d.keyColumns);
        const { rows, stopped } = await emitSnapshot({
          conn, plan, table, serverId: server.serverId, position: base, after: cursorFrom(current.after), chunk: config.source.snapshotChunk,
          rowsBefore: current.rows, writer, tombstones: config.source.tombstones,
          checkpoint: (after, n) => store.record({ ...base, writtenAtMs: Date.now(), snapshot: { ...current, after, rows: n } }),
          onChunk: (n) => {
            metrics.snapshotRows.inc(n - rowsSoFar);
            metrics.transactions.inc({ outcome: 'committed' });
            rowsSoFar = n;
            this.d.onProgress();
          },
          shouldStop: this.d.shouldStop,
        });
        progress.rows = rows;
        if (stopped) {
          log.info(`stopped during the snapshot after ${rows} rows (in ${id}); it resumes there`);
          return undefined;
        }
      }
      // Deletes go out in transactions of their own: a crash between them is safe, since the next run's scan
      // sees the deletes already committed and does not repeat them.
      if (progress.reconcile) {
        for (const d of described) if (order.includes(tableId(d.ref))) await this.reconcileDeletes(writer, conn, d, server, base, log);
      }
      const done: Checkpoint = { ...base, writtenAtMs: Date.now() };
      await store.commitOnly(writer, done);
      log.info(`snapshot done: ${progress.rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; streaming from ${streamStart(done)}`);
      return done;
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /** Deletes the binlog can no longer tell: keys alive on the table's topic, gone from the table in this same view. */
  private async reconcileDeletes(writer: TxWriter, conn: mysql.Connection, d: TableDescription, server: ServerFacts,
    base: Checkpoint, log: Logger): Promise<void> {
    const { config, registry, tables } = this.d;
    const chunk = config.source.snapshotChunk;
    const { table } = await tables.setShape(d.ref, d.columns, d.keyColumns);
    const live = await liveKeysOnTopic(config.kafka, table.topic, registry);
    if (live.size === 0) return;
    const present = await keysInTable(conn, chunkPlan(config, d, null), table, chunk);
    const vanished = new Set([...live].filter((k) => !present.has(k)));
    if (vanished.size === 0) return;
    const last = await lastRecordsOnTopic(config.kafka, table.topic, registry, vanished);
    const keys = [...vanished];
    let transactions = 0;
    for (let i = 0; i < keys.length; i += chunk) {
      const events: ChangeEvent[] = keys.slice(i, i + chunk).map((key, j) => ({
        op: 'd', row: {}, prebuilt: { key, values: last.get(key)! },
        source: { serverId: server.serverId, db: d.ref.db, table: d.ref.table, file: base.file, pos: base.pos, row: i + j, gtid: null, tsMs: Date.now(), snapshot: true },
      }));
      // No checkpoint: the one committed last (the snapshot's end, reconciliation to come) stays right, and a crash
      // here reconciles again from the topic, which then holds these deletes.
      await writer.write(recordsOf(table, events, Date.now(), config.source.tombstones), null, 'source.reconcile');
      transactions++;
    }
    log.warn(`reconciled deletes after the purged binlog: ${keys.length} keys of ${tableId(d.ref)} alive on ${table.topic} are gone from the table (${transactions} transactions)`);
  }
}

function split(id: string): [string, string] {
  const at = id.indexOf('.');
  return [id.slice(0, at), id.slice(at + 1)];
}

function split2(id: string): { db: string; table: string } {
  const [db, table] = split(id);
  return { db, table };
}

function streamStart(c: Checkpoint): string {
  return c.byGtid ? `the first transaction not in GTID set ${c.gtid} (near ${c.file}:${c.pos})` : `${c.file}:${c.pos}`;
}
