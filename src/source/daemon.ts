/**
 * The source daemon's loop, Maxwell-shaped: check the server, load the position, build the reader, run.
 * Every error ends the session; retriable ones start a new session from the last committed checkpoint
 * after a backoff, so recovery is one code path: whatever was not committed is read again.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'mysql2';
import { backoffDelay, Pause } from '../backoff.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import { crashPoint } from '../faults.js';
import type { Logger } from '../log.js';
import { KafkaAuthError, KafkaError } from '../kafka/errors.js';
import { TxProducer } from '../sink/tx-producer.js';
import { TxWriter } from '../sink/tx-writer.js';
import { ensureTopic } from '../sink/topics.js';
import { connectMysql } from '../mysql.js';
import { AddingTables } from './adding.js';
import { BinlogReader, type SourceItem } from './binlog-reader.js';
import { describeCaptured } from './capture/describe.js';
import { onTableDdl } from './capture/ddl-events.js';
import { tableId } from './capture/filter.js';
import { CapturedTables, KeylessTableError, recordsOf } from './capture/tables.js';
import { Channel } from './channel.js';
import { streamsByGtid, type Checkpoint } from './checkpoint.js';
import { CheckpointStore } from './checkpoint-store.js';
import { createSourceMetrics, type SourceMetrics } from './metrics.js';
import { gtidPositionAt, preflight } from './preflight.js';
import { StartPlan } from './start-plan.js';
import { TxBatcher } from './tx-batcher.js';

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
/** An idle producer Kafka has not answered for this long is replaced (a new session). */
const PRODUCER_SILENT_MS = 45_000;
/** Changes waiting this long without a commit make the daemon not ready. */
const STALL_MS = 60_000;

type Phase = 'starting' | 'snapshot' | 'streaming' | 'restarting' | 'stopped';

export class SourceDaemon {
  private stopping = false;
  private wake: (() => void) | undefined;
  /** The wait between sessions, cut short by a stop. */
  private readonly backoff = new Pause();
  private readonly log: Logger;
  /** Reads and writes the position; holds this process's claim on the source id, written into every checkpoint. */
  private readonly store: CheckpointStore;
  readonly metrics: SourceMetrics;
  private phase: Phase = 'starting';
  private lastError = '';
  private producer: TxProducer | undefined;
  private queued: () => number = () => 0;
  private lastProgressMs = Date.now();
  /** When the last change was encoded: a long binlog transaction is progress before its commit. */
  private lastSendMs: () => number = () => 0;
  private everConnected = false;
  private topicsReady = false;
  /** When the last change was encoded: a long binlog transaction is progress before its commit. */
  private lastEncodedMs = 0;

  constructor(private readonly deps: SourceDeps) {
    this.log = deps.logger.child({ component: 'source' });
    this.metrics = deps.metrics ?? createSourceMetrics();
    const { config } = deps;
    this.store = new CheckpointStore({
      kafka: config.kafka, topic: config.source.checkpointTopic, sourceId: config.source.id,
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    });
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
    const quiet = Date.now() - Math.max(this.lastProgressMs, this.lastSendMs());
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
    this.backoff.wake();
  }

