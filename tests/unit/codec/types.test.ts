import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseValueSchema } from '../../../src/codec/avro-parse.js';
import { avroTypeOf, decimalBytes, toAvro, unscaledOf } from '../../../src/codec/avro-column.js';
import { parseColumnType } from '../../../src/codec/column.js';
import { wktOf } from '../../../src/codec/geometry.js';
import { decimalText, jsonWriterFor } from '../../../src/codec/json-column.js';

const col = (type: string, charset: string | null = null) => parseColumnType('c', type, charset);
/** A value as read → Avro → encoded and decoded by Avro → its JSON in a line. */
function line(type: string, value: unknown, charset: string | null = null): string {
  const c = col(type, charset);
  const avro = parseValueSchema({ type: 'record', name: 'R', fields: [{ name: 'c', type: ['null', avroTypeOf(c)] }] });
  const decoded = avro.fromBuffer(avro.toBuffer({ c: toAvro(c, value) })) as { c: unknown };
  return jsonWriterFor(c)(decoded.c);
}

test('COLUMN_TYPE text parses the same from INFORMATION_SCHEMA and from the binlog metadata', () => {
  assert.equal(col('int(11) unsigned zerofill').type, 'int unsigned');
  assert.equal(col('int unsigned').type, 'int unsigned');
  assert.equal(col('tinyint(1)').kind, 'tinyint');
  assert.deepEqual([col('decimal(65,30)').precision, col('decimal(65,30)').scale], [65, 30]);
  assert.equal(col('datetime(6)').fsp, 6);
  assert.equal(col('timestamp').type, 'timestamp');
  assert.equal(col('year(4)').type, 'year');
  assert.deepEqual(col("enum('a','b''c','d,e')", 'utf8mb4').values, ['a', "b'c", 'd,e']);
  assert.equal(col('varchar(20)', null).kind, 'varbinary', 'a CHAR/VARCHAR without a character set is binary');
  assert.equal(col('longtext', 'utf8mb4').kind, 'text');
  assert.equal(col('mediumblob').kind, 'blob');
  assert.equal(col('geomcollection').type, 'geometrycollection');
  assert.equal(col('point').kind, 'geometry');
  assert.throws(() => col('nonsense(3)'), /has no mapping/);
});

test('integers keep every digit: BIGINT beyond 2^53 as a BigInt long, BIGINT UNSIGNED max as a decimal', () => {
  assert.equal(line('bigint', '-9223372036854775808'), '-9223372036854775808');
  assert.equal(line('bigint', 9007199254740991), '9007199254740991');
  assert.equal(line('bigint unsigned', '18446744073709551615'), '18446744073709551615');
  assert.equal(line('int unsigned', 4294967295), '4294967295');
  assert.equal(line('tinyint', '-128'), '-128', 'the snapshot\'s text');
  assert.deepEqual(avroTypeOf(col('bigint unsigned')), { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 0, mysql: 'bigint unsigned' });
});

test('DECIMAL travels as Avro decimal bytes and prints with its scale, as MySQL shows it', () => {
  assert.equal(line('decimal(10,2)', '12.5'), '12.50');
  assert.equal(line('decimal(10,2)', '-0.01'), '-0.01');
  assert.equal(line('decimal(65,30)', '-12345678901234567890123456789012345.123456789012345678901234567890'),
    '-12345678901234567890123456789012345.123456789012345678901234567890');
  assert.equal(line('decimal(5,0)', '0'), '0');
  for (const v of ['0', '1', '-1', '127', '128', '-128', '-129', '255', '256', '99999999999999999999']) {
    assert.equal(unscaledOf(decimalBytes(v, 0)), BigInt(v), `two's complement of ${v}`);
  }
  assert.equal(decimalText(decimalBytes('-0.005', 3), 3), '-0.005');
  assert.equal(decimalText(decimalBytes('-5', 3), 3), '-5.000');
});

test('FLOAT prints as its float32\'s shortest decimal, DOUBLE as JavaScript prints it', () => {
  assert.equal(line('float', Math.fround(19.99)), '19.99');
  assert.equal(line('float', '19.99'), '19.99', 'the snapshot\'s text gives the same float32');
  assert.equal(line('double', 0.1), '0.1');
  assert.equal(line('double', '1.7976931348623157e308'), '1.7976931348623157e+308');
});

test('BIT(1..63) is a number, BIT(64) a 20-digit decimal; both from the bytes the binlog and the snapshot give', () => {
  assert.equal(line('bit(1)', Buffer.from([1])), '1');
  assert.equal(line('bit(12)', Buffer.from([0x0f, 0xff])), '4095');
  assert.equal(line('bit(64)', Buffer.alloc(8, 0xff)), '18446744073709551615');
});

