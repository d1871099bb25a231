/**
 * A batch's fresh messages as a few flat arrays and one buffer of values: what a line worker is handed, with no
 * object per message to clone, and every array's memory transferred rather than copied.
 */
import type Kafka from 'node-rdkafka';

export interface PackedBatch {
  topics: string[];
  /** Per message, its topic's index in `topics`. */
  topicIndex: Uint16Array;
  partitions: Int32Array;
  offsets: Float64Array;
  /** Per message, where its value ends in `values` (it starts where the previous one ends). */
  ends: Uint32Array;
  values: Uint8Array;
  /** The writer schema ids the values name (framed ones only), each once. */
  schemaIds: number[];
}

/** Packs messages that all have a value (tombstones and skipped offsets are left out before). */
export function pack(messages: readonly Kafka.Message[]): PackedBatch {
  const n = messages.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += messages[i]!.value!.length;
  // Not from Buffer's shared pool: this memory is transferred to the worker.
  const values = Buffer.allocUnsafeSlow(total);
  const topicIndex = new Uint16Array(n);
  const partitions = new Int32Array(n);
  const offsets = new Float64Array(n);
  const ends = new Uint32Array(n);
  const topics: string[] = [];
  const ids = new Set<number>();
  let lastTopic = '';
  let lastIndex = -1;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    if (m.topic !== lastTopic) {
      lastTopic = m.topic;
      lastIndex = topics.indexOf(m.topic);
      if (lastIndex < 0) lastIndex = topics.push(m.topic) - 1;
    }
    topicIndex[i] = lastIndex;
    partitions[i] = m.partition;
    offsets[i] = m.offset;
    const v = m.value!;
    if (v.length >= 5 && v[0] === 0) ids.add(v.readUInt32BE(1));
    at += v.copy(values, at);
    ends[i] = at;
  }
  return { topics, topicIndex, partitions, offsets, ends, values, schemaIds: [...ids] };
}

/** The memory a postMessage of the batch moves instead of copying. */
export function packedTransfers(b: PackedBatch): ArrayBuffer[] {
  return [b.topicIndex.buffer, b.partitions.buffer, b.offsets.buffer, b.ends.buffer, b.values.buffer] as ArrayBuffer[];
}
