/**
 * The captured tables of a session: for each, its topic, its current shape (value schema, key) and the encoder
 * that turns its change events into records. The seed's table keeps KAFKA_TOPIC and the seed-compatible schema;
 * every other table gets `<TOPIC_PREFIX>.<db>.<table>` and the generic one (src/codec/table-shape.ts).
 */
import { ChangeEncoder, type KafkaRecord } from '../../codec/change-encoder.js';
import type { ColumnSpec } from '../../codec/column.js';
import type { Registry } from '../../codec/registry.js';
import { tableShape, type Shape } from '../../codec/table-shape.js';
import { productShape } from '../../codec/value-schema.js';
import type { CaptureConfig } from '../../config.js';
import { ConfigError } from '../../errors.js';
import type { ChangeEvent } from '../../model/change.js';
import { CaptureFilter, tableId, type TableRef } from './filter.js';

/** A captured table has no primary key and KEYLESS_TABLES=refuse. Exit code 2: the position is kept. */
export class KeylessTableError extends ConfigError {}

export interface CapturedTable {
  ref: TableRef;
  id: string;
  topic: string;
  /** The seed's table: seed-compatible schema, product's transform in the pool. */
  seed: boolean;
  encoder: ChangeEncoder;
}

/** A table's topic: KAFKA_TOPIC for the seed's table, `<prefix>.<db>.<table>` (invalid topic characters as _) otherwise. */
export function topicOf(capture: CaptureConfig, seedTopic: string, t: TableRef): string {
  if (t.db === capture.seed.db && t.table === capture.seed.table) return seedTopic;
  return `${capture.topicPrefix}.${t.db}.${t.table}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

export class CapturedTables {
  readonly filter: CaptureFilter;
  private readonly tables = new Map<string, CapturedTable>();

  constructor(private readonly o: {
    capture: CaptureConfig;
    registry: Registry;
    seedTopic: string;
    partitions: number;
    /** Called once for each table's topic before its first record (creates it when missing). */
    ensureTopic: (topic: string) => Promise<void>;
  }) {
    this.filter = new CaptureFilter(o.capture.include, o.capture.exclude);
  }

  captures(db: string, table: string): boolean {
    return this.filter.matches(db, table);
  }

  isSeed(t: TableRef): boolean {
    return t.db === this.o.capture.seed.db && t.table === this.o.capture.seed.table;
  }

  topicOf(t: TableRef): string {
    return topicOf(this.o.capture, this.o.seedTopic, t);
  }

  get(t: TableRef): CapturedTable | undefined {
    return this.tables.get(tableId(t));
  }

  all(): CapturedTable[] {
    return [...this.tables.values()];
  }

  /**
   * Adopts a table's columns and key (from its TableMap, or INFORMATION_SCHEMA for a snapshot): its topic is made
   * on first sight, a new shape registers a new schema version. A keyless table is refused unless opted in.
   */
  async setShape(t: TableRef, columns: ColumnSpec[], keyColumns: string[]): Promise<{ table: CapturedTable; schemaId: number; changed: boolean }> {
    const id = tableId(t);
    let table = this.tables.get(id);
    if (!table) {
      const topic = this.topicOf(t);
      await this.o.ensureTopic(topic);
      table = { ref: { ...t }, id, topic, seed: this.isSeed(t), encoder: new ChangeEncoder(this.o.registry, topic, this.o.partitions) };
      this.tables.set(id, table);
    }
    const shape = this.shapeOf(table, columns, keyColumns);
    const { schemaId, changed } = await table.encoder.setShape(shape);
    return { table, schemaId, changed };
  }

  /** Forgets a table (dropped, renamed away): its next TableMap starts it afresh. */
  forget(t: TableRef): void {
    this.tables.delete(tableId(t));
  }

  private shapeOf(table: CapturedTable, columns: ColumnSpec[], keyColumns: string[]): Shape {
    if (table.seed) return productShape(table.ref.table, columns);
    if (keyColumns.length === 0 && this.o.capture.keyless === 'refuse') {
      throw new KeylessTableError(`table ${table.id} has no primary key, so its changes cannot be keyed or kept in order per row; ` +
        'give it a primary key, leave it out with CAPTURE_EXCLUDE, or set KEYLESS_TABLES=partition-zero (every change of the ' +
        'table in partition 0, keyed by the whole row)');
    }
    return tableShape(table.ref.db, table.ref.table, columns, keyColumns);
  }
}

/** Change events → records, in order; a delete is followed by its tombstone when EMIT_TOMBSTONES is on. */
export function recordsOf(table: CapturedTable, changes: ChangeEvent[], readAtMs: number, tombstones: boolean, out: KafkaRecord[] = []): KafkaRecord[] {
  const encoder = table.encoder;
  for (const change of changes) {
    out.push(encoder.encode(change, readAtMs));
    if (change.op === 'd' && tombstones) out.push(encoder.tombstone(change));
  }
  return out;
}
