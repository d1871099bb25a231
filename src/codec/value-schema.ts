/**
 * The seed table's value schema and records (the table MYSQL_DATABASE.MYSQL_TABLE, `shop.product` by default):
 * the fixed part from schemas/product-value.avsc, whose first five fields keep the seed's exact types so a reader
 * holding only schemas/product-seed.avsc resolves every record, then every column the table has beyond the seed's
 * five, as a nullable field with a null default typed like any table's (src/codec/avro-column.ts), so each
 * ALTER TABLE … ADD COLUMN makes a new BACKWARD-compatible version. A NULL in a seed column is written as its
 * type's zero value and named in `null_fields`. Pure.
 */
import { readFileSync } from 'node:fs';
import type { ChangeEvent } from '../model/change.js';
import { avroTypeOf, toAvro } from './avro-column.js';
import type { ColumnSpec } from './column.js';
import { SchemaIncompatibleError } from './errors.js';
import { avroName, type Row, type Shape } from './table-shape.js';

interface AvroField { name: string; type: unknown; default?: unknown; doc?: string }
interface AvroRecord { type: 'record'; name: string; doc?: string; fields: AvroField[] }

export const BASE_SCHEMA = JSON.parse(
  readFileSync(new URL('../../schemas/product-value.avsc', import.meta.url), 'utf8'),
) as AvroRecord;

type SeedPrimitive = 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes';

/** The seed's columns and the Avro types its readers expect for them. */
export const SEED_COLUMNS: ReadonlyArray<{ name: string; avro: SeedPrimitive }> = BASE_SCHEMA.fields.slice(0, 5).map((f) => ({
  name: f.name, avro: f.type as SeedPrimitive,
}));
const SEED_NAMES = ['id', 'name', 'category', 'price', 'last_updated'];
if (SEED_COLUMNS.map((c) => c.name).join() !== SEED_NAMES.join()) {
  throw new Error(`schemas/product-value.avsc must start with the fields ${SEED_NAMES.join(', ')}`);
}
const RESERVED = new Set(BASE_SCHEMA.fields.map((f) => f.name));

/** The seed's own mapping: what each seed field's Avro type was chosen from (exact numbers, text for the rest). */
function seedPrimitive(c: ColumnSpec): SeedPrimitive {
  switch (c.kind) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'year': return 'int';
    case 'int': return c.unsigned ? 'long' : 'int';
    case 'float': return 'float';
    case 'double': return 'double';
    case 'binary': case 'varbinary': case 'blob': case 'geometry': case 'vector': return 'bytes';
    default: return 'string';
  }
}

/** Which column types can still be written into each seed field's type. */
const WIDENS_TO: Record<SeedPrimitive, SeedPrimitive[]> = {
  int: ['int'], long: ['int', 'long'], float: ['float', 'int'], double: ['double', 'float', 'int', 'long'],
  string: ['string'], bytes: ['bytes'],
};

const ZERO: Record<SeedPrimitive, unknown> = { int: 0, long: 0, float: 0, double: 0, string: '', bytes: Buffer.alloc(0) };

/**
 * A seed field's value. Temporal text (what both read paths give) becomes ISO 8601 in UTC with milliseconds, as
 * the seed wrote it; numbers become numbers. NULL → null (the caller writes the zero value and names it).
 */
function seedValue(c: ColumnSpec, avro: SeedPrimitive, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (avro) {
    case 'int': case 'long': case 'float': case 'double':
      return typeof v === 'number' ? v : Number(v);
    case 'bytes':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v));
    case 'string':
      if (c.kind === 'timestamp' || c.kind === 'datetime') return isoMillis(v);
      if (typeof v === 'string') return v;
      if (Buffer.isBuffer(v)) return v.toString('utf8');
      return String(toAvro(c, v));
  }
}

/**
 * A Date, or 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC), → 'YYYY-MM-DDTHH:MM:SS.mmmZ', remembering the last one: a
 * transaction's rows share their TIMESTAMP (ON UPDATE CURRENT_TIMESTAMP), so during a catch-up most calls repeat
 * the previous one.
 */
