/**
 * Decoded record → output line, per table, chosen once per writer schema: the seed's table through product's
 * transform (src/pool/transform.ts: today's fields and order, the columns the table gained after them), every
 * other table as a pass-through of its columns, then `op` and `_meta`. Pure.
 */
import { parseColumnType, type ColumnSpec } from '../codec/column.js';
import { jsonWriterFor, type JsonWriter } from '../codec/json-column.js';
import { META_COLUMN, parquetColumnFor, parquetColumnForAvro, planOf, type ParquetColumn, type ParquetPlan } from '../codec/parquet-column.js';
import { META_FIELDS } from '../codec/table-shape.js';
import { BASE_SCHEMA } from '../codec/value-schema.js';
import { toJsonLine, transform, type DiscountRule, type Meta } from './transform.js';

export type LineMaker = (record: Record<string, unknown>, meta: Meta) => string;

interface SchemaField { name: string; type: unknown; column?: string }

/** A field's value as JSON: by the MySQL type it carries (`mysql`), or by its Avro type (older writer schemas). */
function fieldWriter(field: SchemaField): JsonWriter {
  const branches = Array.isArray(field.type) ? field.type : [field.type];
  const t = branches.find((b) => b !== 'null') as string | { type: string; mysql?: string } | undefined;
  if (t && typeof t === 'object' && typeof t.mysql === 'string') {
    let spec: ColumnSpec;
    try {
      spec = parseColumnType(field.column ?? field.name, t.mysql, /binary|blob|geometry|bit|vector/.test(t.mysql) ? null : 'utf8mb4');
    } catch {
      return plainWriter(t.type);
    }
    return jsonWriterFor(spec);
  }
  return plainWriter(typeof t === 'object' ? t.type : t ?? 'string');
}

/** A field's Parquet column, by the same MySQL type (or Avro type) its JSON writer goes by. */
function fieldColumn(field: SchemaField): ParquetColumn {
  const name = field.column ?? field.name;
  const branches = Array.isArray(field.type) ? field.type : [field.type];
  const t = branches.find((b) => b !== 'null') as string | { type: string; mysql?: string } | undefined;
  if (t && typeof t === 'object' && typeof t.mysql === 'string') {
    try {
      return parquetColumnFor(name, parseColumnType(name, t.mysql, /binary|blob|geometry|bit|vector/.test(t.mysql) ? null : 'utf8mb4'));
    } catch {
      return parquetColumnForAvro(name, t.type);
    }
  }
  return parquetColumnForAvro(name, typeof t === 'object' ? t.type : t ?? 'string');
}

/** The columns of product's lines: the transform's fields, the columns beyond the seed's, `op`, `_meta`. */
export function productPlan(writerSchema: { fields: SchemaField[] }): ParquetPlan {
  const extra = writerSchema.fields.filter((f) => !SEED_FIELDS.has(f.name));
  return planOf([
    { name: 'id', read: 'INTEGER' }, { name: 'name', read: 'VARCHAR' }, { name: 'category', read: 'VARCHAR' },
    { name: 'price', read: 'DOUBLE' }, { name: 'list_price', read: 'DOUBLE' }, { name: 'discount_percent', read: 'DOUBLE' },
    { name: 'last_updated', read: 'TIMESTAMPTZ' },
    ...extra.map(fieldColumn), { name: 'op', read: 'VARCHAR' }, META_COLUMN,
  ]);
}

/** The columns of any other table's lines. */
export function tablePlan(writerSchema: { fields: SchemaField[] }): ParquetPlan {
  const meta = new Set<string>(Object.values(META_FIELDS));
  return planOf([...writerSchema.fields.filter((f) => !meta.has(f.name)).map(fieldColumn), { name: 'op', read: 'VARCHAR' }, META_COLUMN]);
}

function plainWriter(avroType: string): JsonWriter {
  switch (avroType) {
    case 'int': case 'long': case 'float': case 'double': case 'boolean':
      return (v) => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? 'null' : String(v));
    case 'bytes':
      return (v) => (v === null || v === undefined ? 'null' : `"${(v as Buffer).toString('base64')}"`);
    default:
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(v));
  }
}

const SEED_FIELDS = new Set(BASE_SCHEMA.fields.map((f) => f.name));

/** The seed's table: product's transform, with the columns beyond the seed's after today's fields, before `op`. */
export function productLines(writerSchema: { fields: SchemaField[] }, rule: DiscountRule): LineMaker {
  const extra = writerSchema.fields.filter((f) => !SEED_FIELDS.has(f.name));
  if (extra.length === 0) return (record, meta) => toJsonLine(transform(record, rule, meta));
  const keys = extra.map((f) => `,${JSON.stringify(f.column ?? f.name)}:`);
  const writers = extra.map(fieldWriter);
  return (record, meta) => {
    let more = '';
    for (let i = 0; i < extra.length; i++) more += keys[i] + writers[i]!(record[extra[i]!.name]);
    return toJsonLine(transform(record, rule, meta), more);
  };
}

/** Any other table: its columns as the type mapping writes them, then `op` and `_meta`. */
export function tableLines(writerSchema: { fields: SchemaField[] }): LineMaker {
  const meta = new Set<string>(Object.values(META_FIELDS));
  const columns = writerSchema.fields.filter((f) => !meta.has(f.name));
  const keys = columns.map((f, i) => `${i === 0 ? '{' : ','}${JSON.stringify(f.column ?? f.name)}:`);
  const writers = columns.map(fieldWriter);
  return (record, m) => {
    let line = columns.length === 0 ? '{' : '';
    for (let i = 0; i < columns.length; i++) line += keys[i] + writers[i]!(record[columns[i]!.name]);
    return `${line}${columns.length === 0 ? '' : ','}"op":${JSON.stringify(String(record[META_FIELDS.op]))},` +
      `"_meta":{"topic":${JSON.stringify(m.topic)},"partition":${m.partition},"offset":${m.offset}}}\n`;
  };
}
