/**
 * One consumer of the pool: consume a batch, decode and transform it, append its lines (and dead letters),
 * fsync, and only then commit the offsets. Offsets already in the output (written before a crash, never
 * committed) are skipped, so every offset lands in exactly one line.
 */
import Kafka from 'node-rdkafka';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { kafkaError } from '../sink/errors.js';
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

  constructor(private readonly deps: ConsumerDeps) {
    const { config, slot } = deps;
    this.log = deps.logger.child({ component: `consumer-${slot}` });
    this.consumer = new Kafka.KafkaConsumer({
      'metadata.broker.list': config.kafka.brokers,
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
      rebalance_cb: true,
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
    this.consumer.on('rebalance', (err, assignment) => {
      const parts = assignment.map((a) => a.partition);
      if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) parts.forEach((p) => this.assigned.add(p));
      else parts.forEach((p) => this.assigned.delete(p));
      const verb = err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS ? 'assigned' : 'revoked';
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
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(kafkaError(`consumer-${slot} connecting`, err)) : resolve())));
    let failure: unknown;
    try {
      this.consumer.setDefaultConsumeTimeout(200);
      this.consumer.subscribe([config.kafka.topic]);
      this.log.info(`joined group ${config.pool.group} on ${config.kafka.topic}`);
      while (!this.stopping) {
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
      }
    } catch (err) {
      failure = err;
    } finally {
      await lines.close().catch(() => undefined);
      await dead.close().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 15_000);
        this.consumer.disconnect(() => { clearTimeout(timer); resolve(); });
      });
    }
    if (failure) throw failure;
  }

  private async process(batch: Kafka.Message[], lines: LineFile, dead: LineFile): Promise<void> {
    const { config, index, decoder } = this.deps;
    const offsets = await writeBatch(batch, { decoder, index, rule: config.pool.discount, lines, dead, stats: this.stats, log: this.log });
    if (this.aborted) throw this.aborted;
    try {
      this.consumer.commitSync(offsets);
    } catch (err) {
      // A partition revoked meanwhile cannot be committed here; its lines are in the index, so its next owner skips them.
      this.log.warn(`offset commit failed (${(err as Error).message}); the written offsets are skipped on redelivery`);
    }
  }
}
