/**
 * One batch through the write path shared by the live pool and replay: skip offsets already written, decode,
 * transform, append lines and dead letters, fsync, note them in the index, close segments that are due.
 * Returns the offsets to commit, which the caller commits only after this resolves.
 */
import type Kafka from 'node-rdkafka';
import { crashPoint } from '../faults.js';
import type { Logger } from '../log.js';
import { PoisonError, type Decoder } from './decoder.js';
import type { OutputIndex } from './output-index.js';
import type { SegmentWriter } from './segment-writer.js';
import { toJsonLine, transform, type DiscountRule } from './transform.js';

export interface BatchStats {
  lines: number;
  deadLetters: number;
  skipped: number;
  tombstones: number;
}

export interface BatchTarget {
  decoder: Decoder;
  index: OutputIndex;
  rule: DiscountRule;
  lines: SegmentWriter;
  dead: SegmentWriter;
  stats: BatchStats;
  log: Logger;
  /** Called once the batch is durable with the source's read time (ms) of each line written: end-to-end latency. */
  onDurable?: (sourceTimesMs: number[]) => void;
}

export async function writeBatch(batch: Kafka.Message[], t: BatchTarget): Promise<Kafka.TopicPartitionOffset[]> {
  const next = new Map<number, Kafka.TopicPartitionOffset>();
  const fresh: Kafka.Message[] = [];
  for (const m of batch) {
    next.set(m.partition, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    if (m.offset <= t.index.written(m.topic, m.partition)) t.stats.skipped++;
    else if (m.value === null || m.value === undefined) t.stats.tombstones++;
    else fresh.push(m);
  }
  // One wait for the registry per batch (usually none), then no await per message.
  await t.decoder.prepare(fresh.map((m) => m.value!));
  let text = '';
  let deadText = '';
  let lineCount = 0;
  let deadCount = 0;
  const times: number[] = [];
  for (const m of fresh) {
    const meta = { topic: m.topic, partition: m.partition, offset: m.offset };
    try {
      const record = t.decoder.decodeReady(m.value!);
      text += toJsonLine(transform(record, t.rule, meta));
      if (typeof record.ts_ms === 'number') times.push(record.ts_ms);
      t.stats.lines++;
      lineCount++;
    } catch (err) {
      if (!(err instanceof PoisonError)) throw err;
      deadText += `${JSON.stringify({
        reason: err.message, _meta: meta, key: m.key?.toString() ?? null,
        value_base64: m.value!.toString('base64'), at: new Date().toISOString(),
      })}\n`;
      t.stats.deadLetters++;
      deadCount++;
      t.log.warn(`dead-lettered ${m.topic}/${m.partition}@${m.offset}: ${err.message}`);
    }
  }
  await Promise.all([t.lines.append(text, lineCount), t.dead.append(deadText, deadCount)]);
  crashPoint('pool.appended');
  await Promise.all([t.lines.sync(), t.dead.sync()]);
  // Only durable lines are in the index: a segment's manifest entry copies it.
  for (const m of fresh) t.index.note(m.topic, m.partition, m.offset);
  t.onDurable?.(times);
  await Promise.all([t.lines.rotateIfDue(), t.dead.rotateIfDue()]);
  crashPoint('pool.synced');
  return [...next.values()];
}