  async run(): Promise<void> {
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
        const delay = backoffDelay(attempt);
        this.log.warn(`${err.message}; restarting from the last checkpoint in ${Math.round(delay)} ms`, { attempt });
        await this.backoff.for(delay);
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

  private async session(healthy: () => void): Promise<void> {
    const { config, registry } = this.deps;
    if (!this.topicsReady) {
      // In the session, not before: Kafka down at start is waited for like any outage, with its reason logged.
      await this.timed('topics checked', () => Promise.all([
        ensureTopic(config.kafka, { name: config.kafka.topic, partitions: config.kafka.partitions }),
        ensureTopic(config.kafka, {
          name: config.source.checkpointTopic, partitions: 1,
          config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
        }),
      ]));
      this.topicsReady = true;
    }
    await this.timed('ownership checked', () => this.store.assertStillOwner());
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
    const writer = new TxWriter(producer);
    let reader: BinlogReader | undefined;
    try {
      const tables = new CapturedTables({
        capture: config.capture, registry, seedTopic: config.kafka.topic, partitions: config.kafka.partitions,
        ensureTopic: async (name) => { await ensureTopic(config.kafka, { name, partitions: config.kafka.partitions }); },
      });
      // What the binlog's row metadata cannot tell, and a keyless table refused before anything is read.
      const overrides = await this.timed('captured tables described', () => this.describe(tables));
      const found = await this.timed('checkpoint read', () => this.store.read());
      const plan = new StartPlan({
        config, mysql: this.deps.mysql, registry, logger: this.deps.logger, metrics: this.metrics, store: this.store, tables,
        onSnapshot: () => { this.phase = 'snapshot'; this.progressed(); },
        onProgress: () => this.progressed(),
        shouldStop: () => this.stopping,
      });
      const checkpoint = await this.timed('starting point claimed', () => plan.startingPoint(writer, server, found));
      if (!checkpoint) return; // stopped during a snapshot; it resumes from its last chunk next time
      // A start point without GTIDs: seed the ones the reader carries from the server's answer for that point.
      if (checkpoint.gtid === null) checkpoint.gtid = await gtidPositionAt(this.deps.mysql, server.flavor, checkpoint);
      const channel = new Channel<SourceItem>(config.source.queueMax, Math.floor(config.source.queueMax / 4), (pause) => {
        if (pause) reader?.pause();
        else reader?.resume();
      }, { high: config.source.queueBytes, low: Math.floor(config.source.queueBytes / 4) });
      this.queued = () => channel.size;
      reader = new BinlogReader({
        mysql: this.deps.mysql, serverId: config.source.serverId, sourceServerId: server.serverId, flavor: server.flavor,
        // The start plan returns a checkpoint whose binlog is gone only when its GTID set can be resumed from.
        byGtid: streamsByGtid(server, checkpoint),
        heartbeatMs: config.source.heartbeatSeconds * 1000,
        captures: (db, table) => tables.captures(db, table),
        overrides: (db, table) => overrides.get(`${db}.${table}`),
        start: checkpoint,
        onItem: (item) => {
          if (item.kind === 'changes') this.metrics.changesRead.inc({ table: tableId(item.table) }, item.changes.length);
          channel.push(item, item.kind === 'changes' ? item.changes.length : 1, item.kind === 'changes' ? item.bytes : 0);
        },
        onError: (err) => channel.fail(err),
      });
      await this.timed('binlog reader started', () => reader!.start());
      this.phase = 'streaming';
      this.progressed();
      this.wake = () => channel.fail(new StopRequested());
      // A stop asked for while the session was starting (preflight, connect, checkpoint, reader) is acted on now.
      if (this.stopping) this.wake();
      const adding = new AddingTables({
        config, mysql: this.deps.mysql, tables, flavor: server.flavor, serverId: server.serverId, logger: this.deps.logger,
      }, checkpoint.adding ?? []);
      await this.pump(channel, writer, tables, adding, checkpoint, healthy);
    } finally {
      this.wake = undefined;
      this.producer = undefined;
      this.queued = () => 0;
      await reader?.stop();
      await producer.disconnect();
    }
  }

  /**
   * The captured tables as INFORMATION_SCHEMA has them now: MariaDB's BINARY-backed types per column (for the
   * reader), and a table without a primary key refused unless opted in.
   */
  private async describe(tables: CapturedTables): Promise<Map<string, ReadonlyMap<string, string>>> {
    const conn = await connectMysql(this.deps.mysql);
    try {
      const described = await describeCaptured(conn, tables.filter);
      const keyless = described.filter((d) => d.keyColumns.length === 0).map((d) => tableId(d.ref));
      if (keyless.length > 0 && this.deps.config.capture.keyless === 'refuse') {
        throw new KeylessTableError(`captured table${keyless.length > 1 ? 's' : ''} ${keyless.join(', ')} ha${keyless.length > 1 ? 've' : 's'} no primary key, ` +
          'so changes cannot be keyed or kept in order per row; give each a primary key, leave it out with CAPTURE_EXCLUDE, or set ' +
          'KEYLESS_TABLES=partition-zero (all of its changes in partition 0, keyed by the whole row)');
      }
      if (described.length === 0) this.log.warn(`no table the account can read matches CAPTURE_TABLES=${tables.filter.includeText.join(',')}; waiting for one to be created`);
      return new Map(described.map((d) => [tableId(d.ref), d.overrides]));
    } finally {
      await conn.end().catch(() => undefined);
    }
  }

  /**
   * Reads the channel in binlog order and hands whole binlog transactions to the batcher, which commits them
   * with their checkpoint. Idle, it commits what is whole, and now and then the position alone.
   */
  private async pump(channel: Channel<SourceItem>, writer: TxWriter, tables: CapturedTables, adding: AddingTables,
    start: Checkpoint, healthy: () => void): Promise<void> {
    const { config } = this.deps;
    this.lastSendMs = () => this.lastEncodedMs;
    let lastLog = Date.now();
    const captured = new Set(start.tables ?? [tableId(config.capture.seed)]);
    const batcher = new TxBatcher({
      writer, store: this.store, batchMax: config.source.batchMax, lingerMs: config.source.commitLingerMs,
      extra: () => {
        for (const id of adding.finished.splice(0)) captured.add(id);
        return adding.active ? { tables: [...captured], adding: adding.progress() } : { tables: [...captured] };
      },
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
        // Idle with a whole transaction in hand: it commits once its linger is over.
        item = await channel.take(Math.max(1, Math.min(LINGER_MS, batcher.lingerLeft())));
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
        await this.handle(item, batcher, tables, adding, channel, captured);
      } catch (err) {
        await batcher.abandon();
        throw err;
      }
    }
  }

  private async handle(item: SourceItem | undefined, batcher: TxBatcher, tables: CapturedTables, adding: AddingTables,
    channel: Channel<SourceItem>, captured: Set<string>): Promise<void> {
    adding.pump();
    if (item === undefined) {
      // An idle producer whose Kafka stopped answering may never reconnect by itself (seen after a broker
      // restart): a new session brings a new connection. Busy, a failing commit restarts the session anyway.
      const quiet = this.producer?.probe?.quietMs ?? 0;
      if (quiet > PRODUCER_SILENT_MS && !batcher.holdsChanges) {
        throw new KafkaError(`Kafka has not answered the producer for ${Math.round(quiet / 1000)} s; starting a new session with a new connection`);
      }
      // Nothing came for a while: what is whole goes out; staged records held long enough are not left waiting.
      await batcher.produceStagedIfReady();
      if (!batcher.holdsChanges || batcher.whole) await this.addSnapshotChunk(batcher, adding);
      if (batcher.whole) {
        if (batcher.lingerLeft() === 0) await batcher.startCommit();
      } else if (!batcher.holdsChanges) {
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
        const { schemaId, changed, table } = await tables.setShape(item.table, item.columns, item.keyColumns);
        if (!captured.has(table.id) && !adding.progress().some((a) => a.table === table.id)) captured.add(table.id);
        if (changed) {
          this.log.info(`value schema of ${table.id} for ${item.columns.length} columns is id ${schemaId} on ${table.topic}`,
            { columns: item.columns.map((c) => c.name) });
        }
        return;
      }
      case 'changes': {
        const table = tables.get(item.table);
        if (!table?.encoder.ready) throw new PipelineError('row event before its table map; restarting from the checkpoint', { retriable: true });
        await batcher.add(this.recordsOf(table, item.changes), item.changes.length);
        return;
      }
      case 'ddl': {
        onTableDdl(item.db, item.statement, { tables, captured, log: this.log, truncates: this.metrics.truncates });
        return;
      }
      case 'commit': {
        batcher.endOfBinlogTx(item.position, item.tsMs);
        await this.addSnapshotChunk(batcher, adding);
        await batcher.commitIfDue(channel.empty);
        return;
      }
    }
  }

  private recordsOf(table: ReturnType<CapturedTables['get']> & object, changes: import('../model/change.js').ChangeEvent[]) {
    const records = recordsOf(table, changes, Date.now(), this.deps.config.source.tombstones);
    // Counted per rows event, not per change: a labelled counter costs about 100 ns.
    let c = 0, u = 0, d = 0;
    for (const change of changes) {
      if (change.op === 'c') c++;
      else if (change.op === 'u') u++;
      else if (change.op === 'd') d++;
    }
    const produced = this.metrics.changesProduced;
    if (c) produced.inc({ op: 'c', table: table.id }, c);
    if (u) produced.inc({ op: 'u', table: table.id }, u);
    if (d) produced.inc({ op: 'd', table: table.id }, d);
    this.lastEncodedMs = Date.now();
    return records;
  }

  /**
   * A chunk of a table being added goes into the open Kafka transaction when the stream stands exactly at its
   * view's point, nothing of the next binlog transaction taken yet.
   */
  private async addSnapshotChunk(batcher: TxBatcher, adding: AddingTables): Promise<void> {
    if (!adding.active || batcher.midBinlogTx) return;
    const chunk = await adding.atBoundary(batcher.latestBoundary);
    if (!chunk) return;
    if (chunk.rows > 0) {
      this.metrics.changesProduced.inc({ op: 'r', table: 'snapshot' }, chunk.rows);
      this.metrics.snapshotRows.inc(chunk.rows);
    }
    await batcher.addAtBoundary(chunk.records, chunk.rows);
    crashPoint('snapshot.added');
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
}

class StopRequested extends Error {}
