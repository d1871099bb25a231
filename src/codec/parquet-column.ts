/**
 * A line's fields as Parquet columns: for each key of a table's lines, the type DuckDB reads its JSON value as and
 * the expression that gives the column its logical type (the MySQL type the field carries, as the type mapping
 * writes it in the line). Chosen once per writer schema; a segment holds lines of one plan only. Pure.
 *
 * Exactness: DuckDB's JSON reader parses a fractional number as a double, so a DECIMAL of more than 15 digits is
 * taken from the line's text instead (`raw`); 15 digits always survive a double. Integers of every width are
 * parsed exactly. Binary values are base64 in the line; TIME becomes signed microseconds (BIGINT).
 */
import type { ColumnSpec } from './column.js';

export interface ParquetColumn {
  /** The key in the line. */
  name: string;
  /** What read_json reads the key's value as. */
  read: string;
  /** The column from the value read (`$` stands for it); absent: as read. */
  cast?: string;
  /** A DECIMAL wider than a double holds: its digits are cut from the line's text and cast to this type. */
  raw?: string;
}

export interface ParquetPlan {
  columns: ParquetColumn[];
  /** Equal plans have equal keys: a segment closes when its lines' plan changes. */
  key: string;
}

export function planOf(columns: ParquetColumn[]): ParquetPlan {
  return { columns, key: JSON.stringify(columns) };
}

/** `_meta`, last in every line. */
export const META_COLUMN: ParquetColumn = { name: '_meta', read: 'STRUCT(topic VARCHAR, "partition" INTEGER, "offset" BIGINT)' };

export function parquetColumnFor(name: string, c: ColumnSpec): ParquetColumn {
  const u = c.unsigned;
  switch (c.kind) {
    case 'tinyint': return { name, read: u ? 'UTINYINT' : 'TINYINT' };
    case 'smallint': return { name, read: u ? 'USMALLINT' : 'SMALLINT' };
    case 'mediumint': return { name, read: u ? 'UINTEGER' : 'INTEGER' };
    case 'int': return { name, read: u ? 'UINTEGER' : 'INTEGER' };
    case 'bigint': return { name, read: u ? 'UBIGINT' : 'BIGINT' };
    case 'year': return { name, read: 'SMALLINT' };
    case 'bit': return { name, read: 'UBIGINT' };
    case 'decimal':
      if (c.precision <= 15) return { name, read: `DECIMAL(${c.precision},${c.scale})` };
      // DuckDB's DECIMAL holds 38 digits; MySQL's up to 65: wider ones stay exact as their text.
      return { name, read: 'VARCHAR', raw: c.precision <= 38 ? `DECIMAL(${c.precision},${c.scale})` : 'VARCHAR' };
    case 'float': return { name, read: 'FLOAT' };
    case 'double': return { name, read: 'DOUBLE' };
    case 'date': return { name, read: 'DATE' };
    case 'datetime': return { name, read: 'TIMESTAMP' };
    case 'timestamp': return { name, read: 'TIMESTAMPTZ' };
    // MySQL's TIME spans ±838 hours with microseconds: Parquet's TIME stops at 24 hours and its INTERVAL holds
    // neither a sign nor microseconds. Signed microseconds, exact.
    case 'time': return { name, read: 'VARCHAR', cast: "epoch_us(TIMESTAMP '1970-01-01 00:00:00' + CAST($ AS INTERVAL))" };
    case 'json': return { name, read: 'JSON' };
    case 'binary': case 'varbinary': case 'blob': case 'vector':
      return { name, read: 'VARCHAR', cast: 'from_base64($)' };
    case 'geometry': // WKT text
    case 'char': case 'varchar': case 'text': case 'enum': case 'set': case 'uuid': case 'inet4': case 'inet6':
      return { name, read: 'VARCHAR' };
  }
}

/** A field of an older writer schema, without the MySQL type: by its Avro type. */
export function parquetColumnForAvro(name: string, avroType: string): ParquetColumn {
  switch (avroType) {
    case 'int': return { name, read: 'INTEGER' };
    case 'long': return { name, read: 'BIGINT' };
    case 'float': return { name, read: 'FLOAT' };
    case 'double': return { name, read: 'DOUBLE' };
    case 'boolean': return { name, read: 'BOOLEAN' };
    case 'bytes': return { name, read: 'VARCHAR', cast: 'from_base64($)' };
    default: return { name, read: 'VARCHAR' };
  }
}

/** The column's type in the Parquet file. */
export function typeOf(c: ParquetColumn): string {
  if (c.raw) return c.raw;
  if (c.cast?.startsWith('from_base64')) return 'BLOB';
  if (c.cast?.startsWith('epoch_us')) return 'BIGINT';
  return c.read;
}

export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** A SQL string literal. */
export const sqlText = (t: string) => `'${t.replace(/'/g, "''")}'`;
/** One path, or a list of them (DuckDB reads several files as one). */
const literal = (t: string | string[]) => (Array.isArray(t) ? `[${t.map(sqlText).join(', ')}]` : sqlText(t));
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The SELECT that reads a segment's lines (`path`) as the plan's columns, in the lines' order. Without wide
 * decimals, read_json types every key; with them, each line is read as one text value (a byte JSON never holds
 * unescaped as the delimiter), typed by json_transform, and the decimals' digits are cut from the text.
 */
export function selectSql(plan: ParquetPlan, path: string | string[]): string {
  const cols = plan.columns;
  const project = (c: ParquetColumn, from: string) => {
    if (c.raw) {
      // The key as the line writes it, at the top level: after `{` or `,`, outside every string (strings are
      // skipped whole, escapes included). An embedded JSON document before it with the same key could be cut
      // instead: the digits must then agree with the value parsed as a double, or the conversion fails (and the
      // segment stays JSON lines) rather than write a wrong number.
      const key = escapeRegex(JSON.stringify(c.name));
      const re = `^(?:[^"]|"(?:[^"\\\\]|\\\\.)*")*?[{,]${key}:(-?[0-9]+(?:\\.[0-9]+)?)[,}]`;
      const digits = `NULLIF(regexp_extract(line, ${literal(re)}, 1), '')`;
      const parsed = `j.${ident(c.name)}`;
      return `CASE WHEN ${parsed} IS NULL THEN NULL WHEN abs(CAST(${digits} AS DOUBLE) - ${parsed}) <= 1e-9 * abs(${parsed}) ` +
        `THEN CAST(${digits} AS ${c.raw}) ELSE error(${literal(`column ${c.name}: the decimal cut from the line does not match its value`)}) END AS ${ident(c.name)}`;
    }
    const value = `${from}${ident(c.name)}`;
    return `${c.cast ? c.cast.replace('$', value) : value} AS ${ident(c.name)}`;
  };
  if (!cols.some((c) => c.raw)) {
    const columns = cols.map((c) => `${literal(c.name)}: ${literal(c.read)}`).join(', ');
    return `SELECT ${cols.map((c) => project(c, '')).join(', ')} FROM read_json(${literal(path)}, format='newline_delimited', ` +
      `columns={${columns}})`;
  }
  const shape = JSON.stringify(Object.fromEntries(cols.map((c) => [c.name, c.raw ? 'DOUBLE' : c.read])));
  return `SELECT ${cols.map((c) => project(c, 'j.')).join(', ')} FROM (SELECT line, json_transform(line, ${literal(shape)}) AS j ` +
    `FROM read_csv(${literal(path)}, columns={'line': 'VARCHAR'}, header=false, delim=E'\\x01', quote='', escape='', ` +
    `auto_detect=false))`;
}
