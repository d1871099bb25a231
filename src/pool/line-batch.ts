/**
 * A packed batch → each topic's lines as UTF-8, in message order: the decode and transform of every message,
 * the same whether it runs on a line worker's thread or on the consumer's own. Pure but for the decoder's
 * caches; the decoder must have been prepared for the batch's schema ids.
 */
import { PoisonError, type Decoder } from './decoder.js';
import type { PackedBatch } from './packed-batch.js';

/** Consecutive lines of one topic written with one writer schema (a new schema may need a new segment). */
export interface LineRun {
  schemaId: number;
  text: Uint8Array;
  lines: number;
}

export interface TopicLines {
  topic: string;
  runs: LineRun[];
  /** Per line, in order: the index in the batch of the message it came from. */
  lineOf: Uint32Array;
  /** Per line: the source's read time (ms) of its change, NaN where the record has none. */
  tsMs: Float64Array;
  /** Messages that can never decode (dead letters), with why and their value (base64: its bytes stay here). */
  dead: DeadLetter[];
}

export interface DeadLetter {
  index: number;
  reason: string;
  valueBase64: string;
}

interface Building {
  topic: string;
  runs: LineRun[];
  lineOf: number[];
  tsMs: number[];
  dead: DeadLetter[];
  /** The run being written: its bytes so far, `used` of them. */
  buf: Buffer;
  used: number;
  lines: number;
  schemaId: number;
}

/** Each line is written into the run's buffer as it is made: no batch-long string to flatten and encode at the end. */
function write(t: Building, line: string): void {
  // A UTF-16 code unit is at most three bytes of UTF-8.
  const room = line.length * 3;
  if (t.used + room > t.buf.length) {
    const grown = Buffer.allocUnsafeSlow(Math.max(t.buf.length * 2, t.used + room, 64 * 1024));
    t.buf.copy(grown, 0, 0, t.used);
    t.buf = grown;
  }
  t.used += t.buf.write(line, t.used);
}

export function makeLines(decoder: Decoder, b: PackedBatch): TopicLines[] {
  const values = Buffer.from(b.values.buffer, b.values.byteOffset, b.values.byteLength);
  const per: Building[] = b.topics.map((topic) => ({ topic, runs: [], lineOf: [], tsMs: [], dead: [], buf: EMPTY, used: 0, lines: 0, schemaId: -1 }));
  const n = b.ends.length;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = b.ends[i]!;
    const t = per[b.topicIndex[i]!]!;
    let line: string;
    try {
      line = decoder.lineAt(t.topic, values, start, end, { topic: t.topic, partition: b.partitions[i]!, offset: b.offsets[i]! });
    } catch (err) {
      if (!(err instanceof PoisonError)) throw err;
      t.dead.push({ index: i, reason: err.message, valueBase64: values.toString('base64', start, end) });
      start = end;
      continue;
    }
    start = end;
    if (decoder.lastSchemaId !== t.schemaId) {
      endRun(t);
      t.schemaId = decoder.lastSchemaId;
    }
    write(t, line);
    t.lines++;
    t.lineOf.push(i);
    const ts = decoder.lastTsMs;
    t.tsMs.push(typeof ts === 'number' ? ts : NaN);
  }
  return per.map((t) => {
    endRun(t);
    return { topic: t.topic, runs: t.runs, lineOf: Uint32Array.from(t.lineOf), tsMs: Float64Array.from(t.tsMs), dead: t.dead };
  });
}

const EMPTY = Buffer.alloc(0);

function endRun(t: Building): void {
  if (t.lines === 0) return;
  // Its own memory, exactly the run's bytes: it is transferred to the consumers' thread.
  const text = new Uint8Array(t.used);
  text.set(t.buf.subarray(0, t.used));
  t.runs.push({ schemaId: t.schemaId, text, lines: t.lines });
  t.used = 0;
  t.lines = 0;
}

/** The memory a postMessage of the lines moves instead of copying. */
export function linesTransfers(made: TopicLines[]): ArrayBuffer[] {
  return made.flatMap((t) => [t.lineOf.buffer, t.tsMs.buffer, ...t.runs.map((r) => r.text.buffer)]) as ArrayBuffer[];
}
