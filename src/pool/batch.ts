/**
 * One batch through the write path shared by the live pool and replay: skip offsets already written, have the
 * lines made (each table its own way; on a line worker or in place), append lines and dead letters to each
 * table's segments, fsync every one touched, note them in the indexes, close segments that are due. Returns the
 * offsets to commit, which the caller commits only after this resolves.
 */
import type Kafka from 'node-rdkafka';
import type { ParquetPlan } from '../codec/parquet-column.js';
import { crashPoint } from '../faults.js';
import type { Logger } from '../log.js';
import type { Decoder } from './decoder.js';
import type { TopicLines } from './line-batch.js';
import type { LineFactory } from './line-workers.js';
import { freshOf, keyOf, type ConsumedBatch } from './packed-batch.js';
import type { TableOutput } from './table-outputs.js';

export interface BatchStats {
  lines: number;
  deadLetters: number;
  skipped: number;
  tombstones: number;
}

export interface BatchTarget {
  /** Makes the lines (src/pool/line-workers.ts). */
  lines: LineFactory;
  /** The writer schemas, for the Parquet columns of typed output. */
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
  /** The lines gathered for the open segment, in order. */
  chunks: Uint8Array[];
  /** How many lines are in `chunks`. */
  inChunks: number;
  deadText: string;
  lines: number;
  dead: number;
  /** With Parquet output: the batch indexes of the messages whose lines are in `chunks`, and their columns. */
  lineMsgs: number[];
  plan?: ParquetPlan;
}

/** One partition's messages in the batch (they come in offset order). */
interface PartitionSeen {
  topic: string;
  partition: number;
  /** The highest offset already in the output when the batch came. */
  written: number;
  /** The highest offset of this batch's fresh messages (-1: none). */
  fresh: number;
  /** The offset to commit: after the last message seen. */
  next: number;
}

export async function writeBatch(batch: ConsumedBatch, t: BatchTarget): Promise<Kafka.TopicPartitionOffset[]> {
  const byTopic = new Map<string, Pending>();
  const parts = new Map<string, PartitionSeen>();
  const n = batch.count;
  // Batch indexes of the messages to write; left undefined while every one so far is (the common case).
  let fresh: number[] | undefined;
  let seen: PartitionSeen | undefined;
  let seenTopic = -1;
  for (let i = 0; i < n; i++) {
    const topicIndex = batch.topicIndex[i]!;
    const partition = batch.partitions[i]!;
    // A batch holds runs of one partition: one look-up per run, not per message.
    if (!seen || seen.partition !== partition || seenTopic !== topicIndex) {
      const topic = batch.topics[topicIndex]!;
      const key = `${topic}:${partition}`;
      seen = parts.get(key);
      seenTopic = topicIndex;
      if (!seen) {
        let p = byTopic.get(topic);
        if (!p) {
          p = { out: await t.outputOf(topic), chunks: [], inChunks: 0, deadText: '', lines: 0, dead: 0, lineMsgs: [] };
          byTopic.set(topic, p);
        }
        seen = { topic, partition, written: p.out.dir.index.written(topic, partition), fresh: -1, next: -1 };
        parts.set(key, seen);
      }
    }
    const offset = batch.offsets[i]!;
    seen.next = offset + 1;
    const take = offset > seen.written && batch.valueNull[i] === 0;
    if (!take) {
      if (offset <= seen.written) t.stats.skipped++;
      else t.stats.tombstones++;
      fresh ??= Array.from({ length: i }, (_, j) => j);
    } else {
      seen.fresh = offset;
      fresh?.push(i);
    }
  }
  // Every message new: the batch goes to the worker as it came. Else only the new ones, copied.
  const indexes = fresh ? Uint32Array.from(fresh) : undefined;
  const made = (indexes ? indexes.length : n) > 0 ? await t.lines.make(freshOf(batch, indexes)) : [];
  const at = (j: number) => (indexes ? indexes[j]! : j);
  const times: number[] = [];
  for (const tl of made) {
    const p = byTopic.get(tl.topic)!;
    addDeadLetters(p, tl, batch, at, t);
    const typed = p.out.dir.policy.format !== 'jsonl';
    let line = 0;
    for (const run of tl.runs) {
      if (typed) {
        // A segment holds lines of one set of columns (a Parquet file has one schema): a schema change
        // mid-batch writes what came before it first, then starts a new segment.
        const plan = await t.decoder.planFor(tl.topic, run.schemaId);
        if (p.plan && p.plan.key !== plan.key) await appendLines(p, batch);
        p.plan = plan;
        for (const end = line + run.lines; line < end; line++) p.lineMsgs.push(at(tl.lineOf[line]!));
      }
      p.chunks.push(run.text);
      p.inChunks += run.lines;
      p.lines += run.lines;
      t.stats.lines += run.lines;
    }
    for (const ts of tl.tsMs) if (ts === ts) times.push(ts); // NaN: no read time
  }
  const pending = [...byTopic.values()];
  await Promise.all(pending.flatMap((p) => [startSegmentFor(p).then(() => p.out.lines.append(joined(p.chunks), p.inChunks)), p.out.dead.append(p.deadText, p.dead)]));
  crashPoint('pool.appended');
  await Promise.all(pending.flatMap((p) => [p.out.lines.sync(), p.out.dead.sync()]));
  // Only durable lines are in the index: a segment's manifest entry copies it.
  for (const s of parts.values()) if (s.fresh >= 0) byTopic.get(s.topic)!.out.dir.index.note(s.topic, s.partition, s.fresh);
  t.onDurable?.(times);
  for (const [topic, p] of byTopic) if (p.lines > 0) t.onTableLines?.(topic, p.lines);
  await Promise.all(pending.flatMap((p) => [p.out.lines.rotateIfDue(), p.out.dead.rotateIfDue()]));
  crashPoint('pool.synced');
  return [...parts.values()].map((s) => ({ topic: s.topic, partition: s.partition, offset: s.next }));
}

