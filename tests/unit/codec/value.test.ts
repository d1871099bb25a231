import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { SchemaIncompatibleError } from '../../../src/codec/errors.js';
import { avroTypeOf } from '../../../src/codec/mysql-types.js';
import { fromValueRecord, toValueRecord } from '../../../src/codec/value-record.js';
import { valueSchemaFor, type ValueSchema } from '../../../src/codec/value-schema.js';
import { frame, unframe } from '../../../src/codec/wire.js';
import type { ChangeEvent } from '../../../src/model/change.js';
import { rowsToChanges } from '../../../src/source/change.js';
import { avroTypeOfSqlType } from '../../../src/source/snapshot.js';

const seedType = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../../schemas/product-seed.avsc', import.meta.url), 'utf8')));
const PRODUCT = [
  { name: 'id', avro: 'int' }, { name: 'name', avro: 'string' }, { name: 'category', avro: 'string' },
  { name: 'price', avro: 'float' }, { name: 'last_updated', avro: 'string' },
] as const;
const base = { serverId: 1, db: 'shop', table: 'product', file: 'mysql-bin.000003', pos: 1234, gtid: '0-1-77', tsMs: 1_700_000_000_000, snapshot: false };
const f32 = (x: number) => Math.fround(x);

function encode(schema: ValueSchema, event: ChangeEvent) {
  const type = avro.Type.forSchema(JSON.parse(schema.text));
  return { type, buf: type.toBuffer(toValueRecord(event, schema, 1)) };
}

test('a reader holding only the seed schema decodes inserts and updates by schema resolution', () => {
  const schema = valueSchemaFor('product', [...PRODUCT]);
  const [insert] = rowsToChanges('writerows', [{ id: 42, name: 'Lamp 💡', category: 'Home', price: f32(19.99), last_updated: new Date('2026-03-01T10:00:00Z') }], base, 0);
  const [update] = rowsToChanges('updaterows', [{ before: { id: 42 }, after: { id: 42, name: 'Lamp 💡', category: 'Home', price: f32(17.5), last_updated: new Date('2026-03-01T10:00:00Z') } }], base, 1);
  for (const [event, price] of [[insert!, f32(19.99)], [update!, 17.5]] as const) {
    const { type, buf } = encode(schema, event);
    const seen = seedType.fromBuffer(buf, seedType.createResolver(type)) as Record<string, unknown>;
    assert.deepEqual({ ...seen }, { id: 42, name: 'Lamp 💡', category: 'Home', price, last_updated: '2026-03-01T10:00:00.000Z' });
  }
});

test('FLOAT travels as the stored float32: float32 19.99 is bit-identical after the Avro round trip', () => {
  const schema = valueSchemaFor('product', [...PRODUCT]);
  const stored = f32(19.99); // what zongji hands over: the float32, widened
  const [event] = rowsToChanges('writerows', [{ id: 1, name: 'a', category: 'b', price: stored, last_updated: new Date(0) }], base, 0);
  const { type, buf } = encode(schema, event!);
  assert.equal((type.fromBuffer(buf) as { price: number }).price, stored);
  assert.equal(Number(stored.toPrecision(7)), 19.99, 'shortest float32 decimal is 19.99');
});

test('NULL columns do not crash the encoder and come back as null', () => {
  const schema = valueSchemaFor('product', [...PRODUCT, { name: 'sku', avro: 'string' }]);
  const [event] = rowsToChanges('writerows', [{ id: 7, name: null, category: null, price: null, last_updated: new Date(0), sku: null }], base, 0);
  const { type, buf } = encode(schema, event!);
  const decoded = fromValueRecord(type.fromBuffer(buf) as Record<string, unknown>);
  assert.equal(decoded.name, null);
  assert.equal(decoded.category, null);
  assert.equal(decoded.price, null);
  assert.equal(decoded.sku, null);
  assert.equal(decoded.id, 7);
});

