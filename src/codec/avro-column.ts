/**
 * A column's Avro type, and its value as that type, from either path that reads rows: the binlog (zongji's
 * values, with date strings in UTC and JSON as text) or the snapshot (the server's text form of each value, read
 * with textual type casting). Both paths go through `toAvro`, so one row gives one Avro value whichever read it.
 * Pure.
 *
 * Every column type is written as an object carrying `mysql` (its normalised COLUMN_TYPE), so a reader of the
 * topic (the pool's JSON lines among them) knows the MySQL type behind each field.
 */
import type { ColumnSpec } from './column.js';
import { wkbFromMysql } from './geometry.js';

export type AvroColumnType = Record<string, unknown> & { type: string; mysql: string };

/** The Avro type of a column (without the null branch every column field gets). */
export function avroTypeOf(c: ColumnSpec): AvroColumnType {
  const t = (type: string, extra: Record<string, unknown> = {}): AvroColumnType => ({ type, ...extra, mysql: c.type });
  switch (c.kind) {
    case 'tinyint': case 'smallint': case 'mediumint': case 'year':
      return t('int');
    case 'int':
      return t(c.unsigned ? 'long' : 'int');
    case 'bigint':
      // BIGINT UNSIGNED reaches 2^64 - 1, past Avro's long: an exact decimal of 20 digits.
      return c.unsigned ? t('bytes', { logicalType: 'decimal', precision: 20, scale: 0 }) : t('long');
    case 'decimal':
      return t('bytes', { logicalType: 'decimal', precision: c.precision, scale: c.scale });
    case 'float':
      return t('float');
    case 'double':
      return t('double');
    case 'bit':
      return c.precision < 64 ? t('long') : t('bytes', { logicalType: 'decimal', precision: 20, scale: 0 });
    case 'date':
      return t('int', { logicalType: 'date' });
    case 'datetime':
      // A DATETIME has no time zone: Avro's local timestamp, not an instant.
      return t('long', { logicalType: 'local-timestamp-micros' });
    case 'timestamp':
      return t('long', { logicalType: 'timestamp-micros' });
    case 'time':
      // TIME is a signed duration up to ±838:59:59, which Avro's time-of-day types cannot hold: microseconds.
      return t('long');
    case 'uuid':
      return t('string', { logicalType: 'uuid' });
    case 'char': case 'varchar': case 'text': case 'enum': case 'set': case 'json': case 'inet4': case 'inet6':
      return t('string');
    case 'binary': case 'varbinary': case 'blob': case 'vector': case 'geometry':
      return t('bytes');
  }
}

/** Whether the Avro type may hold a long beyond 2^53 (read and written as BigInt there). */
export function isWideLong(type: AvroColumnType): boolean {
  return type.type === 'long';
}

const DAY_MS = 86_400_000;

/**
 * A value as read (zongji or the server's text) → the Avro value of the column's type; null stays null.
 * Values no calendar can hold (MySQL's zero dates, allowed outside strict sql_mode) become null.
 */
export function toAvro(c: ColumnSpec, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (c.kind) {
    case 'tinyint': case 'smallint': case 'mediumint':
      return typeof v === 'number' ? v : Number(text(v));
    case 'year': {
      const n = typeof v === 'number' ? v : Number(text(v));
      // zongji adds 1900 to the stored byte, so YEAR 0000 reads as 1900 (outside YEAR's 1901..2155).
      return n === 1900 ? 0 : n;
    }
    case 'int':
      return typeof v === 'number' ? v : Number(text(v));
    case 'bigint':
      if (c.unsigned) return decimalBytes(text(v), 0);
      return wideLong(v);
    case 'decimal':
      return decimalBytes(text(v), c.scale);
    case 'float': case 'double':
      return typeof v === 'number' ? v : Number(text(v));
    case 'bit': {
      const n = Buffer.isBuffer(v) ? bitsValue(v) : BigInt(text(v));
      return c.precision < 64 ? narrow(n) : signedBytes(n);
    }
    case 'date':
      return daysOf(text(v));
    case 'datetime': case 'timestamp':
      // zongji hands TIMESTAMP(0..3) over as a Date; its zero (the epoch itself) is the zero TIMESTAMP.
      if (v instanceof Date) return v.getTime() === 0 ? null : narrow(BigInt(v.getTime()) * 1000n);
      return microsOf(text(v), c.kind === 'timestamp');
    case 'time':
      return timeMicros(text(v));
    case 'char': case 'varchar': case 'text': case 'enum': case 'set': case 'uuid': case 'inet4': case 'inet6':
      return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
    case 'json':
      return typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : JSON.stringify(v);
    case 'binary': case 'varbinary': case 'blob': case 'vector':
      return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
    case 'geometry':
      return wkbFromMysql(Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'binary'));
  }
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function wideLong(v: unknown): number | bigint {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return narrow(v);
  return narrow(BigInt(text(v)));
}

