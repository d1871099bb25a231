/**
 * A column's Avro value → its JSON text in an output line, by the MySQL type its field carries. Numbers stay
 * numbers with every digit (DECIMAL, BIGINT UNSIGNED and BIT(64) as exact JSON numbers: a reader that declares
 * the column DECIMAL or UBIGINT keeps them exact); temporal values are ISO 8601 text with the column's own
 * fractional digits; binary values are base64; JSON documents are embedded as they are; geometries are WKT.
 * Pure.
 */
import { unscaledOf } from './avro-column.js';
import type { ColumnSpec } from './column.js';
import { shortestFloat32 } from './float32.js';
import { wktOf } from './geometry.js';

export type JsonWriter = (value: unknown) => string;

/** One writer per column, chosen once per schema, so a line costs no type dispatch per value. */
export function jsonWriterFor(c: ColumnSpec): JsonWriter {
  const nullable = (write: JsonWriter): JsonWriter => (v) => (v === null || v === undefined ? 'null' : write(v));
  switch (c.kind) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'int': case 'year': case 'double':
      return nullable((v) => String(v));
    case 'bigint':
      return nullable(c.unsigned ? (v) => decimalText(v as Buffer, 0) : (v) => String(v));
    case 'bit':
      return nullable(c.precision < 64 ? (v) => String(v) : (v) => decimalText(v as Buffer, 0));
    case 'decimal':
      return nullable((v) => decimalText(v as Buffer, c.scale));
    case 'float':
      return nullable((v) => String(shortestFloat32(v as number)));
    case 'date':
      return nullable((v) => `"${dateText(v as number)}"`);
    case 'datetime':
      return nullable((v) => `"${dateTimeText(v as number | bigint, c.fsp)}"`);
    case 'timestamp':
      return nullable((v) => `"${dateTimeText(v as number | bigint, c.fsp)}Z"`);
    case 'time':
      return nullable((v) => `"${timeText(v as number, c.fsp)}"`);
    case 'json':
      return nullable((v) => embeddedJson(v as string));
    case 'binary': case 'varbinary': case 'blob': case 'vector':
      return nullable((v) => `"${(v as Buffer).toString('base64')}"`);
    case 'geometry':
      return nullable((v) => `"${wktOf(v as Buffer)}"`);
    case 'char': case 'varchar': case 'text': case 'enum': case 'set': case 'uuid': case 'inet4': case 'inet6':
      return nullable((v) => JSON.stringify(v));
  }
}

/** Exact decimal text of unscaled Avro decimal bytes: scale digits after the point, as MySQL shows them. */
export function decimalText(b: Buffer, scale: number): string {
  const n = unscaledOf(b);
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString();
  if (scale === 0) return `${negative ? '-' : ''}${digits}`;
  digits = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function dateText(days: number): string {
  const d = new Date(days * 86_400_000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function dateTimeText(micros: number | bigint, fsp: number): string {
  const big = BigInt(micros);
  let ms = big / 1000n;
  let rest = big % 1000n;
  if (rest < 0n) { rest += 1000n; ms -= 1n; }
  const d = new Date(Number(ms));
  const text = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (fsp === 0) return text;
  const fraction = `${pad(d.getUTCMilliseconds(), 3)}${pad(Number(rest), 3)}`;
  return `${text}.${fraction.slice(0, fsp)}`;
}

function timeText(micros: number, fsp: number): string {
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const seconds = Math.floor(abs / 1_000_000);
  const text = `${negative ? '-' : ''}${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  return fsp === 0 ? text : `${text}.${pad(abs % 1_000_000, 6).slice(0, fsp)}`;
}

/**
 * A JSON column's document, embedded in the line as it is. MySQL gives its own normalised text; MariaDB (whose
 * JSON is a LONGTEXT checked by JSON_VALID) keeps the text as written, which may hold line breaks between
 * tokens: they become spaces (a valid document has none inside its strings). Text that is not a valid document
 * (the check switched off) is written as a string instead.
 */
function embeddedJson(text: string): string {
  const flat = /[\r\n]/.test(text) ? text.replace(/[\r\n]/g, ' ') : text;
  try {
    JSON.parse(flat);
    return flat;
  } catch {
    return JSON.stringify(text);
  }
}
