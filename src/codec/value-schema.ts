/**
 * The value schema for the captured table's current columns: the fixed part from schemas/product-value.avsc,
 * then every column the table has beyond the seed's five, as a nullable field with a null default, so each
 * ALTER TABLE … ADD COLUMN makes a new BACKWARD-compatible version. Pure.
 */
import { readFileSync } from 'node:fs';
import { SchemaIncompatibleError } from './errors.js';
import type { AvroPrimitive, ColumnType } from './mysql-types.js';

interface AvroField { name: string; type: unknown; default?: unknown; doc?: string }
interface AvroRecord { type: 'record'; name: string; doc?: string; fields: AvroField[] }

export const BASE_SCHEMA = JSON.parse(
  readFileSync(new URL('../../schemas/product-value.avsc', import.meta.url), 'utf8'),
) as AvroRecord;

/** The seed's columns and the Avro types the seed's readers expect for them. */
export const SEED_COLUMNS: ReadonlyArray<ColumnType> = BASE_SCHEMA.fields.slice(0, 5).map((f) => ({
  name: f.name,
  avro: f.type as AvroPrimitive,
}));

const RESERVED = new Set(BASE_SCHEMA.fields.slice(5).map((f) => f.name));

/** Which MySQL-derived Avro types can still be written into each seed field's type. */
const WIDENS_TO: Record<AvroPrimitive, AvroPrimitive[]> = {
  int: ['int'], long: ['int', 'long'], float: ['float', 'int'], double: ['double', 'float', 'int', 'long'],
  string: ['string'], bytes: ['bytes'],
};

export interface ValueSchema {
  /** Avro schema JSON, stable text for the same columns (the registry deduplicates by it). */
  text: string;
  /** Columns beyond the seed's, in table order, as carried in the record. */
  extra: ColumnType[];
}

export function valueSchemaFor(table: string, columns: ColumnType[]): ValueSchema {
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const seed of SEED_COLUMNS) {
    const column = byName.get(seed.name);
    if (!column) {
      throw new SchemaIncompatibleError(
        `table ${table} no longer has column ${seed.name}, which every reader of the value schema requires; ` +
          'restore the column (the source stopped before that change and will resume from it)');
    }
    if (!WIDENS_TO[seed.avro].includes(column.avro)) {
      throw new SchemaIncompatibleError(
        `column ${table}.${seed.name} now maps to Avro ${column.avro}, but readers expect ${seed.avro}; ` +
          'change the column back to a compatible type (the source stopped before that change and will resume from it)');
    }
  }
  const seedNames = new Set(SEED_COLUMNS.map((c) => c.name));
  const extra = columns.filter((c) => !seedNames.has(c.name));
  for (const c of extra) {
    if (RESERVED.has(c.name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c.name)) {
      throw new SchemaIncompatibleError(
        `column ${table}.${c.name} cannot become an Avro field (reserved or not a valid Avro name); rename it`);
    }
  }
  const schema: AvroRecord = {
    ...BASE_SCHEMA,
    fields: [
      ...BASE_SCHEMA.fields,
      ...extra.map((c) => ({ name: c.name, type: ['null', c.avro], default: null })),
    ],
  };
  return { text: JSON.stringify(schema), extra };
}
