/**
 * Where a session starts streaming, after whatever must come first: nothing (a checkpoint to resume from), or a
 * snapshot (cold start, an interrupted snapshot, a checkpoint whose binlog was purged). Every path first commits
 * this process's claim, so an older instance that loses its binlog connection to us exits instead of fencing us
 * back.
 */
import mysql from 'mysql2/promise';
import { connectMysql, ServerConfigError } from '../mysql.js';
import type { ConnectionOptions } from 'mysql2';
import { ChangeEncoder } from '../codec/change-encoder.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ChangeEvent } from '../model/change.js';
import type { TxProducer } from '../sink/tx-producer.js';
import { encodeCheckpoint, type Checkpoint, type SnapshotProgress } from './checkpoint.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { SourceMetrics } from './metrics.js';
import type { ServerFacts } from './preflight.js';
import { ChangeRecords } from './records.js';
import { lastRowsOnTopic, liveKeysOnTopic } from './reconcile.js';
import { emitSnapshot } from './snapshot-emitter.js';
import { gtidsStillOnServer } from './server.js';
import { openConsistentSnapshot, tableColumns } from './snapshot.js';
import { crashPoint } from '../faults.js';

export interface StartPlanDeps {
  config: Config;
  mysql: ConnectionOptions;
  registry: Registry;
  logger: Logger;
  metrics: SourceMetrics;
  store: CheckpointStore;
  /** A snapshot is under way (for readiness), and made progress. */
  onSnapshot: () => void;
  onProgress: () => void;
  shouldStop: () => boolean;
}

export class StartPlan {
  private readonly log: Logger;

  constructor(private readonly d: StartPlanDeps) {
    this.log = d.logger.child({ component: 'source' });
  }