let lastText = '';
let lastIso = '';
let lastMs = NaN;
let lastDateIso = '';
export function isoMillis(v: unknown): string {
  if (v instanceof Date) {
    const ms = v.getTime();
    if (ms !== lastMs) {
      lastDateIso = v.toISOString();
      lastMs = ms;
    }
    return lastDateIso;
  }
  const s = String(v);
  if (s === lastText) return lastIso;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?/.exec(s);
  lastText = s;
  lastIso = m ? `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z` : s;
  return lastIso;
}

export function productShape(table: string, columns: ColumnSpec[]): Shape {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const seeds = SEED_COLUMNS.map((seed) => {
    const column = byName.get(seed.name);
    if (!column) {
      throw new SchemaIncompatibleError(
        `table ${table} no longer has column ${seed.name}, which every reader of the value schema requires; ` +
          'restore the column (the source stopped before that change and will resume from it)');
    }
    if (!WIDENS_TO[seed.avro].includes(seedPrimitive(column))) {
      throw new SchemaIncompatibleError(
        `column ${table}.${seed.name} now maps to Avro ${seedPrimitive(column)}, but readers expect ${seed.avro}; ` +
          'change the column back to a compatible type (the source stopped before that change and will resume from it)');
    }
    return { column, avro: seed.avro };
  });
  const extra = columns.filter((c) => !SEED_NAMES.includes(c.name));
  const extraNames = extra.map((c) => avroName(c.name));
  const taken = new Map<string, string>();
  extra.forEach((c, i) => {
    const name = extraNames[i]!;
    const clash = RESERVED.has(name) ? name : taken.get(name);
    if (clash !== undefined) {
      throw new SchemaIncompatibleError(`column ${table}.${c.name} cannot become the Avro field ${name}: ` +
        `${RESERVED.has(name) ? 'the value schema has a field of that name' : `column ${clash} becomes it too`}; rename it`);
    }
    taken.set(name, c.name);
  });
  const schema: AvroRecord = {
    ...BASE_SCHEMA,
    fields: [
      ...BASE_SCHEMA.fields,
      ...extra.map((c, i) => ({ name: extraNames[i]!, type: ['null', avroTypeOf(c)], default: null,
        ...(extraNames[i] !== c.name ? { column: c.name } : {}) })),
    ],
  };
  const [id, name, category, price, lastUpdated] = seeds;
  const seed = (row: Row, s: typeof id, nulls: string[]): unknown => {
    const value = seedValue(s!.column, s!.avro, row[s!.column.name]);
    if (value !== null) return value;
    nulls.push(s!.column.name);
    return ZERO[s!.avro];
  };
  const keyOf = (row: Row): string => {
    const v = row.id;
    return typeof v === 'number' ? String(v) : String(Number(v));
  };
  return {
    text: JSON.stringify(schema),
    columns,
    keyColumns: ['id'],
    record(event: ChangeEvent, readAtMs: number) {
      const s = event.source;
      const source = {
        server_id: s.serverId, db: s.db, table: s.table, file: s.file, pos: s.pos, row: s.row, gtid: s.gtid, ts_ms: s.tsMs, snapshot: s.snapshot,
      };
      if (event.prebuilt) return { ...event.prebuilt.values, op: event.op, source, ts_ms: readAtMs };
      const row = event.row;
      const nulls: string[] = [];
      // The seed's five columns by name, so every record has the same shape (one hidden class for the encoder).
      const record: Record<string, unknown> = {
        id: seed(row, id, nulls),
        name: seed(row, name, nulls),
        category: seed(row, category, nulls),
        price: seed(row, price, nulls),
        last_updated: seed(row, lastUpdated, nulls),
        null_fields: nulls,
        op: event.op,
        source,
        ts_ms: readAtMs,
      };
      for (let i = 0; i < extra.length; i++) record[extraNames[i]!] = toAvro(extra[i]!, row[extra[i]!.name]);
      return record;
    },
    key: keyOf,
    sameKey: (a, b) => keyOf(a) === keyOf(b),
  };
}

/** For readers of the topic: NULLs restored from null_fields. */
export function fromValueRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out = { ...record };
  for (const name of (record.null_fields as string[] | undefined) ?? []) out[name] = null;
  delete out.null_fields;
  return out;
}
