/**
 * A captured table's value schema and records, for every table but the seed's product (src/codec/value-schema.ts
 * keeps that one seed-compatible). Every column becomes a nullable field with a null default, in table order,
 * typed by src/codec/avro-column.ts, so each ADD or DROP COLUMN makes a new BACKWARD-compatible version; then the
 * change's `__op`, `__source` and `__ts_ms`, named apart from any column a shop is likely to have. Pure.
 *
 * The Kafka key is the primary key: one column's value as its text (as the line writes it, without quotes), or
 * for a composite key the JSON array of the key columns' line values, in key order (`[42,"EU"]`).
 */
import type { ChangeEvent } from '../model/change.js';
import { avroTypeOf, toAvro } from './avro-column.js';
import type { ColumnSpec } from './column.js';
import { SchemaIncompatibleError } from './errors.js';
import { jsonWriterFor, type JsonWriter } from './json-column.js';

export type Row = Record<string, unknown>;

export interface Shape {
  /** Avro schema JSON, the same text for the same columns (the registry deduplicates by it). */
  readonly text: string;
  readonly columns: ReadonlyArray<ColumnSpec>;
  /** Primary key columns, in key order; empty for a keyless table (keyed by the whole row, one partition). */
  readonly keyColumns: ReadonlyArray<string>;
  record(event: ChangeEvent, readAtMs: number): Record<string, unknown>;
  /** The Kafka key of a row as text. */
  key(row: Row): string;
  /** Whether two rows have the same key (an update that changes it becomes a delete and an insert). */
  sameKey(a: Row, b: Row): boolean;
}

/** Field names in generic value schemas for the change itself, after the columns. */
export const META_FIELDS = { op: '__op', source: '__source', tsMs: '__ts_ms' } as const;

const SOURCE_FIELDS = [
  { name: 'server_id', type: 'long' },
  { name: 'db', type: 'string' },
  { name: 'table', type: 'string' },
  { name: 'file', type: 'string', doc: 'Binlog file of the transaction.' },
  { name: 'pos', type: 'long', doc: 'Binlog position of the transaction (0 for snapshot rows read outside the stream).' },
  { name: 'row', type: 'int', doc: 'Index of this change within its binlog transaction (or snapshot).' },
  { name: 'gtid', type: ['null', 'string'], default: null },
  { name: 'ts_ms', type: 'long', doc: 'When the change was made on the server (binlog event time).' },
  { name: 'snapshot', type: 'boolean' },
];

/** A MySQL name as an Avro name: letters, digits and _ only, not starting with a digit. */
export function avroName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s === '' ? '_' : s;
}

export function tableShape(db: string, table: string, columns: ColumnSpec[], keyColumns: string[]): Shape {
  const names = new Map<string, string>();
  for (const c of columns) {
    const name = avroName(c.name);
    const clash = names.get(name) ?? (Object.values(META_FIELDS).includes(name as never) ? name : undefined);
    if (clash !== undefined) {
      throw new SchemaIncompatibleError(`columns ${db}.${table}.${c.name} and ${clash} both become the Avro field ${name}; ` +
        'rename one of them, or exclude the table with CAPTURE_EXCLUDE');
    }
    names.set(name, c.name);
  }
  for (const k of keyColumns) {
    if (!columns.some((c) => c.name === k)) throw new Error(`key column ${k} is not a column of ${db}.${table}`);
  }
  const fields = columns.map((c) => {
    const name = avroName(c.name);
    return { name, type: ['null', avroTypeOf(c)], default: null, ...(name !== c.name ? { column: c.name } : {}) };
  });
  const schema = {
    type: 'record',
    name: avroName(table),
    namespace: `cdc.${avroName(db)}`,
    doc: `One committed change of a row of ${db}.${table}: its columns (the row after the change; for a delete, as it was), then the change.`,
    fields: [
      ...fields,
      { name: META_FIELDS.op, type: 'string', doc: 'c = insert, u = update, d = delete, r = snapshot read.' },
      { name: META_FIELDS.source, type: { type: 'record', name: 'Source', fields: SOURCE_FIELDS } },
      { name: META_FIELDS.tsMs, type: 'long', doc: 'When the pipeline read the change.' },
    ],
  };
  const avroNames = columns.map((c) => avroName(c.name));
  const keyed = keyColumns.length > 0 ? keyColumns : columns.map((c) => c.name);
  const keySpecs = keyed.map((k) => columns.find((c) => c.name === k)!);
  const keyWriters: JsonWriter[] = keySpecs.map(jsonWriterFor);
  const keyOf = (row: Row): string => {
    if (keySpecs.length === 1) {
      const text = keyWriters[0]!(toAvro(keySpecs[0]!, row[keySpecs[0]!.name]));
      return text.startsWith('"') ? (JSON.parse(text) as string) : text;
    }
    return `[${keySpecs.map((c, i) => keyWriters[i]!(toAvro(c, row[c.name]))).join(',')}]`;
  };
  return {
    text: JSON.stringify(schema),
    columns,
    keyColumns,
    record(event, readAtMs) {
      const out: Record<string, unknown> = event.prebuilt ? { ...event.prebuilt.values } : {};
      const row = event.row;
      if (!event.prebuilt) for (let i = 0; i < columns.length; i++) out[avroNames[i]!] = toAvro(columns[i]!, row[columns[i]!.name]);
      const s = event.source;
      out[META_FIELDS.op] = event.op;
      out[META_FIELDS.source] = {
        server_id: s.serverId, db: s.db, table: s.table, file: s.file, pos: s.pos, row: s.row, gtid: s.gtid, ts_ms: s.tsMs, snapshot: s.snapshot,
      };
      out[META_FIELDS.tsMs] = readAtMs;
      return out;
    },
    key: keyOf,
    sameKey: (a, b) => keyOf(a) === keyOf(b),
  };
}
