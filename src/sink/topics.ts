/**
 * Creates the change topic and the checkpoint topic when absent, and refuses a change topic whose partition
 * count differs: re-partitioning moves keys and breaks per-key order.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import { kafkaError, TopicMismatchError } from './errors.js';

const TOPIC_ALREADY_EXISTS = 36;

export interface TopicSpec {
  name: string;
  partitions: number;
  config?: Record<string, string>;
}

export async function ensureTopic(kafka: KafkaConnection, spec: TopicSpec): Promise<'created' | 'exists'> {
  const admin = Kafka.AdminClient.create(rdkafkaOptions(kafka) as Kafka.GlobalConfig);
  try {
    const created = await new Promise<boolean>((resolve, reject) => {
      admin.createTopic(
        { topic: spec.name, num_partitions: spec.partitions, replication_factor: -1, config: spec.config ?? {} },
        30_000,
        (err) => {
          if (!err) resolve(true);
          else if (err.code === TOPIC_ALREADY_EXISTS) resolve(false);
          else reject(kafkaError(`creating topic ${spec.name}`, err));
        },
      );
    });
    if (created) return 'created';
  } finally {
    admin.disconnect();
  }
  const actual = await partitionCount(kafka, spec.name);
  if (actual !== spec.partitions) {
    throw new TopicMismatchError(
      `topic ${spec.name} has ${actual} partitions but ${spec.partitions} are configured; re-partitioning would move ` +
        'keys and break per-key order: set KAFKA_PARTITIONS to match or use a new topic');
  }
  return 'exists';
}

export async function partitionCount(kafka: KafkaConnection, topic: string): Promise<number> {
  const producer = new Kafka.Producer(rdkafkaOptions(kafka) as Kafka.ProducerGlobalConfig);
  await new Promise<void>((resolve, reject) =>
    producer.connect({ topic, timeout: 30_000 }, (err) => (err ? reject(kafkaError('connecting to Kafka', err)) : resolve())));
  try {
    const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
      producer.getMetadata({ topic, timeout: 30_000 }, (err, data) => (err ? reject(kafkaError(`reading metadata of ${topic}`, err)) : resolve(data))));
    const found = metadata.topics.find((t) => t.name === topic);
    return found ? found.partitions.length : 0;
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}
