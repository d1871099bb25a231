import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { parseValueSchema } from '../../../src/codec/avro-parse.js';
import { parseColumnType } from '../../../src/codec/column.js';
import { SchemaIncompatibleError } from '../../../src/codec/errors.js';
import type { Shape } from '../../../src/codec/table-shape.js';
import { fromValueRecord, productShape } from '../../../src/codec/value-schema.js';
import { frame, unframe } from '../../../src/codec/wire.js';
import type { ChangeEvent } from '../../../src/model/change.js';
import { rowsToChanges } from '../../../src/source/change.js';

const seedType = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../../schemas/product-seed.avsc', import.meta.url), 'utf8')));
const col = (name: string, type: string, charset: string | null = null) => parseColumnType(name, type, charset);
const PRODUCT = [col('id', 'int(11)'), col('name', 'varchar(255)', 'utf8mb4'), col('category', 'varchar(255)', 'utf8mb4'), col('price', 'float'), col('last_updated', 'timestamp')];
const base = { serverId: 1, db: 'shop', table: 'product', file: 'mysql-bin.000003', pos: 1234, gtid: '0-1-77', tsMs: 1_700_000_000_000, snapshot: false };
const f32 = (x: number) => Math.fround(x);
const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => a.id === b.id;

function encode(shape: Shape, event: ChangeEvent) {
  const type = parseValueSchema(shape.text);
  return { type, buf: type.toBuffer(shape.record(event, 1)) };
}

test('a reader holding only the seed schema decodes inserts and updates by schema resolution', () => {
  const shape = productShape('product', PRODUCT);
  const [insert] = rowsToChanges('writerows', [{ id: 42, name: 'Lamp 💡', category: 'Home', price: f32(19.99), last_updated: '2026-03-01 10:00:00' }], base, 0, byId);
  const [update] = rowsToChanges('updaterows', [{ before: { id: 42 }, after: { id: 42, name: 'Lamp 💡', category: 'Home', price: f32(17.5), last_updated: '2026-03-01 10:00:00' } }], base, 1, byId);
  for (const [event, price] of [[insert!, f32(19.99)], [update!, 17.5]] as const) {
    const { type, buf } = encode(shape, event);
    const seen = seedType.fromBuffer(buf, seedType.createResolver(type)) as Record<string, unknown>;
    assert.deepEqual({ ...seen }, { id: 42, name: 'Lamp 💡', category: 'Home', price, last_updated: '2026-03-01T10:00:00.000Z' });
  }
});

test('the seed table reads the same record from binlog values and from the snapshot\'s text', () => {
  const shape = productShape('product', PRODUCT);
  const at = (row: Record<string, unknown>) => shape.record({ op: 'r', row, source: { ...base, row: 0 } }, 1);
  // zongji: numbers, float32 widened, TIMESTAMP as UTC text; the snapshot: the server's text for everything.
  assert.deepEqual(at({ id: 7, name: 'Mug', category: null, price: f32(4.25), last_updated: '2026-03-01 10:00:00' }),
    at({ id: '7', name: 'Mug', category: null, price: '4.25', last_updated: '2026-03-01 10:00:00' }));
});

test('FLOAT travels as the stored float32: float32 19.99 is bit-identical after the Avro round trip', () => {
  const shape = productShape('product', PRODUCT);
  const stored = f32(19.99); // what zongji hands over: the float32, widened
  const [event] = rowsToChanges('writerows', [{ id: 1, name: 'a', category: 'b', price: stored, last_updated: '1970-01-01 00:00:01' }], base, 0, byId);
  const { type, buf } = encode(shape, event!);
  assert.equal((type.fromBuffer(buf) as { price: number }).price, stored);
  assert.equal(Number(stored.toPrecision(7)), 19.99, 'shortest float32 decimal is 19.99');
});

test('NULL columns do not crash the encoder and come back as null', () => {
  const shape = productShape('product', [...PRODUCT, col('sku', 'varchar(20)', 'utf8mb4')]);
  const [event] = rowsToChanges('writerows', [{ id: 7, name: null, category: null, price: null, last_updated: '1970-01-01 00:00:01', sku: null }], base, 0, byId);
  const { type, buf } = encode(shape, event!);
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
  ], base, 3, byId);
  assert.deepEqual(changes.map((c) => [c.op, c.row.id, c.source.row]), [['d', 5, 3], ['c', 1005, 4], ['u', 6, 5]]);
});

test('added columns make a new schema that old data still resolves against (BACKWARD)', () => {
  const v1 = productShape('product', PRODUCT);
  const v2 = productShape('product', [...PRODUCT, col('stock', 'int(11)')]);
  const t1 = parseValueSchema(v1.text);
  const t2 = parseValueSchema(v2.text);
  const stock = (JSON.parse(v2.text) as { fields: Array<{ name: string; type: unknown }> }).fields.find((f) => f.name === 'stock');
  assert.deepEqual(stock?.type, ['null', { type: 'int', mysql: 'int' }]);
  const [event] = rowsToChanges('writerows', [{ id: 1, name: 'a', category: 'b', price: 1, last_updated: '1970-01-01 00:00:01' }], base, 0, byId);
  const old = t1.toBuffer(v1.record(event!, 1));
  assert.equal((t2.fromBuffer(old, t2.createResolver(t1)) as { stock: unknown }).stock, null);
});

test('dropping or retyping a seed column is refused with a message naming it', () => {
  assert.throws(() => productShape('product', PRODUCT.filter((c) => c.name !== 'price')),
    (e: unknown) => e instanceof SchemaIncompatibleError && /no longer has column price/.test(e.message));
  assert.throws(() => productShape('product', PRODUCT.map((c) => (c.name === 'id' ? col('id', 'varchar(10)', 'utf8mb4') : c))),
    (e: unknown) => e instanceof SchemaIncompatibleError && /product\.id now maps to Avro string/.test(e.message));
});

test('the Confluent wire format frames and unframes, and rejects what is not framed', () => {
  const framed = frame(258, Buffer.from([1, 2, 3]));
  assert.deepEqual([...framed], [0, 0, 0, 1, 2, 1, 2, 3]);
  assert.deepEqual(unframe(framed), { schemaId: 258, body: Buffer.from([1, 2, 3]) });
  assert.throws(() => unframe(Buffer.from('{"json":1}')), /magic byte is 123/);
  assert.throws(() => unframe(Buffer.from([0, 1])), /too short/);
});
