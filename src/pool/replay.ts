/**
 * Replay: the live pool's write path over a chosen offset range, into its own directory under its own group,
 * ending at fixed end offsets. Rerunning with the same --output and --group resumes: the directory's index
 * skips what is written, the group's offsets skip what is committed.
 */
import Kafka from 'node-rdkafka';
import { mkdir } from 'node:fs/promises';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { readBatchesToEnd } from '../kafka/client.js';
import { kafkaError } from '../kafka/errors.js';
import { writeBatch, type BatchStats } from './batch.js';
import { InlineLines } from './line-workers.js';
import { consumedOf } from './packed-batch.js';
import { Decoder } from './decoder.js';
import { SlotOutputs, TableDirs } from './table-outputs.js';

export type FromSpec = { kind: 'earliest' } | { kind: 'time'; at: Date } | { kind: 'offsets'; offsets: Map<number, number> };

export interface PartitionRange {
  topic: string;
  partition: number;
  /** First offset to replay. */
  start: number;
  /** Replay stops before this offset. */
  end: number;
  note?: string;
}

function call<T>(fn: (cb: (err: Kafka.LibrdKafkaError, value: T) => void) => void, what: string): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(kafkaError(what, err)) : resolve(value))));
}

/** Start and end offsets per partition; bad partitions or offsets are usage errors naming them. */
export async function planRanges(consumer: Kafka.KafkaConsumer, topic: string, from: FromSpec, to: Date | undefined): Promise<PartitionRange[]> {
  const meta = await call<Kafka.Metadata>((cb) => consumer.getMetadata({ topic, timeout: 30_000 }, cb), `metadata of ${topic}`);
  const partitions = (meta.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => p.id).sort((a, b) => a - b);
  if (partitions.length === 0) throw new UsageError(`topic ${topic} does not exist`);
  const chosen = from.kind === 'offsets' ? [...from.offsets.keys()] : partitions;
  for (const p of chosen) {
    if (!partitions.includes(p)) throw new UsageError(`partition ${p} does not exist: ${topic} has partitions 0 to ${partitions.length - 1}`);
  }
  const marks = new Map<number, { low: number; high: number }>();
  for (const p of chosen) {
    const o = await call<Kafka.WatermarkOffsets>((cb) => consumer.queryWatermarkOffsets(topic, p, 30_000, cb), `offsets of ${topic}/${p}`);
    marks.set(p, { low: o.lowOffset, high: o.highOffset });
  }
  const atTime = async (at: Date): Promise<Map<number, number>> => {
    const found = await call<Kafka.TopicPartitionOffset[]>(
      (cb) => consumer.offsetsForTimes(chosen.map((partition) => ({ topic, partition, offset: at.getTime() })), 30_000, cb), 'offsets for a time');
    // -1: no message at or after that time, so the range there is empty.
    return new Map(found.map((f) => [f.partition, f.offset < 0 ? marks.get(f.partition)!.high : f.offset]));
  };
  const starts = from.kind === 'time' ? await atTime(from.at) : new Map<number, number>();
  const ends = to ? await atTime(to) : new Map<number, number>();
  return chosen.map((p) => {
    const { low, high } = marks.get(p)!;
    let start = from.kind === 'earliest' ? low : from.kind === 'offsets' ? from.offsets.get(p)! : starts.get(p)!;
    let note: string | undefined;
    if (from.kind === 'offsets') {
      if (start > high) throw new UsageError(`offset ${start} of partition ${p} is beyond its high-water mark ${high}`);
      if (start < low) {
        note = `offset ${start} is before retention; starting at the earliest, ${low}`;
        start = low;
      }
    }
    if (from.kind === 'time' && start === low && low > 0) note = `the time is at or before the earliest message kept; starting at ${low}`;
    const end = Math.max(start, to ? ends.get(p)! : high);
    return { topic, partition: p, start, end, ...(note ? { note } : {}) };
  });
}

export interface ReplaySummary {
  partitions: Array<PartitionRange & { messages: number }>;
  stats: BatchStats;
}

export async function runReplay(deps: {
  config: Config;
  registry: Registry;
  logger: Logger;
  consumer: Kafka.KafkaConsumer;
  ranges: PartitionRange[];
  outputDir: string;
  onProgress?: (done: number, total: number) => void;
}): Promise<ReplaySummary> {
  const { config, consumer, ranges } = deps;
  const log = deps.logger.child({ component: 'replay' });
  await mkdir(deps.outputDir, { recursive: true });
  // The live layout inside the replay's directory: the seed's table at its top, every other table in its folder.
  const dirs = new TableDirs({
    root: deps.outputDir, policy: config.pool.segments, log, instance: '', seedTopic: config.kafka.topic, prefix: config.capture.topicPrefix,
  });
  const outputs = new SlotOutputs(dirs, 'replay');
  const stats: BatchStats = { lines: 0, deadLetters: 0, skipped: 0, tombstones: 0 };
  const key = (r: { topic: string; partition: number }) => `${r.topic}:${r.partition}`;
  const messages = new Map<string, number>(ranges.map((r) => [key(r), 0]));
  const topics = [...new Set(ranges.map((r) => r.topic))];
  try {
    const committed = await call<Kafka.TopicPartitionOffset[]>(
      (cb) => consumer.committed(ranges.map((r) => ({ topic: r.topic, partition: r.partition })), 30_000, cb), 'committed offsets');
    const resumeAt = new Map(committed.filter((c) => c.offset >= 0).map((c) => [key(c), c.offset]));
    const total = ranges.reduce((n, r) => n + (r.end - r.start), 0);
    let done = ranges.reduce((n, r) => n + (Math.max(r.start, resumeAt.get(key(r)) ?? r.start) - r.start), 0);
    await deps.registry.check();
    const decoder = new Decoder(deps.registry, { seedTopic: config.kafka.topic, rule: config.pool.discount });
    const lines = new InlineLines(decoder);
    // One topic at a time: each read ends at its fixed end offsets.
    for (const topic of topics) {
      const mine = ranges.filter((r) => r.topic === topic);
      const end = new Map(mine.map((r) => [r.partition, r.end]));
      const assignment: Kafka.Assignment[] = [];
      for (const r of mine) {
        const start = Math.max(r.start, resumeAt.get(key(r)) ?? r.start);
        if (start < r.end) assignment.push({ topic, partition: r.partition, offset: start });
      }
      await readBatchesToEnd(consumer, { from: assignment, until: end, what: `reading ${topic}`, batch: config.pool.batch, deadlineMs: 24 * 3_600_000 },
        async (inRange) => {
          const offsets = await writeBatch(consumedOf(inRange), { decoder, lines, outputOf: (t) => outputs.of(t), stats, log });
          consumer.commitSync(offsets);
          for (const m of inRange) messages.set(key(m), messages.get(key(m))! + 1);
          done += inRange.length;
          deps.onProgress?.(done, total);
        });
      consumer.unassign();
    }
    // Complete: its segments are closed, ready for a loader. A replay stopped early leaves them open and
    // resumes into them.
    for (const o of outputs.all()) {
      await o.lines.finish();
      await o.dead.finish();
    }
  } finally {
    await outputs.close();
    await dirs.drain();
  }
  return { partitions: ranges.map((r) => ({ ...r, messages: messages.get(key(r))! })), stats };
}
