/**
 * Topics a benchmark creates, counts and deletes, through node-rdkafka (KafkaJS 2.2.4 prints a
 * TimeoutNegativeWarning on Node 24 at every connect, kafkajs#1751), so repeated runs do not leave the broker
 * carrying thousands of partitions.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions } from '../../src/config/kafka.js';
import { connectClient, disconnectWithin } from '../../src/kafka/client.js';
import { config } from './pipeline.js';

type Connection = typeof config.kafka;

export class TopicAdmin {
  private constructor(private readonly kafka: Connection, private readonly client: Kafka.Producer) {}

  static async open(kafka: Connection = config.kafka): Promise<TopicAdmin> {
    const client = new Kafka.Producer({ ...rdkafkaOptions(kafka), 'allow.auto.create.topics': false } as Kafka.ProducerGlobalConfig);
    return new TopicAdmin(kafka, await connectClient(client, 'bench: connecting to Kafka', kafka));
  }

  async list(): Promise<string[]> {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) => this.client.getMetadata({ timeout: 30_000 }, (err, m) => (err ? reject(err) : resolve(m))));
    return md.topics.map((t) => t.name);
  }

  /** Created with `partitions` each (one that exists already is left as it is), once each partition has a leader. */
  async create(names: string[], partitions: number): Promise<void> {
    await this.admin(async (admin) => {
      for (const topic of names) {
        await new Promise<void>((resolve, reject) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: -1 }, 30_000,
          (err) => (!err || err.code === 36 ? resolve() : reject(new Error(`creating ${topic}: ${err.message}`)))));
      }
    });
    const deadline = Date.now() + 30_000;
    for (const topic of names) {
      for (;;) {
        const md = await new Promise<Kafka.Metadata>((resolve, reject) => this.client.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
        const parts = md.topics.find((t) => t.name === topic)?.partitions ?? [];
        if (parts.length === partitions && parts.every((p) => p.leader >= 0)) break;
        if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader for every partition after 30 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Records on the topic: the sum of its partitions' high watermarks (its low ones are 0 on a fresh topic). */
  async records(topic: string, partitions = 1): Promise<number> {
    let sum = 0;
    for (let p = 0; p < partitions; p++) {
      sum += await new Promise<number>((resolve, reject) => this.client.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))));
    }
    return sum;
  }

  async delete(names: string[]): Promise<void> {
    const existing = new Set(await this.list());
    await this.admin(async (admin) => {
      for (const topic of names.filter((n) => existing.has(n))) {
        await new Promise<void>((resolve, reject) => admin.deleteTopic(topic, 60_000, (err) => (err ? reject(new Error(`deleting ${topic}: ${err.message}`)) : resolve())));
      }
    });
  }

  close(): Promise<void> {
    return disconnectWithin(this.client, 10_000);
  }

  private async admin<T>(work: (admin: Kafka.IAdminClient) => Promise<T>): Promise<T> {
    const admin = Kafka.AdminClient.create(rdkafkaOptions(this.kafka) as Kafka.GlobalConfig);
    try {
      return await work(admin);
    } finally {
      admin.disconnect();
    }
  }
}

export async function deleteTopics(names: string[], kafka: Connection = config.kafka): Promise<void> {
  if (names.length === 0) return;
  const admin = await TopicAdmin.open(kafka);
  try {
    await admin.delete(names);
  } finally {
    await admin.close();
  }
}

export async function listTopics(kafka: Connection = config.kafka): Promise<string[]> {
  const admin = await TopicAdmin.open(kafka);
  try {
    return await admin.list();
  } finally {
    await admin.close();
  }
}