  /** The checkpoint streaming starts from; undefined when stopped during a snapshot (it resumes there). */
  async startingPoint(producer: TxProducer, server: ServerFacts, found: Checkpoint | undefined): Promise<Checkpoint | undefined> {
    const { config, store } = this.d;
    const claim = (c: Checkpoint): Checkpoint => ({ ...c, owner: store.owner, writtenAtMs: Date.now() });
    if (found?.snapshot) {
      this.log.info(`resuming the snapshot after ${found.snapshot.rows} rows; streaming follows from ${streamStart(found)}`);
      return this.snapshot(producer, server, claim(found), found.snapshot.since ? new Date(found.snapshot.since) : null);
    }
    if (found && !server.binlogs.includes(found.file) && await this.resumableByGtid(server, found)) {
      const checkpoint = claim(found);
      await store.commitOnly(producer, checkpoint);
      this.log.warn(
        `resuming from checkpoint by its GTID set: binlog ${found.file} is no longer on the server, but every ` +
          'transaction after the checkpoint still is', { gtid: found.gtid, changes: found.changes, oldest: server.binlogs[0] });
      return checkpoint;
    }
    if (found && !server.binlogs.includes(found.file)) {
      const since = new Date((found.tsMs || found.writtenAtMs) - config.source.purgedMarginSeconds * 1000);
      this.log.error(
        `binlog ${found.file} of the checkpoint is no longer on the server (purged or expired): falling back to a ` +
          `snapshot of rows changed since ${since.toISOString()} (checkpoint time minus ${config.source.purgedMarginSeconds} s), then streaming`,
        { checkpoint: `${found.file}:${found.pos}`, oldest: server.binlogs[0] });
      return this.snapshot(producer, server, undefined, since, found.changes, true);
    }
    if (found) {
      const checkpoint = claim(found);
      await store.commitOnly(producer, checkpoint);
      const previous = found.owner && found.owner !== store.owner ? { previousOwner: found.owner } : {};
      this.log.info(`resuming from checkpoint ${checkpoint.file}:${checkpoint.pos}`, { gtid: checkpoint.gtid, changes: checkpoint.changes, ...previous });
      return checkpoint;
    }
    const policy = config.source.coldStart;
    if (policy.kind === 'latest') {
      const checkpoint: Checkpoint = { ...server.end, tsMs: 0, changes: 0, writtenAtMs: Date.now(), owner: store.owner };
      await store.commitOnly(producer, checkpoint);
      this.log.info(`no checkpoint yet: starting at the binlog's end, ${checkpoint.file}:${checkpoint.pos}`);
      return checkpoint;
    }
    return this.snapshot(producer, server, undefined, policy.kind === 'watermark' ? policy.since : null);
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
   * Emits the table (rows changed since `since`, or all) from one consistent view as `r` events, chunk by chunk,
   * each chunk committed with a checkpoint that records the snapshot's progress and the binlog position of the
   * first view; then commits the plain checkpoint at that position, where streaming starts. On MariaDB the
   * position is the view's own, so no change is missed and none arrives before its key's snapshot row.
   */
  private async snapshot(producer: TxProducer, server: ServerFacts, resume: Checkpoint | undefined, since: Date | null,
    changesBefore = 0, reconcile = false): Promise<Checkpoint | undefined> {
    const { config, store, metrics } = this.d;
    const log = this.d.logger.child({ component: 'snapshot' });
    this.d.onSnapshot();
    const conn = await connectMysql(this.d.mysql);
    try {
      const view = await openConsistentSnapshot(conn, server.flavor);
      if (server.flavor === 'mysql' && !view.byGtid) {
        throw new ServerConfigError('MySQL without GTIDs gives no exact binlog point for a snapshot, so a change could be ' +
          'missed: set gtid_mode=ON and enforce_gtid_consistency=ON on the server, or COLD_START=latest to start at the binlog\'s end without one');
      }
      const progress: SnapshotProgress = resume?.snapshot ?? { since: since?.toISOString() ?? null, after: null, rows: 0, reconcile };
      const { snapshot: _inProgress, ...resumed } = resume ?? ({} as Partial<Checkpoint>);
      const base: Checkpoint = resume ? (resumed as Checkpoint) : { ...view, tsMs: 0, changes: changesBefore, writtenAtMs: Date.now(), owner: store.owner };
      await store.commitOnly(producer, { ...base, snapshot: progress });
      const encoder = new ChangeEncoder(this.d.registry, `${config.kafka.topic}-value`, config.mysql.table, config.kafka.partitions);
      await encoder.setColumns(await tableColumns(conn, config.mysql.database, config.mysql.table));
      if (!resume) log.info(`snapshot of ${config.mysql.table} ${since ? `(rows changed since ${since.toISOString()})` : '(all rows)'}, then streaming from ${streamStart(base)}`);
      const started = Date.now();
      let rowsSoFar = progress.rows;
      const { rows, stopped } = await emitSnapshot({
        conn, db: config.mysql.database, table: config.mysql.table, serverId: server.serverId, position: base,
        since, after: progress.after, chunk: config.source.snapshotChunk, rowsBefore: progress.rows,
        producer, encoder, topic: config.kafka.topic,
        checkpoint: (after, n) => ({
          topic: config.source.checkpointTopic, key: config.source.id,
          value: encodeCheckpoint({ ...base, writtenAtMs: Date.now(), snapshot: { ...progress, after, rows: n } }),
        }),
        onChunk: (n) => {
          metrics.snapshotRows.inc(n - rowsSoFar);
          metrics.transactions.inc({ outcome: 'committed' });
          rowsSoFar = n;
          this.d.onProgress();
        },
        shouldStop: this.d.shouldStop,
      });
      if (stopped) {
        log.info(`stopped during the snapshot after ${rows} rows; it resumes there`);
        return undefined;
      }
      // Deletes go out in transactions of their own: a crash between them is safe, since the next run's scan
      // sees the deletes already committed and does not repeat them.
      if (progress.reconcile) await this.reconcileDeletes(producer, conn, encoder, server, base, log);
      const done: Checkpoint = { ...base, writtenAtMs: Date.now() };
      await producer.begin();
      await store.add(producer, done);
      await producer.commit();
      log.info(`snapshot done: ${rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; streaming from ${streamStart(done)}`);
      return done;
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /** Deletes the binlog can no longer tell: keys alive on the topic, gone from the table in this same view. */
  private async reconcileDeletes(producer: TxProducer, conn: mysql.Connection, encoder: ChangeEncoder, server: ServerFacts,
    base: Checkpoint, log: Logger): Promise<void> {
    const { config, registry, metrics } = this.d;
    const chunk = config.source.snapshotChunk;
    const live = [...await liveKeysOnTopic(config.kafka, config.kafka.topic, registry)];
    const vanished = new Set<number>();
    for (let i = 0; i < live.length; i += chunk) {
      const batch = live.slice(i, i + chunk);
      const [rows] = await conn.query<Array<{ id: number } & mysql.RowDataPacket>>(`SELECT id FROM \`${config.mysql.table}\` WHERE id IN (?)`, [batch]);
      const present = new Set(rows.map((r) => Number(r.id)));
      for (const id of batch) if (!present.has(id)) vanished.add(id);
    }
    const lastRows = vanished.size > 0 ? await lastRowsOnTopic(config.kafka, config.kafka.topic, registry, vanished) : new Map();
    const records = new ChangeRecords({ encoder, topic: config.kafka.topic, tombstones: config.source.tombstones, metrics });
    const ids = [...vanished];
    let transactions = 0;
    for (let i = 0; i < ids.length; i += chunk) {
      const events: ChangeEvent[] = ids.slice(i, i + chunk).map((id, j) => ({
        op: 'd', id, row: lastRows.get(id)!,
        source: { serverId: server.serverId, db: config.mysql.database, table: config.mysql.table, file: base.file, pos: base.pos, row: i + j, gtid: null, tsMs: Date.now(), snapshot: true },
      }));
      await producer.begin();
      await records.send(producer, events, Date.now());
      crashPoint('source.reconcile');
      await producer.commit();
      transactions++;
    }
    log.warn(`reconciled deletes after the purged binlog: ${ids.length} keys alive on the topic are gone from the table (${transactions} transactions)`);
  }
}

function streamStart(c: Checkpoint): string {
  return c.byGtid ? `the first transaction not in GTID set ${c.gtid} (near ${c.file}:${c.pos})` : `${c.file}:${c.pos}`;
}
