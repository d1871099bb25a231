/** A change event as the Avro record of its value schema. Pure. */
import type { ChangeEvent } from '../model/change.js';
import { toAvroValue, ZERO, type ColumnType } from './mysql-types.js';
import { SEED_COLUMNS, type ValueSchema } from './value-schema.js';

const SEED_NAMES = ['id', 'name', 'category', 'price', 'last_updated'];
if (SEED_COLUMNS.map((c) => c.name).join() !== SEED_NAMES.join()) {
  throw new Error(`schemas/product-value.avsc must start with the fields ${SEED_NAMES.join(', ')}`);
}

export function toValueRecord(event: ChangeEvent, schema: ValueSchema, readAtMs: number): Record<string, unknown> {
  const row = event.row;
  const nulls: string[] = [];
  // The seed's five columns by name, so every record has the same shape (one hidden class for the encoder).
  const s = event.source;
  const record: Record<string, unknown> = {
    id: seedValue(row, SEED_COLUMNS[0]!, nulls),
    name: seedValue(row, SEED_COLUMNS[1]!, nulls),
    category: seedValue(row, SEED_COLUMNS[2]!, nulls),
    price: seedValue(row, SEED_COLUMNS[3]!, nulls),
    last_updated: seedValue(row, SEED_COLUMNS[4]!, nulls),
    null_fields: nulls,
    op: event.op,
    source: {
      server_id: s.serverId, db: s.db, table: s.table, file: s.file, pos: s.pos, row: s.row, gtid: s.gtid,
      ts_ms: s.tsMs, snapshot: s.snapshot,
    },
    ts_ms: readAtMs,
  };
  for (const column of schema.extra) record[column.name] = toAvroValue(row[column.name], column.avro);
  return record;
}

/** A seed column's value; NULL becomes the type's zero value, named in `nulls`. */
function seedValue(row: Record<string, unknown>, column: ColumnType, nulls: string[]): unknown {
  const value = toAvroValue(row[column.name], column.avro);
  if (value !== null) return value;
  nulls.push(column.name);
  return ZERO[column.avro];
}

/** The inverse for readers: NULLs restored from null_fields. */
export function fromValueRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out = { ...record };
  for (const name of (record.null_fields as string[] | undefined) ?? []) out[name] = null;
  delete out.null_fields;
  return out;
}
