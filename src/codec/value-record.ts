/** A change event as the Avro record of its value schema. Pure. */
import type { ChangeEvent } from '../source/change.js';
import { toAvroValue, ZERO, type ColumnType } from './mysql-types.js';
import { SEED_COLUMNS, type ValueSchema } from './value-schema.js';

export function toValueRecord(event: ChangeEvent, schema: ValueSchema, readAtMs: number): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  const nulls: string[] = [];
  const put = (column: ColumnType, nullable: boolean) => {
    const value = toAvroValue(event.row[column.name], column.avro);
    if (value === null && !nullable) {
      nulls.push(column.name);
      record[column.name] = ZERO[column.avro];
    } else record[column.name] = value;
  };
  for (const column of SEED_COLUMNS) put(column, false);
  record.null_fields = nulls;
  record.op = event.op;
  const s = event.source;
  record.source = {
    server_id: s.serverId, db: s.db, table: s.table, file: s.file, pos: s.pos, row: s.row, gtid: s.gtid,
    ts_ms: s.tsMs, snapshot: s.snapshot,
  };
  record.ts_ms = readAtMs;
  for (const column of schema.extra) put(column, true);
  return record;
}

/** The inverse for readers: NULLs restored from null_fields. */
export function fromValueRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out = { ...record };
  for (const name of (record.null_fields as string[] | undefined) ?? []) out[name] = null;
  delete out.null_fields;
  return out;
}
