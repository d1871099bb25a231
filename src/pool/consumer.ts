/**
 * One consumer of the pool: consume a batch, decode and transform it, append its lines (and dead letters),
 * fsync, and only then commit the offsets. Offsets already in the output (written before a crash, never
 * committed) are skipped, so every offset lands in exactly one line.
 */
import Kafka from 'node-rdkafka';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { rdkafkaOptions } from '../config/kafka.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PoolMetrics } from '../ops/pool-metrics.js';
import { disconnectWithin } from '../sink/disconnect.js';
import { connectError, kafkaError, logClientErrors } from '../sink/errors.js';
import { parseStats, STATS_INTERVAL_MS, type ClientStats } from '../sink/stats.js';
import { writeBatch, type BatchStats } from './batch.js';
import type { Decoder } from './decoder.js';
import { LineFile } from './line-file.js';
import type { OutputIndex } from './output-index.js';

export interface ConsumerDeps {
  config: Config;
  slot: number;
  decoder: Decoder;
  index: OutputIndex;
  logger: Logger;
  metrics: PoolMetrics;
}

export type ConsumerStats = BatchStats;

export function outputName(instance: string, slot: number, kind: 'lines' | 'dead'): string {
  const base = instance ? `consumer-${instance}-${slot}` : `consumer-${slot}`;
  return kind === 'lines' ? `${base}.jsonl` : `${base}.deadletter.jsonl`;
}

export class PoolConsumer {
  readonly stats: ConsumerStats = { lines: 0, deadLetters: 0, skipped: 0, tombstones: 0 };
  private readonly consumer: Kafka.KafkaConsumer;
  private readonly log: Logger;
  private stopping = false;
  private aborted: Error | undefined;
  private assigned = new Set<number>();
  private waitingForTopic = false;
  private counted: ConsumerStats = { lines: 0, deadLetters: 0, skipped: 0, tombstones: 0 };
  /** Subscribed and consuming; false while connecting and after it stopped. */
  connected = false;
  /** Was connected at some point: a later refusal of the credentials is then not a configuration error. */
  everConnected = false;
  /** When the consume loop last came round: a loop stuck on Kafka or the disk stops advancing it. */
  lastLoopMs = Date.now();
  private readonly committedNext = new Map<number, number>();
  private markersCheckedMs = 0;

