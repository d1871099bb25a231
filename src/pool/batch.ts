/**
 * One batch through the write path shared by the live pool and replay: skip offsets already written, decode,
 * turn into lines (each table its own way), append lines and dead letters to each table's segments, fsync every
 * one touched, note them in the indexes, close segments that are due. Returns the offsets to commit, which the
 * caller commits only after this resolves.
 */
import type Kafka from 'node-rdkafka';
import type { ParquetPlan } from '../codec/parquet-column.js';
import { crashPoint } from '../faults.js';
import type { Logger } from '../log.js';
import { PoisonError, type Decoder } from './decoder.js';
import type { TableOutput } from './table-outputs.js';

export interface BatchStats {
  lines: number;
  deadLetters: number;
  skipped: number;
  tombstones: number;
}

export interface BatchTarget {
  decoder: Decoder;
  /** The output (index and segment writers) of a topic's table. */
  outputOf: (topic: string) => Promise<TableOutput>;
  stats: BatchStats;
  log: Logger;
  /** Called once the batch is durable with the source's read time (ms) of each line written: end-to-end latency. */
  onDurable?: (sourceTimesMs: number[]) => void;
  /** Lines made durable per topic. */
  onTableLines?: (topic: string, lines: number) => void;
}

interface Pending {
  out: TableOutput;
  fresh: Kafka.Message[];
  text: string;
  deadText: string;
  lines: number;
  dead: number;
  /** Messages whose lines are in `text`: noted in the index once durable. */
  lineMsgs: Kafka.Message[];
  /** With Parquet output: the columns of the lines in `text`. */
  plan?: ParquetPlan;
}

export async function writeBatch(batch: Kafka.Message[], t: BatchTarget): Promise<Kafka.TopicPartitionOffset[]> {
  const next = new Map<string, Kafka.TopicPartitionOffset>();
  const byTopic = new Map<string, Pending>();
  for (const m of batch) {
    next.set(`${m.topic}:${m.partition}`, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
    let p = byTopic.get(m.topic);
    if (!p) {
      p = { out: await t.outputOf(m.topic), fresh: [], text: '', deadText: '', lines: 0, dead: 0, lineMsgs: [] };
      byTopic.set(m.topic, p);
    }
    if (m.offset <= p.out.dir.index.written(m.topic, m.partition)) t.stats.skipped++;
    else if (m.value === null || m.value === undefined) t.stats.tombstones++;
    else p.fresh.push(m);
  }
  const pending = [...byTopic.values()];
  // One wait for the registry per batch (usually none), then no await per message.
  await t.decoder.prepare(pending.flatMap((p) => p.fresh.map((m) => m.value!)));
  const times: number[] = [];
  for (const p of pending) {
    const typed = p.out.dir.policy.format !== 'jsonl';
    for (const m of p.fresh) {
      const meta = { topic: m.topic, partition: m.partition, offset: m.offset };
      let line: string;
      try {
        line = t.decoder.lineOf(m.topic, m.value!, meta);
      } catch (err) {
        if (!(err instanceof PoisonError)) throw err;
        p.deadText += `${JSON.stringify({
          reason: err.message, _meta: meta, key: m.key?.toString() ?? null,
          value_base64: m.value!.toString('base64'), at: new Date().toISOString(),
        })}\n`;
        t.stats.deadLetters++;
        p.dead++;
        t.log.warn(`dead-lettered ${m.topic}/${m.partition}@${m.offset}: ${err.message}`);
        continue;
      }
      if (typed) {
        // A segment holds lines of one set of columns (a Parquet file has one schema): a schema change
        // mid-batch writes what came before it first, then starts a new segment.
        const plan = t.decoder.lastPlan();
        if (p.plan && p.plan.key !== plan.key) await appendLines(p);
        p.plan = plan;
      }
      p.text += line;
      p.lineMsgs.push(m);
      const tsMs = t.decoder.lastTsMs;
      if (typeof tsMs === 'number') times.push(tsMs);
      t.stats.lines++;
      p.lines++;
    }
  }
  await Promise.all(pending.flatMap((p) => [startSegmentFor(p).then(() => p.out.lines.append(p.text, p.lineMsgs.length)), p.out.dead.append(p.deadText, p.dead)]));
  crashPoint('pool.appended');
  await Promise.all(pending.flatMap((p) => [p.out.lines.sync(), p.out.dead.sync()]));
  // Only durable lines are in the index: a segment's manifest entry copies it.
  for (const p of pending) for (const m of p.fresh) p.out.dir.index.note(m.topic, m.partition, m.offset);
  t.onDurable?.(times);
  for (const [topic, p] of byTopic) if (p.lines > 0) t.onTableLines?.(topic, p.lines);
  await Promise.all(pending.flatMap((p) => [p.out.lines.rotateIfDue(), p.out.dead.rotateIfDue()]));
  crashPoint('pool.synced');
  return [...next.values()];
}

/** With Parquet output, the open segment must hold lines of the pending lines' columns: else it is closed first. */
async function startSegmentFor(p: Pending): Promise<void> {
  if (!p.plan || p.text === '') return;
  p.out.lines.usePlan(p.plan);
  if (p.out.lines.needsNewSegment(p.plan)) await p.out.lines.closeForPlan();
}

/** Writes the lines gathered so far durably and notes them, so the segment holding them may close. */
async function appendLines(p: Pending): Promise<void> {
  await startSegmentFor(p);
  await p.out.lines.append(p.text, p.lineMsgs.length);
  await p.out.lines.sync();
  for (const m of p.lineMsgs) p.out.dir.index.note(m.topic, m.partition, m.offset);
  p.text = '';
  p.lineMsgs = [];
}
