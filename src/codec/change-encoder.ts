/**
 * Turns change events into Kafka records for the current table shape: key = the id as text (what Java's
 * StringSerializer would write), partition = Java's murmur2 rule, value = Confluent-framed Avro.
 */
import avro from 'avsc';
import type { ChangeEvent } from '../model/change.js';
import { partitionFor } from '../model/partitioner.js';
import type { ColumnType } from './mysql-types.js';
import type { Registry } from './registry.js';
import { toValueRecord } from './value-record.js';
import { valueSchemaFor, type ValueSchema } from './value-schema.js';

export interface KafkaRecord {
  key: Buffer;
  partition: number;
  value: Buffer | null;
}

export class ChangeEncoder {
  private schema: ValueSchema | undefined;
  private type: avro.Type | undefined;
  private schemaId = 0;
  /** Byte 0 stays the wire format's magic 0; the schema id and body are written per value. */
  private scratch = Buffer.alloc(64 * 1024);

  constructor(
    private readonly registry: Registry,
    private readonly subject: string,
    private readonly table: string,
    private readonly partitions: number,
  ) {}

  get ready(): boolean {
    return this.type !== undefined;
  }

  /** Adopts the table's current columns; a new shape registers a new schema version first. */
  async setColumns(columns: ColumnType[]): Promise<{ schemaId: number; changed: boolean }> {
    const next = valueSchemaFor(this.table, columns);
    if (this.schema?.text === next.text) return { schemaId: this.schemaId, changed: false };
    const id = await this.registry.register(this.subject, next.text);
    this.schema = next;
    this.type = avro.Type.forSchema(JSON.parse(next.text));
    this.schemaId = id;
    return { schemaId: id, changed: true };
  }

  encode(event: ChangeEvent, readAtMs: number): KafkaRecord {
    if (!this.type || !this.schema) throw new Error('encode before the table columns are known');
    const key = Buffer.from(String(event.id));
    return { key, partition: partitionFor(key, this.partitions), value: this.frame(toValueRecord(event, this.schema, readAtMs)) };
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

  tombstone(event: ChangeEvent): KafkaRecord {
    const key = Buffer.from(String(event.id));
    return { key, partition: partitionFor(key, this.partitions), value: null };
  }
}
