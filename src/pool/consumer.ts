/**
 * One consumer of the pool: consume a batch, decode and transform it, append its lines (and dead letters),
 * fsync, and only then commit the offsets. Offsets already in the output (written before a crash, never
 * committed) are skipped, so every offset lands in exactly one line.
 */
import Kafka from 'node-rdkafka';
import type { Config } from '../config.js';
import { rdkafkaOptions } from '../config/kafka.js';
import { PipelineError } from '../errors.js';
import { crashPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { PoolMetrics } from './metrics.js';
import { connectClient, disconnectWithin } from '../kafka/client.js';
import { kafkaError, logClientErrors } from '../kafka/errors.js';
import { parseStats, STATS_INTERVAL_MS, type ClientStats } from '../sink/stats.js';
import { writeBatch, type BatchStats } from './batch.js';
import { consumedOf, type ConsumedBatch } from './packed-batch.js';
import { OffsetCommits } from './offset-commits.js';
import type { Decoder } from './decoder.js';
import type { LineFactory } from './line-workers.js';
import { SlotOutputs, type TableDirs } from './table-outputs.js';

export interface ConsumerDeps {
  config: Config;
  slot: number;
  decoder: Decoder;
  lines: LineFactory;
  dirs: TableDirs;
  logger: Logger;
  metrics: PoolMetrics;
}

export type ConsumerStats = BatchStats;

/** How long a consume call waits for a first message; with partition EOF on, it returns soon after the last one. */
const CONSUME_TIMEOUT_MS = 100;

/** How soon a consume call that found no topic is made again, and after how long that is said in the log. */
const NO_TOPIC_RETRY_MS = 100;
const NO_TOPIC_SAY_MS = 5_000;

/** node-rdkafka's native consumer, called directly for a packed batch (node-rdkafka's JS wrapper drops the flag). */
interface NativeConsumer {
  consume(timeoutMs: number, max: number, cb: (err: (Kafka.LibrdKafkaError & { code: number }) | null, batch: ConsumedBatch | Kafka.Message[]) => void, packed: boolean): void;
}

const EMPTY: ConsumedBatch = consumedOf([]);

/** What the pool reads: the seed's topic and every table topic under TOPIC_PREFIX (a regex subscription finds new ones). */
export function poolTopics(config: Config): string[] {
  return [config.kafka.topic, `^${config.capture.topicPrefix.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\..+`];
}

const tp = (topic: string, partition: number) => `${topic}:${partition}`;

/** The start of a consumer's segment names: which supervisor instance and slot wrote them. */
export function outputBase(instance: string, slot: number): string {
  return instance ? `consumer-${instance}-${slot}` : `consumer-${slot}`;
}

export class PoolConsumer {
  readonly stats: ConsumerStats = { lines: 0, deadLetters: 0, skipped: 0, tombstones: 0 };
  private readonly consumer: Kafka.KafkaConsumer;
  private readonly log: Logger;
  private stopping = false;
  private aborted: Error | undefined;
  /** Held partitions, as `topic:partition`. */
  private assigned = new Map<string, Kafka.TopicPartition>();
  /** Since when consume calls have found no topic (0: they do), and whether that was said. */
  private noTopicSince = 0;
  private saidNoTopic = false;
  private counted: ConsumerStats = { lines: 0, deadLetters: 0, skipped: 0, tombstones: 0 };
  /** Subscribed and consuming; false while connecting and after it stopped. */
  connected = false;
  /** Was connected at some point: a later refusal of the credentials is then not a configuration error. */
  everConnected = false;
  /** When the consume loop last came round: a loop stuck on Kafka or the disk stops advancing it. */
  lastLoopMs = Date.now();
  private readonly commits: OffsetCommits;
  private markersCheckedMs = 0;
  /** The consume loop is running: revocations wait for it to write what it has read. */
  private looping = false;
  /** Partitions the group has taken back, held until what was read of them is written and committed. */
  private revoking: Kafka.Assignment[] = [];
  /** Other supervisors' lines being read into the index after an assignment; writing waits for it. */
  private othersRead: Promise<void> | undefined;

  constructor(private readonly deps: ConsumerDeps) {
    const { config, slot } = deps;
    this.log = deps.logger.child({ component: `consumer-${slot}` });
    this.commits = new OffsetCommits(config.pool.commitEveryMs);
    this.consumer = new Kafka.KafkaConsumer({
      ...rdkafkaOptions(config.kafka),
      'group.id': config.pool.group,
      'client.id': `${config.pool.instance || 'pool'}-consumer-${slot}`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
      'partition.assignment.strategy': 'cooperative-sticky',
      // The broker does not answer a read_committed fetch when a transaction's commit marker makes records
      // readable, only when the wait runs out: this wait is most of the pool's share of a change's latency.
      // Each idle consumer costs the broker 1000 / POOL_FETCH_WAIT_MS fetch requests a second.
      'fetch.wait.max.ms': config.pool.fetchWaitMs,
      // A consume call returns soon after reaching the end of the partitions it reads, with what it has: a
      // trickle is written at once instead of waiting for a full batch (node-rdkafka applies the consume timeout
      // to each message, not to the call).
      'enable.partition.eof': true,
      // The prefetch queue is most of a consumer's memory: bounded by POOL_PREFETCH_KIB.
      'queued.max.messages.kbytes': config.pool.prefetchKiB,
      // Once that bound is reached, librdkafka waits this long before it fetches again (its default, 1000 ms, let
      // the queue run dry under a backlog: consume calls spent 60 % of their time waiting, at ~120k lines/s).
      'fetch.queue.backoff.ms': 5,
      'fetch.max.bytes': Math.max(1 << 20, Math.min(52_428_800, config.pool.prefetchKiB * 1024)),
      'max.partition.fetch.bytes': Math.max(65_536, Math.min(1 << 20, Math.floor((config.pool.prefetchKiB * 1024) / 4))),
      // A consumer that died (kill -9) holds its partitions until the group gives up on it: keep that short.
      'session.timeout.ms': config.pool.sessionTimeoutMs,
      'heartbeat.interval.ms': Math.max(500, Math.min(3000, Math.floor(config.pool.sessionTimeoutMs / 3))),
      // Static membership: a supervisor restarted within the session timeout gets its own partitions back, and
      // no other host takes them meanwhile, so its output index still covers every line it wrote.
      ...(config.pool.staticMember ? { 'group.instance.id': `${config.pool.staticMember}-${slot}` } : {}),
      // Notice a topic created after the pool started (the source creates it) within seconds, not minutes.
      'topic.metadata.refresh.interval.ms': 5000,
      'statistics.interval.ms': STATS_INTERVAL_MS,
      // Assignments are taken at once; a revocation waits until what was read of those partitions is written and
      // committed, so the next owner (maybe on another host) starts exactly after our last line.
      rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => this.onRebalance(err, assignment),
      offset_commit_cb: (err: Kafka.LibrdKafkaError | null) => {
        if (err) this.log.warn(`offset commit failed (${err.message}); the written offsets are skipped on redelivery`);
      },
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
    const { metrics } = deps;
    const consumerLabel = { consumer: String(slot) };
    logClientErrors(this.consumer, this.log);
    this.consumer.on('event.stats', (event: { message: string }) => {
      let stats: ClientStats;
      try {
        stats = parseStats(event.message);
      } catch {
        return; // a malformed statistics blob only costs one sample
      }
      for (const [key, lag] of stats.lagByTopic) {
        const held = this.assigned.get(key);
        if (held && lag >= 0) metrics.lag.set({ topic: held.topic, partition: String(held.partition) }, lag);
      }
    });
    this.consumer.on('rebalance', (err, assignment) => {
      const assigning = err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;
      for (const a of assignment) {
        if (assigning) this.assigned.set(tp(a.topic, a.partition), { topic: a.topic, partition: a.partition });
        else this.assigned.delete(tp(a.topic, a.partition));
      }
      const verb = assigning ? 'assigned' : 'revoked';
      metrics.rebalances.inc({ ...consumerLabel, kind: verb });
      metrics.assigned.set(consumerLabel, this.assigned.size);
      // The new owner reports a revoked partition's lag from now on.
      if (!assigning) {
        for (const a of assignment) metrics.lag.remove({ topic: a.topic, partition: String(a.partition) });
      }
      this.log.info(`${verb} partitions ${describeParts(assignment)}; now holds ${describeParts([...this.assigned.values()])}`);
    });
  }

  /** Held partitions of one topic (the seed's by default), sorted. */
  partitionsOf(topic = this.deps.config.kafka.topic): number[] {
    return [...this.assigned.values()].filter((a) => a.topic === topic).map((a) => a.partition).sort((a, b) => a - b);
  }

  get partitions(): number[] {
    return this.partitionsOf();
  }

  requestStop(): void {
    this.stopping = true;
  }

  /** Ends the consumer as a crash would: no flush, no commit. Used to recycle a consumer (SIGUSR2). */
  abort(reason: string): void {
    this.aborted = new PipelineError(reason, { retriable: true });
  }

  async run(): Promise<void> {
    const { config, slot } = this.deps;
    await connectClient(this.consumer, `consumer-${slot} connecting`, config.kafka);
    // Opened only once connected: a consumer that cannot connect holds no file handles while it backs off.
    let outputs: SlotOutputs | undefined;
    let failure: unknown;
    let next: Promise<ConsumedBatch> | undefined;
    try {
      outputs = new SlotOutputs(this.deps.dirs, outputBase(config.pool.instance, slot));
      this.consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
      const topics = poolTopics(config);
      this.consumer.subscribe(topics);
      this.log.info(`joined group ${config.pool.group} on ${topics.join(', ')}`);
      this.connected = true;
      this.everConnected = true;
      this.looping = true;
      next = this.consumeBatch();
      while (!this.stopping) {
        this.lastLoopMs = Date.now();
        if (this.aborted) throw this.aborted;
        const batch = next ? await next : EMPTY;
        next = undefined;
        if (this.aborted) throw this.aborted;
        // Idle: the position is committed before the next read starts. A read in flight moves the position as its
        // worker thread takes messages, before they reach this loop: committed then, a kill before their lines
        // were written would lose them (seen in tests/integration/tables-crash.test.ts: a partition's 367 lines).
        if (batch.count === 0) this.commitPastMarkers();
        // Read the next batch while this one is written: Kafka, the disk and the decoder work side by side.
        // Not while a revocation waits: what is read of a revoked partition must be written before it is let go.
        if (!this.stopping && this.revoking.length === 0) next = this.consumeBatch();
        if (batch.count > 0) await this.process(batch, outputs);
        // Each turn, idle ones too: what is written is committed within POOL_COMMIT_EVERY_MS and one turn of this loop.
        this.commitDue();
        // Every table's segments close on time (an idle consumer's too, and one of a table missing from this
        // batch), so a loader gets them and the completeness mark can pass them.
        await outputs.rotateIfDue();
        if (this.revoking.length > 0) {
          await this.releaseRevoked(next, outputs);
          next = undefined;
        }
        next ??= this.stopping ? undefined : this.consumeBatch();
      }
      // A batch read ahead but not written is neither in the files nor committed: its next reader gets it again.
      await next?.catch(() => undefined);
      // Every written offset, sent or not, committed and made sure of: a graceful stop hands over exactly after our last line.
      this.commitHeldSync(this.commits.of());
    } catch (err) {
      failure = err;
      await next?.catch(() => undefined);
      // What is written is durable whatever failed: its offsets are worth sending (best effort, not waited for).
      if (!this.aborted) {
        try {
          const offsets = this.commits.of();
          if (offsets.length > 0) this.consumer.commit(offsets);
        } catch {
          // Kafka itself may be what failed; the index skips these lines on redelivery here.
        }
      }
    } finally {
      this.looping = false;
      this.releaseRevokedNow();
      this.connected = false;
      this.deps.metrics.assigned.set({ consumer: String(slot) }, 0);
      await outputs?.close();
      await disconnectWithin(this.consumer, 15_000);
    }
    if (failure) throw failure;
  }

  /**
   * The next batch, packed by the binding when it can (patches/node-rdkafka-consume-packed.patch: a fourth argument
   * `true`); a binding without that hands back message objects, which are packed here.
   */
  private consumeBatch(): Promise<ConsumedBatch> {
    const { config, slot } = this.deps;
    const native = (this.consumer as unknown as { _client: NativeConsumer })._client;
    return new Promise<ConsumedBatch>((resolve, reject) =>
      native.consume(CONSUME_TIMEOUT_MS, config.pool.batch, (err, batch) => {
        if (!err) {
          this.noTopicSince = 0;
          return resolve(Array.isArray(batch) ? consumedOf(batch) : batch);
        }
        // The pool may start before the source has created the topic: wait for it, do not crash-loop. Right after
        // subscribing this is only metadata not loaded yet: asked again soon, and said only when it lasts.
        if (err.code === Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART) {
          this.noTopicSince ||= Date.now();
          if (!this.saidNoTopic && Date.now() - this.noTopicSince > NO_TOPIC_SAY_MS) {
            this.saidNoTopic = true;
            this.log.warn(`topic ${config.kafka.topic} does not exist yet; waiting for it (and the other tables' topics)`);
          }
          return setTimeout(() => resolve(EMPTY), NO_TOPIC_RETRY_MS);
        }
        reject(kafkaError(`consumer-${slot} consuming`, err));
      }, true));
  }

  private async process(batch: ConsumedBatch, outputs: SlotOutputs): Promise<void> {
    const { decoder, lines, metrics } = this.deps;
    if (this.othersRead) {
      const reading = this.othersRead;
      await reading;
      if (this.othersRead === reading) this.othersRead = undefined;
    }
    const offsets = await writeBatch(batch, {
      decoder, lines, outputOf: (topic) => outputs.of(topic), stats: this.stats, log: this.log,
      onTableLines: (topic, n) => metrics.tableLines.inc({ topic }, n),
      onDurable: (times) => {
        const now = Date.now();
        for (const t of times) metrics.endToEnd.observe(Math.max(0, now - t) / 1000);
      },
    });
    this.countWritten();
    if (this.aborted) throw this.aborted;
    this.commits.written(offsets);
  }

  /** Commits, asynchronously, the offsets of durable lines when a commit is due (see OffsetCommits). */
  private commitDue(): void {
    const offsets = this.commits.due(Date.now());
    if (offsets.length === 0) return;
    // Asynchronous: the lines are durable already, and a blocking commit would stall every consumer of the
    // process for a coordinator round trip. A failed one is logged; the index skips the redelivery.
    try {
      this.consumer.commit(offsets);
    } catch (err) {
      this.log.warn(`offset commit failed (${(err as Error).message}); the written offsets are skipped on redelivery`);
    }
  }

  private onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    try {
      if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
        this.consumer.incrementalAssign(assignment);
        // Before anything of these partitions is written: what another supervisor here wrote past its commit.
        if (assignment.length > 0) {
          this.othersRead = this.deps.dirs.refreshOthers();
          this.othersRead.catch(() => undefined); // its failure surfaces in the loop, which awaits it
        }
      }
      else if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
        this.revoking.push(...assignment);
        // Nothing in hand when the loop is not running (starting, stopping, disconnecting): let go at once.
        if (!this.looping) this.releaseRevokedNow();
      }
    } catch (e) {
      if (this.consumer.isConnected()) this.log.warn(`rebalance: ${(e as Error).message}`);
    }
  }

  /**
   * The loop's side of a revocation: a batch read ahead is written too (it may hold revoked partitions'
   * messages), the revoked partitions' commits are made synchronous, and only then are they let go.
   */
  private async releaseRevoked(ahead: Promise<ConsumedBatch> | undefined, outputs: SlotOutputs): Promise<void> {
    const batch = ahead ? await ahead : EMPTY;
    if (batch.count > 0) await this.process(batch, outputs);
    crashPoint('pool.revoking');
    this.commitHeldSync(this.commits.of(this.revoking));
    this.releaseRevokedNow();
  }

  /** Commits, synchronously, the offsets of every line written of these partitions (sent asynchronously or not yet). */
  private commitHeldSync(offsets: Kafka.TopicPartitionOffset[]): void {
    if (offsets.length === 0) return;
    try {
      this.consumer.commitSync(offsets);
    } catch (err) {
      this.log.warn(`offset commit before letting partitions go failed (${(err as Error).message}); this process's index skips the lines, a supervisor elsewhere may repeat them`);
    }
  }

  private releaseRevokedNow(): void {
    if (this.revoking.length === 0) return;
    const gone = this.revoking;
    this.revoking = [];
    // Forgotten only now: the notice comes before the loop has written (and committed) what it read of them.
    this.commits.forget(gone);
    try {
      this.consumer.incrementalUnassign(gone);
    } catch (err) {
      if (this.consumer.isConnected()) this.log.warn(`letting go of revoked partitions: ${(err as Error).message}`);
    }
  }

  /**
   * Each source transaction ends with a commit marker in every partition it wrote; the consumer's position moves
   * past it, but a commit of the last message's offset + 1 does not, so a caught-up group would show a lag of 1
   * per partition forever. When idle, commit the position instead: only markers (and aborted records) lie between.
   */
  private commitPastMarkers(): void {
    if (this.assigned.size === 0 || Date.now() - this.markersCheckedMs < 2000) return;
    this.markersCheckedMs = Date.now();
    try {
      const positions = this.consumer.position([...this.assigned.values()]);
      const ahead = this.commits.ahead(positions
        .filter((p) => typeof p.offset === 'number')
        .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset! })));
      if (ahead.length === 0) return;
      // Asynchronous: this commit only tidies the lag, and a blocking one would stall the event loop (every
      // consumer, /readyz) while the group coordinator is away. A lost one leaves the lag showing until the next commit.
      this.consumer.commit(ahead);
      this.commits.committedPast(ahead);
    } catch (err) {
      this.log.debug(`committing past transaction markers failed (${(err as Error).message}); retried when idle`);
    }
  }

  private countWritten(): void {
    const { metrics, slot } = this.deps;
    const label = { consumer: String(slot) };
    metrics.linesWritten.inc(label, this.stats.lines - this.counted.lines);
    metrics.deadLetters.inc(label, this.stats.deadLetters - this.counted.deadLetters);
    metrics.skipped.inc(label, this.stats.skipped - this.counted.skipped);
    metrics.tombstones.inc(label, this.stats.tombstones - this.counted.tombstones);
    metrics.lastWrite.set(Date.now() / 1000);
    this.counted = { ...this.stats };
  }
}

/** `[0, 3] of product_updates, [1] of cdc.shop.orders` */
function describeParts(parts: Kafka.TopicPartition[]): string {
  const byTopic = new Map<string, number[]>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  if (byTopic.size === 0) return '[]';
  return [...byTopic].map(([t, ps]) => `[${ps.sort((a, b) => a - b).join(', ')}] of ${t}`).join(', ');
}
