/**
 * Which Avro type carries a MySQL column, from the column type code in the binlog's TableMap
 * (MySQL's enum_field_types). Exact decimals, 64-bit integers and temporal values travel as strings so no
 * reader loses precision or a time zone.
 */
export type AvroPrimitive = 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes';

export interface ColumnType {
  name: string;
  avro: AvroPrimitive;
}

const TYPE = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, TIMESTAMP: 7, LONGLONG: 8, INT24: 9, DATE: 10,
  TIME: 11, DATETIME: 12, YEAR: 13, NEWDATE: 14, VARCHAR: 15, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18, TIME2: 19,
  JSON: 245, NEWDECIMAL: 246, ENUM: 247, SET: 248, TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252,
  VAR_STRING: 253, STRING: 254, GEOMETRY: 255,
} as const;

export function avroTypeOf(typeCode: number, charset: string | null | undefined, unsigned = false): AvroPrimitive {
  switch (typeCode) {
    case TYPE.TINY: case TYPE.SHORT: case TYPE.INT24: case TYPE.YEAR:
      return 'int';
    case TYPE.LONG:
      return unsigned ? 'long' : 'int';
    case TYPE.FLOAT:
      return 'float';
    case TYPE.DOUBLE:
      return 'double';
    case TYPE.TINY_BLOB: case TYPE.MEDIUM_BLOB: case TYPE.LONG_BLOB: case TYPE.BLOB: case TYPE.GEOMETRY:
    case TYPE.VARCHAR: case TYPE.VAR_STRING: case TYPE.STRING:
      // TEXT columns are BLOBs with a character set, (VAR)CHAR columns are (VAR)BINARY without one: a column
      // without a character set is bytes, as the snapshot's INFORMATION_SCHEMA says, so both give one Avro type.
      // (ENUM and SET arrive as STRING, always with a character set.)
      return charset ? 'string' : 'bytes';
    default:
      // DECIMAL, BIGINT (beyond 2^53 in JavaScript), BIT, temporal types, JSON.
      return 'string';
  }
}

/** A column value as the Avro type expects it; null stays null. */
export function toAvroValue(value: unknown, avro: AvroPrimitive): unknown {
  if (value === null || value === undefined) return null;
  switch (avro) {
    case 'int': case 'long': case 'float': case 'double':
      return typeof value === 'number' ? value : Number(value);
    case 'bytes':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value));
    case 'string':
      if (typeof value === 'string') return value;
      if (value instanceof Date) return isoTime(value);
      if (Buffer.isBuffer(value)) return value.toString('utf8');
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
  }
}

export const ZERO: Record<AvroPrimitive, unknown> = {
  int: 0, long: 0, float: 0, double: 0, string: '', bytes: Buffer.alloc(0),
};

/**
 * Date → ISO text, remembering the last one: a transaction's rows share their TIMESTAMP (ON UPDATE
 * CURRENT_TIMESTAMP), so during a catch-up most calls repeat the previous instant.
 */
let lastMs = NaN;
let lastIso = '';
function isoTime(value: Date): string {
  const ms = value.getTime();
  if (ms !== lastMs) {
    lastIso = value.toISOString();
    lastMs = ms;
  }
  return lastIso;
}
