/**
 * One batch through the write path shared by the live pool and replay: skip offsets already written, decode,
 * transform, append lines and dead letters, note them in the index, fsync. Returns the offsets to commit,
 * which the caller commits only after this resolves.
 */
import type Kafka from 'node-rdkafka';
import type { Logger } from '../log.js';
import { PoisonError, type Decoder } from './decoder.js';
import type { LineFile } from './line-file.js';
import type { OutputIndex } from './output-index.js';
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
  lines: LineFile;
  dead: LineFile;
  stats: BatchStats;
  log: Logger;
}

export async function writeBatch(batch: Kafka.Message[], t: BatchTarget): Promise<Kafka.TopicPartitionOffset[]> {
  const next = new Map<string, Kafka.TopicPartitionOffset>();
  const written: Array<[string, number, number]> = [];
  let text = '';
  let deadText = '';
  for (const m of batch) {
    next.set(`${m.topic}:${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    if (m.offset <= t.index.written(m.topic, m.partition)) {
      t.stats.skipped++;
      continue;
    }
    if (m.value === null || m.value === undefined) {
      t.stats.tombstones++;
      continue;
    }
    const meta = { topic: m.topic, partition: m.partition, offset: m.offset };
    try {
      text += toJsonLine(transform(await t.decoder.decode(m.value), t.rule, meta));
      t.stats.lines++;
    } catch (err) {
      if (!(err instanceof PoisonError)) throw err;
      deadText += `${JSON.stringify({
        reason: err.message, _meta: meta, key: m.key?.toString() ?? null,
        value_base64: m.value.toString('base64'), at: new Date().toISOString(),
      })}\n`;
      t.stats.deadLetters++;
      t.log.warn(`dead-lettered ${m.topic}/${m.partition}@${m.offset}: ${err.message}`);
    }
    written.push([m.topic, m.partition, m.offset]);
  }
  await t.lines.append(text);
  await t.dead.append(deadText);
  for (const [topic, partition, offset] of written) t.index.note(topic, partition, offset);
  await t.lines.sync();
  await t.dead.sync();
  return [...next.values()];
}
