/**
 * Avro schema text → an avsc type, the way every part of the pipeline parses a value schema: a column's long
 * (BIGINT, DATETIME and TIMESTAMP microseconds, TIME, BIT) may pass 2^53, so it is read and written as a BigInt
 * there, and as a plain number wherever that is exact. The pipeline's own longs (positions, times) stay plain.
 */
import avro from 'avsc';

const MAX = 9007199254740991n;

const wideLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => {
    const n = buf.readBigInt64LE();
    return n >= -MAX && n <= MAX ? Number(n) : n;
  },
  toBuffer: (n: number | bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => (typeof v === 'bigint' ? v : Number(v)),
  toJSON: (n: number | bigint) => (typeof n === 'bigint' ? Number(n) : n),
  isValid: (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n)) || typeof n === 'bigint',
  compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** A column's long carries the `mysql` attribute (src/codec/avro-column.ts). */
function typeHook(schema: avro.Schema): avro.Type | undefined {
  if (schema && typeof schema === 'object' && !Array.isArray(schema)) {
    const s = schema as { type?: unknown; mysql?: unknown };
    if (s.type === 'long' && typeof s.mysql === 'string') return wideLong;
  }
  return undefined;
}

export function parseValueSchema(schema: string | object): avro.Type {
  return avro.Type.forSchema((typeof schema === 'string' ? JSON.parse(schema) : schema) as avro.Schema, { typeHook });
}
