/**
 * Creates the change topic and the checkpoint topic when absent, and refuses a change topic whose partition
 * count differs: re-partitioning moves keys and breaks per-key order.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import { connectClient, disconnectWithin, partitionsOf } from '../kafka/client.js';
import { kafkaError, TopicMismatchError } from '../kafka/errors.js';

const TOPIC_ALREADY_EXISTS = 36;

export interface TopicSpec {
  name: string;
  partitions: number;
  config?: Record<string, string>;
}

export async function ensureTopic(kafka: KafkaConnection, spec: TopicSpec): Promise<'created' | 'exists'> {
  // Metadata first: it is the common case, and its client reports refused credentials (the admin client cannot).
  // Just created with spec.partitions: not checked again, as metadata may not show a new topic's partitions yet.
  if ((await partitionCount(kafka, spec.name)) === 0 && (await createTopic(kafka, spec))) return 'created';
  const actual = await partitionCount(kafka, spec.name);
  if (actual !== spec.partitions) {
    throw new TopicMismatchError(
      `topic ${spec.name} has ${actual} partitions but ${spec.partitions} are configured; re-partitioning would move ` +
        'keys and break per-key order: set KAFKA_PARTITIONS to match or use a new topic');
  }
  return 'exists';
}

/** False when another process created it first. */
async function createTopic(kafka: KafkaConnection, spec: TopicSpec): Promise<boolean> {
  const admin = Kafka.AdminClient.create(rdkafkaOptions(kafka) as Kafka.GlobalConfig);
  try {
    return await new Promise<boolean>((resolve, reject) => {
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
  } finally {
    admin.disconnect();
  }
}

export async function partitionCount(kafka: KafkaConnection, topic: string): Promise<number> {
  // A producer's metadata request may create the topic on a broker with auto.create.topics.enable=true (the
  // broker default), with the broker's partition count and no compaction: never let it.
  const producer = await connectClient(
    new Kafka.Producer({ ...rdkafkaOptions(kafka), 'allow.auto.create.topics': false } as Kafka.ProducerGlobalConfig), 'connecting to Kafka', kafka);
  try {
    return (await partitionsOf(producer, topic)).length;
  } finally {
    await disconnectWithin(producer, 10_000);
  }
}