/** A BigInt as a number where that is exact, so the common case stays a plain number. */
function narrow(n: bigint): number | bigint {
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

function bitsValue(b: Buffer): bigint {
  let n = 0n;
  for (const byte of b) n = (n << 8n) | BigInt(byte);
  return n;
}

/** An exact decimal text ("-12.5", "0.000001", "1e3" never occurs) → Avro decimal bytes: two's complement, big-endian. */
export function decimalBytes(s: string, scale: number): Buffer {
  let t = s.trim();
  const negative = t.startsWith('-');
  if (negative || t.startsWith('+')) t = t.slice(1);
  const [whole = '0', frac = ''] = t.split('.');
  const digits = `${whole}${frac.padEnd(scale, '0').slice(0, scale)}`;
  const unscaled = BigInt(digits === '' ? '0' : digits);
  return signedBytes(negative ? -unscaled : unscaled);
}

/** Two's complement, big-endian, in as few bytes as keep the sign (a zero byte leads an unsigned value with its top bit set). */
function signedBytes(n: bigint): Buffer {
  const bytes: number[] = [];
  let x = n;
  for (;;) {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n; // arithmetic shift keeps the sign
    const top = bytes[0]!;
    if ((x === 0n && (top & 0x80) === 0) || (x === -1n && (top & 0x80) !== 0)) break;
  }
  return Buffer.from(bytes);
}


/** Avro decimal bytes → the unscaled integer. */
export function unscaledOf(b: Buffer): bigint {
  if (b.length === 0) return 0n;
  let n = 0n;
  for (const byte of b) n = (n << 8n) | BigInt(byte);
  if ((b[0]! & 0x80) !== 0) n -= 1n << BigInt(b.length * 8);
  return n;
}

/** 'YYYY-MM-DD' → days since 1970-01-01; a zero month or day (MySQL's zero dates) → null. */
function daysOf(s: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m) throw new Error(`not a date: ${s}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo === 0 || d === 0) return null;
  // setUTCFullYear, not Date.UTC: the latter reads years 0..99 as 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  return Math.round(date.getTime() / DAY_MS);
}

/**
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC for TIMESTAMP) → microseconds since the epoch, a BigInt past 2^53
 * (about year 2255). A zero date → null; so is TIMESTAMP's zero, which zongji reads as the epoch itself (a real
 * TIMESTAMP starts at 1970-01-01 00:00:01).
 */
let lastMicrosText = '';
let lastMicrosInstant = false;
let lastMicros: number | bigint | null = null;
function microsOf(s: string, instant: boolean): number | bigint | null {
  // A transaction's rows often share their times (ON UPDATE CURRENT_TIMESTAMP): the last one is remembered.
  if (s === lastMicrosText && instant === lastMicrosInstant) return lastMicros;
  lastMicros = parseMicros(s, instant);
  lastMicrosText = s;
  lastMicrosInstant = instant;
  return lastMicros;
}

/** Milliseconds since the epoch within which microseconds stay exact as a number (2^53 µs: about the year 2255). */
const SAFE_EPOCH_MS = 9_007_199_253_000;

function parseMicros(s: string, instant: boolean): number | bigint | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(s);
  if (!m) throw new Error(`not a date and time: ${s}`);
  const [y, mo, d, h, mi, se] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (mo === 0 || d === 0) return null;
  const frac = Number((m[7] ?? '').padEnd(6, '0'));
  if (instant && y === 1970 && mo === 1 && d === 1 && h === 0 && mi === 0 && se === 0 && frac === 0) return null;
  const date = new Date(0);
  date.setUTCFullYear(y!, mo! - 1, d!);
  date.setUTCHours(h!, mi!, se!, 0);
  const ms = date.getTime();
  // A number while exact (until about the year 2255), a BigInt beyond.
  if (Math.abs(ms) < SAFE_EPOCH_MS) return ms * 1000 + frac;
  return narrow(BigInt(ms) * 1000n + BigInt(frac));
}

/** '[-]HHH:MM:SS[.ffffff]' → signed microseconds. */
function timeMicros(s: string): number {
  const m = /^(-)?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s.trim());
  if (!m) throw new Error(`not a time: ${s}`);
  const micros = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1_000_000 + Number((m[5] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
}
