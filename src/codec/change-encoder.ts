/**
 * Turns one table's change events into Kafka records for its current shape: key = the primary key as text (what
 * Java's StringSerializer would write for it), partition = Java's murmur2 rule on that key, value =
 * Confluent-framed Avro under `<topic>-value`. A keyless table (opted in) keeps its whole history in partition 0.
 */
import type avro from 'avsc';
import type { ChangeEvent } from '../model/change.js';
import { partitionFor } from '../model/partitioner.js';
import { parseValueSchema } from './avro-parse.js';
import type { Registry } from './registry.js';
import type { Shape } from './table-shape.js';

export interface KafkaRecord {
  topic: string;
  key: Buffer;
  partition: number;
  value: Buffer | null;
}

export class ChangeEncoder {
  private shape: Shape | undefined;
  private type: avro.Type | undefined;
  private schemaId = 0;
  /** Byte 0 stays the wire format's magic 0; the schema id and body are written per value. */
  private scratch = Buffer.alloc(64 * 1024);

  constructor(
    private readonly registry: Registry,
    readonly topic: string,
    private readonly partitions: number,
  ) {}

  get ready(): boolean {
    return this.type !== undefined;
  }

  get current(): Shape | undefined {
    return this.shape;
  }

  /** Adopts the table's current shape; a new one registers a new schema version first. */
  async setShape(next: Shape): Promise<{ schemaId: number; changed: boolean }> {
    if (this.shape?.text === next.text) {
      this.shape = next;
      return { schemaId: this.schemaId, changed: false };
    }
    const id = await this.registry.register(`${this.topic}-value`, next.text);
    this.shape = next;
    this.type = parseValueSchema(next.text);
    this.schemaId = id;
    return { schemaId: id, changed: true };
  }

  encode(event: ChangeEvent, readAtMs: number): KafkaRecord {
    if (!this.type || !this.shape) throw new Error('encode before the table columns are known');
    const key = Buffer.from(event.prebuilt?.key ?? this.shape.key(event.row));
    return { topic: this.topic, key, partition: this.partitionOf(key), value: this.frame(this.shape.record(event, readAtMs)) };
  }

  tombstone(event: ChangeEvent): KafkaRecord {
    const key = Buffer.from(event.prebuilt?.key ?? this.shape!.key(event.row));
    return { topic: this.topic, key, partition: this.partitionOf(key), value: null };
  }

  private partitionOf(key: Buffer): number {
    return this.shape!.keyColumns.length === 0 ? 0 : partitionFor(key, this.partitions);
  }

  /** Header and Avro body written once into a scratch buffer, then copied out: one allocation per value. */
  private frame(record: Record<string, unknown>): Buffer {
    for (;;) {
      const end = this.type!.encode(record, this.scratch, 5);
      if (end >= 0) {
        this.scratch.writeUInt32BE(this.schemaId, 1);
        const out = Buffer.allocUnsafe(end);
        this.scratch.copy(out, 0, 0, end);
        return out;
      }
      // A negative end is minus the bytes missing: grow and write again (only for unusually large rows).
      this.scratch = Buffer.alloc(Math.max(this.scratch.length * 2, this.scratch.length - end));
    }
  }
}