  constructor(private readonly deps: ConsumerDeps) {
    const { config, slot } = deps;
    this.log = deps.logger.child({ component: `consumer-${slot}` });
    this.consumer = new Kafka.KafkaConsumer({
      ...rdkafkaOptions(config.kafka),
      'group.id': config.pool.group,
      'client.id': `${config.pool.instance || 'pool'}-consumer-${slot}`,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
      'partition.assignment.strategy': 'cooperative-sticky',
      'fetch.wait.max.ms': 100,
      // A consumer that died (kill -9) holds its partitions until the group gives up on it: keep that short.
      'session.timeout.ms': 6000,
      'heartbeat.interval.ms': 2000,
      // Notice a topic created after the pool started (the source creates it) within seconds, not minutes.
      'topic.metadata.refresh.interval.ms': 5000,
      'statistics.interval.ms': STATS_INTERVAL_MS,
      rebalance_cb: true,
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
    const { metrics } = deps;
    const consumerLabel = { consumer: String(slot) };
    logClientErrors(this.consumer, this.log);
    this.consumer.on('event.stats', (event: { message: string }) => {
      let stats: ClientStats;
      try {
        stats = parseStats(event.message, config.kafka.topic);
      } catch {
        return; // a malformed statistics blob only costs one sample
      }
      for (const [partition, lag] of stats.lag) {
        if (this.assigned.has(partition) && lag >= 0) metrics.lag.set({ partition: String(partition) }, lag);
      }
    });
    this.consumer.on('rebalance', (err, assignment) => {
      const parts = assignment.map((a) => a.partition);
      if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) parts.forEach((p) => this.assigned.add(p));
      else parts.forEach((p) => this.assigned.delete(p));
      const verb = err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS ? 'assigned' : 'revoked';
      metrics.rebalances.inc({ ...consumerLabel, kind: verb });
      metrics.assigned.set(consumerLabel, this.assigned.size);
      // The new owner reports a revoked partition's lag from now on.
      if (verb === 'revoked') {
        for (const p of parts) {
          metrics.lag.remove({ partition: String(p) });
          this.committedNext.delete(p);
        }
      }
      this.log.info(`${verb} partitions [${parts.join(', ')}]; now holds [${[...this.assigned].sort((a, b) => a - b).join(', ')}]`);
    });
  }

  get partitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
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
    const lines = await LineFile.open(join(config.pool.outputDir, outputName(config.pool.instance, slot, 'lines')));
    const dead = await LineFile.open(join(config.pool.outputDir, outputName(config.pool.instance, slot, 'dead')));
    await new Promise<void>((resolve, reject) => this.consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())))
      .catch(async (err) => { throw await connectError(`consumer-${slot} connecting`, err, config.kafka); });
    let failure: unknown;
    try {
      this.consumer.setDefaultConsumeTimeout(200);
      this.consumer.subscribe([config.kafka.topic]);
      this.log.info(`joined group ${config.pool.group} on ${config.kafka.topic}`);
      this.connected = true;
      this.everConnected = true;
      while (!this.stopping) {
        this.lastLoopMs = Date.now();
        if (this.aborted) throw this.aborted;
        const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
          this.consumer.consume(config.pool.batch, (err, messages) => {
            if (!err) return resolve(messages);
            // The pool may start before the source has created the topic: wait for it, do not crash-loop.
            if (err.code === Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART) {
              if (!this.waitingForTopic) this.log.warn(`topic ${config.kafka.topic} does not exist yet; waiting for it`);
              this.waitingForTopic = true;
              return setTimeout(() => resolve([]), 1000);
            }
            reject(kafkaError(`consumer-${slot} consuming`, err));
          }));
        if (this.aborted) throw this.aborted;
        if (batch.length > 0) await this.process(batch, lines, dead);
        else this.commitPastMarkers();
      }
    } catch (err) {
      failure = err;
    } finally {
      this.connected = false;
      this.deps.metrics.assigned.set({ consumer: String(slot) }, 0);
      await lines.close().catch(() => undefined);
      await dead.close().catch(() => undefined);
      await disconnectWithin(this.consumer, 15_000);
    }
    if (failure) throw failure;
  }

  private async process(batch: Kafka.Message[], lines: LineFile, dead: LineFile): Promise<void> {
    const { config, index, decoder } = this.deps;
    const offsets = await writeBatch(batch, { decoder, index, rule: config.pool.discount, lines, dead, stats: this.stats, log: this.log });
    this.countWritten();
    if (this.aborted) throw this.aborted;
    try {
      this.consumer.commitSync(offsets);
      for (const o of offsets) this.committedNext.set(o.partition, o.offset);
    } catch (err) {
      // A partition revoked meanwhile cannot be committed here; its lines are in the index, so its next owner skips them.
      this.log.warn(`offset commit failed (${(err as Error).message}); the written offsets are skipped on redelivery`);
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
    const { topic } = this.deps.config.kafka;
    try {
      const positions = this.consumer.position([...this.assigned].map((partition) => ({ topic, partition })));
      const ahead = positions
        .filter((p) => typeof p.offset === 'number' && p.offset >= 0 && p.offset > (this.committedNext.get(p.partition) ?? -1))
        .map((p) => ({ topic, partition: p.partition, offset: p.offset! }));
      if (ahead.length === 0) return;
      // Asynchronous: this commit only tidies the lag, and a blocking one would stall the event loop (every
      // consumer, /readyz) while the group coordinator is away. A lost one is redone by the next batch's commit.
      this.consumer.commit(ahead);
      for (const p of ahead) this.committedNext.set(p.partition, p.offset);
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