/** A message that can never decode becomes a dead letter: its reason and raw bytes, beside the lines. */
function addDeadLetters(p: Pending, tl: TopicLines, batch: ConsumedBatch, at: (j: number) => number, t: BatchTarget): void {
  for (const d of tl.dead) {
    const i = at(d.index);
    const meta = { topic: tl.topic, partition: batch.partitions[i]!, offset: batch.offsets[i]! };
    p.deadText += `${JSON.stringify({ reason: d.reason, _meta: meta, key: keyOf(batch, i), value_base64: d.valueBase64, at: new Date().toISOString() })}\n`;
    t.stats.deadLetters++;
    p.dead++;
    t.log.warn(`dead-lettered ${meta.topic}/${meta.partition}@${meta.offset}: ${d.reason}`);
  }
}

const joined = (chunks: Uint8Array[]): Uint8Array => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));

/** With Parquet output, the open segment must hold lines of the pending lines' columns: else it is closed first. */
async function startSegmentFor(p: Pending): Promise<void> {
  if (!p.plan || p.chunks.length === 0) return;
  p.out.lines.usePlan(p.plan);
  if (p.out.lines.needsNewSegment(p.plan)) await p.out.lines.closeForPlan();
}

/**
 * Writes the lines gathered so far durably and notes them, so the segment holding them may close. The topic's dead
 * letters go first: noting a line's offset covers every lower offset of its partition, a dead letter's among them.
 */
async function appendLines(p: Pending, batch: ConsumedBatch): Promise<void> {
  if (p.dead > 0) {
    await p.out.dead.append(p.deadText, p.dead);
    await p.out.dead.sync();
    p.deadText = '';
    p.dead = 0;
  }
  await startSegmentFor(p);
  await p.out.lines.append(joined(p.chunks), p.inChunks);
  await p.out.lines.sync();
  for (const i of p.lineMsgs) p.out.dir.index.note(batch.topics[batch.topicIndex[i]!]!, batch.partitions[i]!, batch.offsets[i]!);
  p.chunks = [];
  p.inChunks = 0;
  p.lineMsgs = [];
}
