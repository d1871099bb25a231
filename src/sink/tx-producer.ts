/**
 * node-rdkafka's transactional producer behind promises. One instance per source session: a new session
 * (after any error) builds a new producer, whose initTransactions fences older ones and aborts whatever
 * they left open.
 */
import Kafka from 'node-rdkafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import type { Logger } from '../log.js';
import { connectClient, disconnectWithin } from '../kafka/client.js';
import { kafkaError, logClientErrors } from '../kafka/errors.js';
import { KafkaProbe } from './probe.js';
import { parseStats, STATS_INTERVAL_MS, type ClientStats } from './stats.js';

const QUEUE_FULL = -184;

export interface TxProducerOptions {
  kafka: KafkaConnection;
  transactionalId: string;
  /** Receives librdkafka's own errors (broker down, authentication failed), each kind at most every 30 s. */
  logger?: Logger;
}

export class TxProducer {
  /** The latest librdkafka statistics (queue depth), for /metrics. */
  stats: ClientStats | undefined;
  /** Whether Kafka answers, for /readyz; asked from the moment the producer is ready. */
  probe: KafkaProbe | undefined;

  private constructor(private readonly producer: Kafka.Producer) {
    producer.on('event.stats', (event: { message: string }) => {
      try {
        this.stats = parseStats(event.message);
      } catch {
        // A malformed statistics blob only costs one sample.
      }
    });
  }

  static async connect(options: TxProducerOptions): Promise<TxProducer> {
    const producer = new Kafka.Producer({
      'transactional.id': options.transactionalId,
      'enable.idempotence': true,
      'transaction.timeout.ms': 300_000,
      'linger.ms': 5,
      'batch.num.messages': 10_000,
      'queue.buffering.max.messages': 200_000,
      'compression.codec': 'lz4',
      dr_cb: false,
      'statistics.interval.ms': STATS_INTERVAL_MS,
      // Security and pass-through settings last: an operator's RDKAFKA_LINGER_MS wins over the tuning above.
      ...rdkafkaOptions(options.kafka),
    } as Kafka.ProducerGlobalConfig);
    const tx = new TxProducer(producer);
    if (options.logger) logClientErrors(producer, options.logger);
    await connectClient(producer, 'connecting the producer', options.kafka);
    producer.setPollInterval(50);
    try {
      await tx.call('initialising transactions', (cb) => producer.initTransactions(60_000, cb));
    } catch (err) {
      await tx.disconnect();
      throw err;
    }
    tx.probe = new KafkaProbe(producer);
    return tx;
  }

  begin(): Promise<void> {
    return this.call('beginning a transaction', (cb) => this.producer.beginTransaction(cb));
  }

  commit(): Promise<void> {
    return this.call('committing a transaction', (cb) => this.producer.commitTransaction(60_000, cb));
  }

  abort(): Promise<void> {
    return this.call('aborting a transaction', (cb) => this.producer.abortTransaction(60_000, cb));
  }

  /**
   * Enqueues one record. Returns undefined when librdkafka took it at once (nearly always: no promise per
   * record), else a promise that resolves once it did; the caller awaits that before the next record. Waiting
   * (polling) while librdkafka's local queue is full is what bounds memory.
   */
  send(topic: string, partition: number, value: Buffer | null, key: Buffer): Promise<void> | undefined {
    try {
      this.producer.produce(topic, partition, value, key, null);
      return undefined;
    } catch (err) {
      if ((err as { code?: number }).code !== QUEUE_FULL) throw kafkaError(`producing to ${topic}`, err);
      return this.sendWhenRoom(topic, partition, value, key);
    }
  }

  private async sendWhenRoom(topic: string, partition: number, value: Buffer | null, key: Buffer): Promise<void> {
    for (;;) {
      this.producer.poll();
      await sleep(5);
      try {
        this.producer.produce(topic, partition, value, key, null);
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== QUEUE_FULL) throw kafkaError(`producing to ${topic}`, err);
      }
    }
  }

  disconnect(): Promise<void> {
    this.probe?.stop();
    return disconnectWithin(this.producer, 10_000);
  }

  private call(what: string, fn: (cb: (err: unknown) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => fn((err) => (err ? reject(kafkaError(what, err)) : resolve())));
  }
}
