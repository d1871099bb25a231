/**
 * The source daemon's loop, Maxwell-shaped: check the server, load the position, build the reader, run.
 * Every error ends the session; retriable ones start a new session from the last committed checkpoint
 * after a backoff, so recovery is one code path: whatever was not committed is read again.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import type { ConnectionOptions } from 'mysql2';
import { ChangeEncoder, type KafkaRecord } from '../codec/change-encoder.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { createSourceMetrics, type SourceMetrics } from '../ops/source-metrics.js';
import { FencedError, KafkaAuthError } from '../sink/errors.js';
import { TxProducer } from '../sink/tx-producer.js';
import { ensureTopic } from '../sink/topics.js';
import { BinlogReader, type SourceItem } from './binlog-reader.js';
import { Channel } from './channel.js';
import { TxBatcher } from './tx-batcher.js';
import { encodeCheckpoint, readCheckpoint, type Checkpoint, type SnapshotProgress } from './checkpoint.js';
import { preflight, type ServerFacts } from './preflight.js';
import type { ChangeEvent } from './change.js';
import { liveKeysOnTopic } from './reconcile.js';
import { emitSnapshot } from './snapshot-emitter.js';
import { openConsistentSnapshot, tableColumns } from './snapshot.js';

export interface SourceDeps {
  config: Config;
  mysql: ConnectionOptions;
  registry: Registry;
  logger: Logger;
  /** Test hook-free observability: called after every committed Kafka transaction. */
  onCommit?: (checkpoint: Checkpoint) => void;
  metrics?: SourceMetrics;
}

/** How long the sink waits for more binlog before committing what it has. */
const LINGER_MS = 20;
/** With no changes of ours, the position still advances (other tables' traffic) this often. */
const IDLE_CHECKPOINT_MS = 5_000;
/** Changes waiting this long without a commit make the daemon not ready. */
const STALL_MS = 60_000;

type Phase = 'starting' | 'snapshot' | 'streaming' | 'restarting' | 'stopped';

export class SourceDaemon {
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly log: Logger;
  /** This process's claim on the source id, written into every checkpoint. */
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Whether this process has committed its claim: before that, the checkpoint's owner is a predecessor, not a rival. */
  private claimed = false;
  readonly metrics: SourceMetrics;
  private phase: Phase = 'starting';
  private lastError = '';
  private producer: TxProducer | undefined;
  private queued: () => number = () => 0;
  private lastProgressMs = Date.now();
  /** Last change handed to the producer: a long binlog transaction is progress before its commit. */
  private lastSendMs = 0;
  private everConnected = false;

  constructor(private readonly deps: SourceDeps) {
    this.log = deps.logger.child({ component: 'source' });
    this.metrics = deps.metrics ?? createSourceMetrics();
  }

  /** Why the daemon is not ready (empty when it is): for /readyz. */
  notReady(): string[] {
    const reasons: string[] = [];
    if (this.phase === 'starting') reasons.push('starting: connecting to MySQL and Kafka');
    if (this.phase === 'restarting') reasons.push(`restarting after an error: ${this.lastError}`);
    if (this.phase === 'stopped') reasons.push('stopped');
    const kafka = this.producer?.probe?.problem;
    if (kafka) reasons.push(kafka);
    const waiting = this.queued();
    const quiet = Date.now() - Math.max(this.lastProgressMs, this.lastSendMs);
    if ((waiting > 0 || this.phase === 'snapshot') && quiet > STALL_MS) {
      reasons.push(`no Kafka commit for ${Math.round(quiet / 1000)} s${waiting > 0 ? ` with ${waiting} changes waiting` : ' during the snapshot'}`);
    }
    return reasons;
  }

  private progressed(): void {
    this.lastProgressMs = Date.now();
    this.metrics.lastCommit.set(this.lastProgressMs / 1000);
    this.metrics.producerQueue.set(this.producer?.stats?.queuedMessages ?? 0);
  }

  /** Asks the loop to finish the open transaction (or abort it mid-binlog-transaction) and return. */
  requestStop(): void {
    this.stopping = true;
    this.wake?.();
  }