test('temporal types: ISO 8601 with the column\'s own fractional digits; zero dates are null', () => {
  assert.equal(line('date', '1000-01-01'), '"1000-01-01"');
  assert.equal(line('date', '2000-02-29'), '"2000-02-29"');
  assert.equal(line('date', '0000-00-00'), 'null');
  assert.equal(line('date', '2026-00-10'), 'null', 'a zero month');
  assert.equal(line('datetime', '9999-12-31 23:59:59'), '"9999-12-31T23:59:59"');
  assert.equal(line('datetime(6)', '9999-12-31 23:59:59.999999'), '"9999-12-31T23:59:59.999999"', 'micros past 2^53');
  assert.equal(line('datetime(3)', '1000-01-01 00:00:00.125'), '"1000-01-01T00:00:00.125"');
  assert.equal(line('datetime(6)', '1969-12-31 23:59:59.999999'), '"1969-12-31T23:59:59.999999"', 'before the epoch');
  assert.equal(line('timestamp(3)', '2038-01-19 03:14:07.999'), '"2038-01-19T03:14:07.999Z"');
  assert.equal(line('timestamp', '0000-00-00 00:00:00'), 'null', 'the zero TIMESTAMP as the server writes it');
  assert.equal(line('timestamp', '1970-01-01 00:00:00'), 'null', 'the zero TIMESTAMP as zongji reads it');
  assert.equal(line('time(6)', '-838:59:59.000000'), '"-838:59:59.000000"');
  assert.equal(line('time', '838:59:59'), '"838:59:59"');
  assert.equal(line('time(2)', '-00:00:01.50'), '"-00:00:01.50"');
  assert.equal(line('year', 1900), '0', 'zongji reads YEAR 0000 as 1900');
  assert.equal(line('year', '2155'), '2155');
});

test('text, binary, ENUM, SET, JSON, geometry and MariaDB\'s types', () => {
  assert.equal(line('varchar(20)', 'héllo 💡', 'utf8mb4'), '"héllo 💡"');
  assert.equal(line('varchar(10)', 'line\u2028sep', 'latin1'), JSON.stringify('line\u2028sep'));
  assert.equal(line('binary(4)', Buffer.from([1, 2, 0, 0])), '"AQIAAA=="');
  assert.equal(line('blob', Buffer.alloc(0)), '""');
  assert.equal(line("enum('a','b c')", 'b c', 'utf8mb4'), '"b c"');
  assert.equal(line("set('x','y')", 'x,y', 'utf8mb4'), '"x,y"');
  assert.equal(line('json', '{"a": [1, 2.5, "x"]}'), '{"a": [1, 2.5, "x"]}', 'embedded as the server wrote it');
  assert.equal(line('json', '{\n  "a": 1\n}'), '{   "a": 1 }', 'line breaks between tokens become spaces');
  assert.equal(line('json', 'not json'), '"not json"', 'text that is not a document stays a string');
  assert.equal(line('uuid', '123e4567-e89b-12d3-a456-426614174000'), '"123e4567-e89b-12d3-a456-426614174000"');
  const point = Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 1, 0, 0, 0]), f64(1.5), f64(-2)]);
  assert.equal(line('point', point), '"POINT(1.5 -2)"', 'the SRID dropped, WKT written');
});

function f64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(n);
  return b;
}

test('WKB of every OGC type becomes the WKT MySQL and MariaDB write', () => {
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const head = (type: number) => Buffer.concat([Buffer.from([1]), u32(type)]);
  const pt = (x: number, y: number) => Buffer.concat([f64(x), f64(y)]);
  const ring = (...p: Array<[number, number]>) => Buffer.concat([u32(p.length), ...p.map(([x, y]) => pt(x, y))]);
  const line = Buffer.concat([head(2), ring([0, 0], [1, 1])]);
  const poly = Buffer.concat([head(3), u32(1), ring([0, 0], [4, 0], [4, 4], [0, 0])]);
  assert.equal(wktOf(line), 'LINESTRING(0 0,1 1)');
  assert.equal(wktOf(poly), 'POLYGON((0 0,4 0,4 4,0 0))');
  assert.equal(wktOf(Buffer.concat([head(4), u32(2), head(1), pt(1, 2), head(1), pt(3, 4)])), 'MULTIPOINT((1 2),(3 4))');
  assert.equal(wktOf(Buffer.concat([head(6), u32(1), poly])), 'MULTIPOLYGON(((0 0,4 0,4 4,0 0)))');
  assert.equal(wktOf(Buffer.concat([head(7), u32(2), head(1), pt(1, 2), line])), 'GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))');
  assert.equal(wktOf(Buffer.concat([head(7), u32(0)])), 'GEOMETRYCOLLECTION EMPTY');
  const big = Buffer.concat([Buffer.from([0]), Buffer.from([0, 0, 0, 1]), Buffer.alloc(8), Buffer.alloc(8)]);
  big.writeDoubleBE(5, 5);
  assert.equal(wktOf(big), 'POINT(5 0)', 'big-endian WKB too');
});

test('microseconds stay exact across 2^53: as numbers before about 2255, as BigInts after', () => {
  const c = col('datetime(6)');
  assert.equal(toAvro(c, '2255-06-05 23:47:34.740991'), 9007199254740991, 'the last exact number');
  assert.equal(toAvro(c, '2255-06-05 23:47:34.740993'), 9007199254740993n, 'past 2^53, a BigInt');
  assert.equal(line('datetime(6)', '2255-06-05 23:47:34.740993'), '"2255-06-05T23:47:34.740993"');
});
