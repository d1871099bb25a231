/** Deletes topics a benchmark created, so repeated runs do not leave the broker carrying thousands of partitions. */
import { Kafka, logLevel } from 'kafkajs';
import { kafkajsOptions } from '../../src/config/kafka.js';
import { config } from './pipeline.js';

export async function deleteTopics(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const admin = new Kafka({ ...kafkajsOptions(config.kafka), clientId: 'bench-cleanup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = names.filter((n) => existing.has(n));
    for (let i = 0; i < doomed.length; i += 100) await admin.deleteTopics({ topics: doomed.slice(i, i + 100), timeout: 60_000 });
  } finally {
    await admin.disconnect();
  }
}

export async function listTopics(): Promise<string[]> {
  const admin = new Kafka({ ...kafkajsOptions(config.kafka), clientId: 'bench-cleanup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}