  async run(): Promise<void> {
    const { config } = this.deps;
    await this.timed('topics checked', () => Promise.all([
      ensureTopic(config.kafka, { name: config.kafka.topic, partitions: config.kafka.partitions }),
      ensureTopic(config.kafka, {
        name: config.source.checkpointTopic, partitions: 1,
        config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
      }),
    ]));
    let attempt = 0;
    while (!this.stopping) {
      try {
        await this.session(() => { attempt = 0; });
        this.phase = 'stopped';
        return;
      } catch (err) {
        // Credentials refused at the first connection are a configuration error (exit 2); refused after the
        // pipeline has run (a broker restarting, SCRAM users not loaded yet) they are retried like any outage.
        const retriable = err instanceof PipelineError && (err.retriable || (err instanceof KafkaAuthError && this.everConnected));
        if (!retriable) {
          this.phase = 'stopped';
          throw err;
        }
        if (this.stopping) {
          this.log.info(`stopped while restarting (${err.message}); the checkpoint is where it was`);
          this.phase = 'stopped';
          return;
        }
        attempt++;
        this.phase = 'restarting';
        this.lastError = err.message;
        this.metrics.restarts.inc();
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.75 + Math.random() * 0.5);
        this.log.warn(`${err.message}; restarting from the last checkpoint in ${Math.round(delay)} ms`, { attempt });
        await this.interruptibleSleep(delay);
      }
    }
    this.phase = 'stopped';
    this.log.info('stopped during the back-off before a restart; the checkpoint is where it was');
  }

  /** A start-up step, with how long it took at debug level (where start-up time goes). */
  private async timed<T>(what: string, step: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await step();
    this.log.debug(`${what} in ${Math.round(performance.now() - started)} ms`);
    return result;
  }

  private async interruptibleSleep(ms: number): Promise<void> {
    await Promise.race([sleep(ms), new Promise<void>((resolve) => { this.wake = resolve; })]);
    this.wake = undefined;
  }

  private async session(healthy: () => void): Promise<void> {
    const { config, registry } = this.deps;
    if (this.claimed) await this.timed('ownership checked', () => this.assertStillOwner());
    const server = await this.timed('MySQL checked', () => preflight(this.deps.mysql));
    // A wrong URL stops the daemon now, not at the first change; an outage is retried when a schema is needed.
    const outage = await this.timed('registry checked', () => registry.checkSettings());
    if (outage) this.log.warn(outage);
    // The producer first: its initTransactions fences any older instance, so the checkpoint read next is final.
    const producer = await this.timed('producer ready', () => TxProducer.connect({
      kafka: config.kafka, transactionalId: `cdc-source-${config.source.id}`, logger: this.deps.logger.child({ component: 'producer' }),
    }));
    this.producer = producer;
    this.everConnected = true;
    let reader: BinlogReader | undefined;
    try {
      const found = await this.timed('checkpoint read', () => readCheckpoint(config.kafka, config.source.checkpointTopic, config.source.id));
      const checkpoint = await this.timed('starting point claimed', () => this.startingPoint(producer, server, found));
      if (!checkpoint) return; // stopped during a snapshot; it resumes from its last chunk next time
      const channel = new Channel<SourceItem>(config.source.queueMax, Math.floor(config.source.queueMax / 4), (pause) => {
        if (pause) reader?.pause();
        else reader?.resume();
      });
      this.queued = () => channel.size;
      reader = new BinlogReader({
        mysql: this.deps.mysql, serverId: config.source.serverId, sourceServerId: server.serverId,
        db: config.mysql.database, table: config.mysql.table, start: checkpoint,
        onItem: (item) => {
          if (item.kind === 'changes') this.metrics.changesRead.inc(item.changes.length);
          channel.push(item, item.kind === 'changes' ? item.changes.length : 1);
        },
        onError: (err) => channel.fail(err),
      });
      await this.timed('binlog reader started', () => reader!.start());
      this.phase = 'streaming';
      this.progressed();
      this.wake = () => channel.fail(new StopRequested());
      // A stop asked for while the session was starting (preflight, connect, checkpoint, reader) is acted on now.
      if (this.stopping) this.wake();
      await this.pump(channel, producer, checkpoint, healthy);
    } finally {
      this.wake = undefined;
      this.producer = undefined;
      this.queued = () => 0;
      await reader?.stop();
      await producer.disconnect();
    }
  }

  /**
   * Reads the channel in binlog order and hands whole binlog transactions to the batcher, which commits them
   * with their checkpoint. Idle, it commits what is whole, and now and then the position alone.
   */
  private async pump(channel: Channel<SourceItem>, producer: TxProducer, start: Checkpoint, healthy: () => void): Promise<void> {
    const { config } = this.deps;
    const encoder = new ChangeEncoder(this.deps.registry, `${config.kafka.topic}-value`, config.mysql.table, config.kafka.partitions);
    let lastLog = Date.now();
    const batcher = new TxBatcher({
      producer, topic: config.kafka.topic, checkpointTopic: config.source.checkpointTopic, sourceId: config.source.id,
      owner: this.owner, batchMax: config.source.batchMax,
      onAborted: () => this.metrics.transactions.inc({ outcome: 'aborted' }),
      onCommitted: (committed, changes) => {
        this.counted(committed, changes, channel.size);
        healthy();
        this.deps.onCommit?.(committed);
        if (changes > 0 && Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          this.log.info(`committed through ${committed.file}:${committed.pos}`, { changes: committed.changes, queued: channel.size });
        }
      },
    }, start);

    for (;;) {
      let item: SourceItem | undefined;
      try {
        item = await channel.take(LINGER_MS);
      } catch (err) {
        if (!(err instanceof StopRequested)) {
          await batcher.abandon();
          throw err;
        }
        // Graceful stop: keep what is whole, drop (and later re-read) a half-seen binlog transaction.
        const committed = await batcher.close(true);
        this.log.info(`stopped at ${committed.file}:${committed.pos}`, { changes: committed.changes });
        return;
      }
      try {
        await this.handle(item, batcher, encoder, channel);
      } catch (err) {
        await batcher.abandon();
        throw err;
      }
    }
  }

  private async handle(item: SourceItem | undefined, batcher: TxBatcher, encoder: ChangeEncoder, channel: Channel<SourceItem>): Promise<void> {
    if (item === undefined) {
      // Nothing came for a while: what is whole goes out; staged records are not left waiting.
      await batcher.produceStagedIfReady();
      if (batcher.whole) await batcher.startCommit();
      else if (!batcher.holdsChanges) {
        const { committed, latestBoundary } = batcher;
        const moved = latestBoundary.file !== committed.file || latestBoundary.pos !== committed.pos;
        if (moved && Date.now() - committed.writtenAtMs >= IDLE_CHECKPOINT_MS) await batcher.checkpointOnly();
        else this.progressed();
      }
      return;
    }
    switch (item.kind) {
      case 'table': {
        // Whatever is whole goes out under the old schema before the new shape is even checked.
        if (batcher.whole) await batcher.commitNow();
        const { schemaId, changed } = await encoder.setColumns(item.columns);
        if (changed) this.log.info(`value schema for ${item.columns.length} columns is id ${schemaId}`, { columns: item.columns.map((c) => c.name) });
        return;
      }
      case 'changes': {
        if (!encoder.ready) throw new PipelineError('row event before its table map; restarting from the checkpoint', { retriable: true });
        await batcher.add(this.encodeChanges(encoder, item.changes, Date.now()), item.changes.length);
        return;
      }
      case 'commit': {
        batcher.endOfBinlogTx(item.position, item.tsMs);
        await batcher.commitIfDue(channel.empty);
        return;
      }
    }
  }

  /**
   * Where streaming starts, after whatever must come first: nothing (a checkpoint to resume from), a snapshot
   * (cold start, an interrupted snapshot, or a checkpoint whose binlog was purged). Every path first commits
   * this process's claim, so an older instance that loses its binlog connection to us exits instead of
   * fencing us back.
   */
  private async startingPoint(producer: TxProducer, server: ServerFacts, found: Checkpoint | undefined): Promise<Checkpoint | undefined> {
    const { config } = this.deps;
    const claim = (c: Checkpoint): Checkpoint => ({ ...c, owner: this.owner, writtenAtMs: Date.now() });
    if (found?.snapshot) {
      this.log.info(`resuming the snapshot after ${found.snapshot.rows} rows; streaming follows from ${found.file}:${found.pos}`);
      return this.snapshotPhase(producer, server, claim(found), found.snapshot.since ? new Date(found.snapshot.since) : null);
    }
    if (found && !server.binlogs.includes(found.file)) {
      const since = new Date((found.tsMs || found.writtenAtMs) - config.source.purgedMarginSeconds * 1000);
      this.log.error(
        `binlog ${found.file} of the checkpoint is no longer on the server (purged or expired): falling back to a ` +
          `snapshot of rows changed since ${since.toISOString()} (checkpoint time minus ${config.source.purgedMarginSeconds} s), then streaming`,
        { checkpoint: `${found.file}:${found.pos}`, oldest: server.binlogs[0] });
      return this.snapshotPhase(producer, server, undefined, since, found.changes, true);
    }
    if (found) {
      const checkpoint = claim(found);
      await this.commitCheckpointOnly(producer, checkpoint);
      const previous = found.owner && found.owner !== this.owner ? { previousOwner: found.owner } : {};
      this.log.info(`resuming from checkpoint ${checkpoint.file}:${checkpoint.pos}`, { gtid: checkpoint.gtid, changes: checkpoint.changes, ...previous });
      return checkpoint;
    }
    const policy = config.source.coldStart;
    if (policy.kind === 'latest') {
      const checkpoint: Checkpoint = { ...server.end, tsMs: 0, changes: 0, writtenAtMs: Date.now(), owner: this.owner };
      await this.commitCheckpointOnly(producer, checkpoint);
      this.log.info(`no checkpoint yet: starting at the binlog's end, ${checkpoint.file}:${checkpoint.pos}`);
      return checkpoint;
    }
    return this.snapshotPhase(producer, server, undefined, policy.kind === 'watermark' ? policy.since : null);
  }

  /**
   * Emits the table (rows changed since `since`, or all) from one consistent view as `r` events, chunk by chunk,
   * each chunk committed with a checkpoint that records the snapshot's progress and the binlog position of the
   * first view; then commits the plain checkpoint at that position, where streaming starts. On MariaDB the
   * position is the view's own, so no change is missed and none arrives before its key's snapshot row.
   */
  private async snapshotPhase(producer: TxProducer, server: ServerFacts, resume: Checkpoint | undefined, since: Date | null,
    changesBefore = 0, reconcile = false): Promise<Checkpoint | undefined> {
    const { config } = this.deps;
    const log = this.deps.logger.child({ component: 'snapshot' });
    this.phase = 'snapshot';
    this.progressed();
    const conn = await mysql.createConnection(this.deps.mysql);
    try {
      const view = await openConsistentSnapshot(conn, server.flavor);
      const progress: SnapshotProgress = resume?.snapshot ?? { since: since?.toISOString() ?? null, after: null, rows: 0, reconcile };
      const { snapshot: _inProgress, ...resumed } = resume ?? ({} as Partial<Checkpoint>);
      const base: Checkpoint = resume ? (resumed as Checkpoint) : { ...view, tsMs: 0, changes: changesBefore, writtenAtMs: Date.now(), owner: this.owner };
      await this.commitCheckpointOnly(producer, { ...base, snapshot: progress });
      const encoder = new ChangeEncoder(this.deps.registry, `${config.kafka.topic}-value`, config.mysql.table, config.kafka.partitions);
      await encoder.setColumns(await tableColumns(conn, config.mysql.database, config.mysql.table));
      if (!resume) log.info(`snapshot of ${config.mysql.table} ${since ? `(rows changed since ${since.toISOString()})` : '(all rows)'}, then streaming from ${base.file}:${base.pos}`);
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
          this.metrics.snapshotRows.inc(n - rowsSoFar);
          this.metrics.transactions.inc({ outcome: 'committed' });
          rowsSoFar = n;
          this.progressed();
        },
        shouldStop: () => this.stopping,
      });
      if (stopped) {
        log.info(`stopped during the snapshot after ${rows} rows; it resumes there`);
        return undefined;
      }
      const done: Checkpoint = { ...base, writtenAtMs: Date.now() };
      await producer.begin();
      if (progress.reconcile) {
        // Deletes the binlog can no longer tell: alive on the topic, gone from the table in this same view.
        const [rows] = await conn.query<Array<{ id: number } & mysql.RowDataPacket>>(`SELECT id FROM \`${config.mysql.table}\``);
        const inTable = new Set(rows.map((r) => Number(r.id)));
        const live = await liveKeysOnTopic(config.kafka, config.kafka.topic, this.deps.registry);
        let vanished = 0;
        for (const [id, last] of live) {
          if (inTable.has(id)) continue;
          const event: ChangeEvent = {
            op: 'd', id, row: last,
            source: { serverId: server.serverId, db: config.mysql.database, table: config.mysql.table, file: base.file, pos: base.pos, row: vanished, gtid: null, tsMs: Date.now(), snapshot: true },
          };
          await this.sendChanges(producer, encoder, [event], Date.now());
          vanished++;
        }
        log.warn(`reconciled deletes after the purged binlog: ${vanished} keys alive on the topic are gone from the table`);
      }
      await producer.send(config.source.checkpointTopic, 0, encodeCheckpoint(done), Buffer.from(config.source.id));
      await producer.commit();
      log.info(`snapshot done: ${rows} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; streaming from ${done.file}:${done.pos}`);
      return done;
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /** Metrics after a committed transaction. */
  private counted(checkpoint: Checkpoint, changes: number, queued: number): void {
    const m = this.metrics;
    m.transactions.inc({ outcome: 'committed' });
    m.changesCommitted.inc(changes);
    if (changes > 0 && checkpoint.tsMs > 0) m.msBehindSource.set(Math.max(0, Date.now() - checkpoint.tsMs));
    const fileNumber = Number(/\.(\d+)$/.exec(checkpoint.file)?.[1] ?? NaN);
    if (Number.isFinite(fileNumber)) m.binlogFile.set(fileNumber);
    m.binlogPosition.set(checkpoint.pos);
    m.queueDepth.set(queued);
    this.progressed();
  }

  /** The Kafka records of these changes, in order; a delete is followed by its tombstone when EMIT_TOMBSTONES is on. */
  private encodeChanges(encoder: ChangeEncoder, changes: ChangeEvent[], readAtMs: number): KafkaRecord[] {
    const tombstones = this.deps.config.source.tombstones;
    const records: KafkaRecord[] = [];
    let c = 0, u = 0, d = 0, r = 0;
    for (const change of changes) {
      records.push(encoder.encode(change, readAtMs));
      switch (change.op) {
        case 'c': c++; break;
        case 'u': u++; break;
        case 'r': r++; break;
        case 'd':
          d++;
          if (tombstones) records.push(encoder.tombstone(change));
      }
    }
    const produced = this.metrics.changesProduced;
    if (c) produced.inc({ op: 'c' }, c);
    if (u) produced.inc({ op: 'u' }, u);
    if (d) produced.inc({ op: 'd' }, d);
    if (r) produced.inc({ op: 'r' }, r);
    this.lastSendMs = Date.now();
    return records;
  }

  /** Changes on the topic inside the caller's open transaction (the snapshot's reconciliation). */
  private async sendChanges(producer: TxProducer, encoder: ChangeEncoder, changes: ChangeEvent[], readAtMs: number): Promise<void> {
    for (const record of this.encodeChanges(encoder, changes, readAtMs)) {
      const full = producer.send(this.deps.config.kafka.topic, record.partition, record.value, record.key);
      if (full) await full;
    }
  }

  private async assertStillOwner(): Promise<void> {
    const { config } = this.deps;
    const latest = await readCheckpoint(config.kafka, config.source.checkpointTopic, config.source.id);
    if (latest && latest.owner !== this.owner) {
      throw new FencedError(
        `source id ${config.source.id} was taken over by ${latest.owner}; this instance (${this.owner}) stops ` +
          'so the two never produce side by side');
    }
  }

  private async commitCheckpointOnly(producer: TxProducer, checkpoint: Checkpoint): Promise<void> {
    const { config } = this.deps;
    await producer.begin();
    await producer.send(config.source.checkpointTopic, 0, encodeCheckpoint(checkpoint), Buffer.from(config.source.id));
    await producer.commit();
    this.claimed = true;
  }
}

class StopRequested extends Error {}
