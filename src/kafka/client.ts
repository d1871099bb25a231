/**
 * node-rdkafka clients the way the pipeline uses them: created with the configured connection (TLS, SASL,
 * pass-through settings), connected with a bound and a named error, read to the end of chosen partitions, and
 * disconnected within a bound.
 */
import Kafka from 'node-rdkafka';
import { rdkafkaOptions, type KafkaConnection } from '../config/kafka.js';
import { assertCredentials, connectError, kafkaError, KafkaUnreachableError } from './errors.js';
import { assertReachable } from './reachability.js';

export { disconnectWithin } from './disconnect.js';

/** Connects; a failure becomes the pipeline's error for it (refused credentials told apart from an outage). */
export async function connectClient<C extends Kafka.Producer | Kafka.KafkaConsumer>(client: C, what: string, kafka: KafkaConnection,
  timeoutMs = 30_000): Promise<C> {
  await assertReachable(kafka).catch((err: Error) => { throw new KafkaUnreachableError(`${what}: ${err.message}`, { cause: err }); });
  await assertCredentials(what, kafka);
  await new Promise<void>((resolve, reject) =>
    (client as Kafka.Producer).connect({ timeout: timeoutMs }, (err) => (err ? reject(err) : resolve())))
    .catch(async (err) => { throw await connectError(what, err, kafka); });
  return client;
}

/**
 * A consumer that only reads what is committed, to the end of what it is assigned, and never commits: for the
 * checkpoint, the topic's live keys, counts and replays. `extra` adds or overrides settings.
 */
export function endReader(kafka: KafkaConnection, groupId: string, extra: Record<string, unknown> = {}): Kafka.KafkaConsumer {
  return new Kafka.KafkaConsumer({
    ...rdkafkaOptions(kafka), 'group.id': groupId, 'enable.auto.commit': false, 'isolation.level': 'read_committed',
    'enable.partition.eof': true,
    // The end of a partition shows only in a second fetch: at librdkafka's default 500 ms fetch wait, every
    // read to the end took half a second longer.
    'fetch.wait.max.ms': 10,
    ...extra,
  } as Kafka.ConsumerGlobalConfig, { 'auto.offset.reset': 'earliest' });
}

export interface ReadToEndOptions {
  /** Where each partition starts. */
  from: Kafka.Assignment[];
  /** A partition is done at its end (partition EOF) or once an offset at or beyond `until - 1` is read. */
  until?: Map<number, number>;
  /** What is being read, for errors. */
  what: string;
  deadlineMs?: number;
  batch?: number;
}

/** Reads the assigned partitions to their ends (or `until`), handing every message to `onMessage` in order. */
export async function readToEnd(consumer: Kafka.KafkaConsumer, o: ReadToEndOptions,
  onMessage: (m: Kafka.Message) => void | Promise<void>): Promise<void> {
  await readBatchesToEnd(consumer, o, async (batch) => {
    for (const m of batch) await onMessage(m);
  });
}

/** readToEnd a batch at a time (what one consume call returned, beyond `until` left out), for writers that fsync per batch. */
export async function readBatchesToEnd(consumer: Kafka.KafkaConsumer, o: ReadToEndOptions,
  onBatch: (batch: Kafka.Message[]) => Promise<void>): Promise<void> {
  const open = new Set(o.from.map((a) => a.partition));
  if (open.size === 0) return;
  const onEof = (e: { partition: number }) => open.delete(e.partition);
  consumer.on('partition.eof', onEof);
  try {
    consumer.assign(o.from);
    const deadline = Date.now() + (o.deadlineMs ?? 120_000);
    while (open.size > 0) {
      if (Date.now() > deadline) throw kafkaError(o.what, new Error(`no end of partition within ${Math.round((o.deadlineMs ?? 120_000) / 1000)} s`));
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(o.batch ?? 5000, (err, m) => (err ? reject(kafkaError(o.what, err)) : resolve(m))));
      const wanted = batch.filter((m) => {
        const stop = o.until?.get(m.partition);
        if (stop === undefined) return true;
        if (m.offset >= stop - 1) open.delete(m.partition);
        return m.offset < stop;
      });
      if (wanted.length > 0) await onBatch(wanted);
    }
  } finally {
    consumer.removeListener('partition.eof', onEof);
  }
}

/** The partition ids of a topic, from metadata (empty when it does not exist). */
export async function partitionsOf(client: Kafka.KafkaConsumer | Kafka.Producer, topic: string, timeoutMs = 30_000): Promise<number[]> {
  const meta = await new Promise<Kafka.Metadata>((resolve, reject) =>
    client.getMetadata({ topic, timeout: timeoutMs }, (e, m) => (e ? reject(kafkaError(`metadata of ${topic}`, e)) : resolve(m))));
  return (meta.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => p.id).sort((a, b) => a - b);
}