test('an update of the primary key becomes a delete of the old key and an insert of the new', () => {
  const changes = rowsToChanges('updaterows', [
    { before: { id: 5, name: 'x' }, after: { id: 1005, name: 'x' } },
    { before: { id: 6, name: 'y' }, after: { id: 6, name: 'z' } },
  ], base, 3);
  assert.deepEqual(changes.map((c) => [c.op, c.id, c.source.row]), [['d', 5, 3], ['c', 1005, 4], ['u', 6, 5]]);
});

test('added columns make a new schema that old data still resolves against (BACKWARD)', () => {
  const v1 = valueSchemaFor('product', [...PRODUCT]);
  const v2 = valueSchemaFor('product', [...PRODUCT, { name: 'stock', avro: 'int' }]);
  assert.deepEqual(v2.extra, [{ name: 'stock', avro: 'int' }]);
  const t1 = avro.Type.forSchema(JSON.parse(v1.text));
  const t2 = avro.Type.forSchema(JSON.parse(v2.text));
  const [event] = rowsToChanges('writerows', [{ id: 1, name: 'a', category: 'b', price: 1, last_updated: new Date(0) }], base, 0);
  const old = t1.toBuffer(toValueRecord(event!, v1, 1));
  assert.equal((t2.fromBuffer(old, t2.createResolver(t1)) as { stock: unknown }).stock, null);
});

test('dropping or retyping a seed column is refused with a message naming it', () => {
  assert.throws(() => valueSchemaFor('product', PRODUCT.filter((c) => c.name !== 'price')),
    (e: unknown) => e instanceof SchemaIncompatibleError && /no longer has column price/.test(e.message));
  assert.throws(() => valueSchemaFor('product', PRODUCT.map((c) => (c.name === 'id' ? { name: 'id', avro: 'string' as const } : c))),
    (e: unknown) => e instanceof SchemaIncompatibleError && /product\.id now maps to Avro string/.test(e.message));
});

test('the type codes of INT, INT UNSIGNED, FLOAT, DECIMAL, BIGINT, TEXT, BLOB, VARCHAR and CHAR map to lossless Avro types', () => {
  assert.equal(avroTypeOf(3, null), 'int'); // INT
  assert.equal(avroTypeOf(3, null, true), 'long'); // INT UNSIGNED
  assert.equal(avroTypeOf(4, null), 'float'); // FLOAT
  assert.equal(avroTypeOf(246, null), 'string'); // DECIMAL stays exact
  assert.equal(avroTypeOf(8, null), 'string'); // BIGINT beyond 2^53
  assert.equal(avroTypeOf(252, 'utf8mb4'), 'string'); // TEXT
  assert.equal(avroTypeOf(252, null), 'bytes'); // BLOB
  assert.equal(avroTypeOf(15, 'utf8mb4'), 'string'); // VARCHAR
  assert.equal(avroTypeOf(254, 'latin1'), 'string'); // CHAR, ENUM, SET
});

test('a binary column has one Avro type whether it comes from the binlog or the snapshot', () => {
  for (const [code, sqlType, full] of [[15, 'varbinary', 'varbinary(16)'], [254, 'binary', 'binary(4)'], [252, 'blob', 'blob']] as const) {
    assert.equal(avroTypeOf(code, null), 'bytes', `${sqlType} from the binlog`);
    assert.equal(avroTypeOfSqlType(sqlType, full, null), 'bytes', `${sqlType} from INFORMATION_SCHEMA`);
  }
  assert.equal(avroTypeOf(15, 'utf8mb4'), avroTypeOfSqlType('varchar', 'varchar(64)', 'utf8mb4'));
});

test('the Confluent wire format frames and unframes, and rejects what is not framed', () => {
  const framed = frame(258, Buffer.from([1, 2, 3]));
  assert.deepEqual([...framed], [0, 0, 0, 1, 2, 1, 2, 3]);
  assert.deepEqual(unframe(framed), { schemaId: 258, body: Buffer.from([1, 2, 3]) });
  assert.throws(() => unframe(Buffer.from('{"json":1}')), /magic byte is 123/);
  assert.throws(() => unframe(Buffer.from([0, 1])), /too short/);
});
