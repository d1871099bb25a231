/**
 * Follows a source's checkpoint as it is committed (one read_committed consumer on the checkpoint topic), so a
 * scenario learns when the source reached a position without polling the topic from scratch.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions } from '../../src/config/kafka.js';
import { decodeCheckpoint, type Checkpoint } from '../../src/source/checkpoint.js';
import { config } from './pipeline.js';

export class CheckpointTail {
  latest: Checkpoint | undefined;
  /** When the first checkpoint carrying changes arrived, and its counter. */
  firstChanges: { at: number; changes: number } | undefined;
  private constructor(private readonly consumer: Kafka.KafkaConsumer) {}

  static async start(topic: string, key: string, kafka = config.kafka): Promise<CheckpointTail> {
    const consumer = new Kafka.KafkaConsumer({
      ...rdkafkaOptions(kafka), 'group.id': `bench-tail-${Date.now()}`, 'enable.auto.commit': false,
      'isolation.level': 'read_committed', 'fetch.wait.max.ms': 20,
    } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
    await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
    const tail = new CheckpointTail(consumer);
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    consumer.on('data', (m) => {
      if (m.key?.toString() !== key || !m.value) return;
      const c = decodeCheckpoint(m.value);
      tail.latest = c;
      if (c.changes > 0 && !tail.firstChanges) tail.firstChanges = { at: performance.now(), changes: c.changes };
    });
    consumer.consume();
    return tail;
  }

  reached(end: { file: string; pos: number }): boolean {
    const c = this.latest;
    return c !== undefined && (c.file > end.file || (c.file === end.file && c.pos >= end.pos));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}
