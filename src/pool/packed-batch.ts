/**
 * A consumed batch as a few flat arrays and one buffer of values (one of keys): how node-rdkafka hands a batch
 * back when asked for it packed (patches/node-rdkafka-consume-packed.patch), with no object per message, and
 * what a line worker is handed, its values' memory transferred rather than copied.
 */
import type Kafka from 'node-rdkafka';

export interface ConsumedBatch {
  count: number;
  topics: string[];
  /** Per message, its topic's index in `topics`. */
  topicIndex: Uint32Array;
  partitions: Int32Array;
  offsets: Float64Array;
  /** Per message, where its value ends in `values` (it starts where the previous one ends). */
  values: Buffer;
  valueEnds: Uint32Array;
  /** 1 where the value is null (a tombstone). */
  valueNull: Uint8Array;
  keys: Buffer;
  keyEnds: Uint32Array;
  keyNull: Uint8Array;
}

/** What a line worker decodes: the messages that have a value and are new to the output. */
export interface PackedBatch {
  topics: string[];
  topicIndex: Uint32Array;
  partitions: Int32Array;
  offsets: Float64Array;
  ends: Uint32Array;
  values: Uint8Array;
  /** The writer schema ids the values name (framed ones only), each once. */
  schemaIds: number[];
}

/** A batch of message objects (a binding without the packed read, replay's reads) in the packed layout. */
export function consumedOf(messages: readonly Kafka.Message[]): ConsumedBatch {
  const n = messages.length;
  let valueBytes = 0;
  let keyBytes = 0;
  for (const m of messages) {
    valueBytes += m.value?.length ?? 0;
    if (m.key !== null && m.key !== undefined) keyBytes += Buffer.isBuffer(m.key) ? m.key.length : Buffer.byteLength(String(m.key));
  }
  const b: ConsumedBatch = {
    count: n, topics: [], topicIndex: new Uint32Array(n), partitions: new Int32Array(n), offsets: new Float64Array(n),
    values: Buffer.allocUnsafeSlow(valueBytes), valueEnds: new Uint32Array(n), valueNull: new Uint8Array(n),
    keys: Buffer.allocUnsafeSlow(keyBytes), keyEnds: new Uint32Array(n), keyNull: new Uint8Array(n),
  };
  let v = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i]!;
    let t = b.topics.indexOf(m.topic);
    if (t < 0) t = b.topics.push(m.topic) - 1;
    b.topicIndex[i] = t;
    b.partitions[i] = m.partition;
    b.offsets[i] = m.offset;
    if (m.value) v += m.value.copy(b.values, v);
    else b.valueNull[i] = 1;
    b.valueEnds[i] = v;
    const key = m.key;
    if (key === null || key === undefined) b.keyNull[i] = 1;
    else if (Buffer.isBuffer(key)) k += key.copy(b.keys, k);
    else k += b.keys.write(String(key), k);
    b.keyEnds[i] = k;
  }
  return b;
}

/**
 * The worker's input: the whole batch (its values' buffer handed over as it is) when `fresh` is undefined, else the
 * messages at those indexes, copied.
 */
export function freshOf(b: ConsumedBatch, fresh?: Uint32Array): PackedBatch {
  if (!fresh) {
    return {
      topics: b.topics, topicIndex: b.topicIndex, partitions: b.partitions, offsets: b.offsets, ends: b.valueEnds,
      values: b.values, schemaIds: schemaIdsOf(b.values, b.valueEnds),
    };
  }
  const n = fresh.length;
  let total = 0;
  for (let j = 0; j < n; j++) total += b.valueEnds[fresh[j]!]! - startOf(b, fresh[j]!);
  const values = Buffer.allocUnsafeSlow(total);
  const p: PackedBatch = {
    topics: b.topics, topicIndex: new Uint32Array(n), partitions: new Int32Array(n), offsets: new Float64Array(n),
    ends: new Uint32Array(n), values, schemaIds: [],
  };
  let at = 0;
  for (let j = 0; j < n; j++) {
    const i = fresh[j]!;
    p.topicIndex[j] = b.topicIndex[i]!;
    p.partitions[j] = b.partitions[i]!;
    p.offsets[j] = b.offsets[i]!;
    at += b.values.copy(values, at, startOf(b, i), b.valueEnds[i]);
    p.ends[j] = at;
  }
  p.schemaIds = schemaIdsOf(values, p.ends);
  return p;
}

const startOf = (b: ConsumedBatch, i: number) => (i === 0 ? 0 : b.valueEnds[i - 1]!);

/** The distinct schema ids of Confluent-framed values (byte 0, then the id). */
function schemaIdsOf(values: Uint8Array, ends: Uint32Array): number[] {
  const ids: number[] = [];
  let last = -1;
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    if (end - start >= 5 && values[start] === 0) {
      const id = ((values[start + 1]! << 24) >>> 0) + (values[start + 2]! << 16) + (values[start + 3]! << 8) + values[start + 4]!;
      if (id !== last && !ids.includes(id)) ids.push(id);
      last = id;
    }
    start = end;
  }
  return ids;
}

/** A message's key as text (dead letters carry it), or null. */
export function keyOf(b: ConsumedBatch, i: number): string | null {
  return b.keyNull[i] ? null : b.keys.toString('utf8', i === 0 ? 0 : b.keyEnds[i - 1], b.keyEnds[i]);
}

/** The memory a postMessage of the batch moves instead of copying: the values, which the sender no longer reads. */
export function packedTransfers(b: PackedBatch): ArrayBuffer[] {
  const v = b.values;
  // Only a buffer that is wholly this batch's: never one of Node's shared pool slabs.
  return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? [v.buffer as ArrayBuffer] : [];
}
