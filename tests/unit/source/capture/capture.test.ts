import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseColumnType } from '../../../../src/codec/column.js';
import { tableShape } from '../../../../src/codec/table-shape.js';
import { parseTableDdl } from '../../../../src/source/capture/ddl.js';
import { CaptureFilter, patternProblem } from '../../../../src/source/capture/filter.js';
import { topicOf } from '../../../../src/source/capture/tables.js';
import { tableFolder } from '../../../../src/pool/table-outputs.js';
import { tableLines } from '../../../../src/pool/lines.js';
import { parseValueSchema } from '../../../../src/codec/avro-parse.js';

test('CAPTURE_TABLES patterns: * within a name, ? one character, exclusions win, the dot is literal', () => {
  const f = new CaptureFilter(['shop.product', 'shop.order_*', 'crm.?at'], ['shop.order_tmp*']);
  assert.ok(f.matches('shop.product'.split('.')[0]!, 'product'));
  assert.ok(f.matches('shop', 'order_items'));
  assert.ok(!f.matches('shop', 'order_tmp1'), 'excluded');
  assert.ok(!f.matches('shop', 'orders'), 'order_* needs the underscore');
  assert.ok(f.matches('crm', 'cat') && !f.matches('crm', 'chat'));
  assert.ok(!f.matches('shopx', 'product') && !f.matches('shop', 'product2'));
  assert.deepEqual(f.databases(), ['shop', 'crm']);
  assert.equal(new CaptureFilter(['*.t'], []).databases(), null, 'a wildcard database: every database is listed');
  assert.match(patternProblem('product') ?? '', /not db\.table/);
  assert.match(patternProblem('shop.`p`') ?? '', /quotes/);
  assert.equal(patternProblem('shop.*'), undefined);
});

test('topics and folders: the seed keeps KAFKA_TOPIC and OUTPUT_DIR; others <prefix>.<db>.<table> and their folder', () => {
  const capture = { include: [], exclude: [], seed: { db: 'shop', table: 'product' }, topicPrefix: 'cdc', keyless: 'refuse' as const, watermarks: {} };
  assert.equal(topicOf(capture, 'product_updates', { db: 'shop', table: 'product' }), 'product_updates');
  assert.equal(topicOf(capture, 'product_updates', { db: 'shop', table: 'orders' }), 'cdc.shop.orders');
  assert.equal(topicOf(capture, 'product_updates', { db: 'shop', table: 'naïve$t' }), 'cdc.shop.na_ve_t');
  assert.equal(tableFolder('product_updates', 'product_updates', 'cdc'), '');
  assert.equal(tableFolder('cdc.shop.orders', 'product_updates', 'cdc'), 'shop.orders');
});

test('keys: one column as its text, a composite key as the JSON array of its values in key order', () => {
  const c = (name: string, type: string, charset: string | null = null) => parseColumnType(name, type, charset);
  const one = tableShape('shop', 't', [c('id', 'bigint unsigned'), c('v', 'int')], ['id']);
  assert.equal(one.key({ id: '18446744073709551615', v: 1 }), '18446744073709551615');
  const text = tableShape('shop', 't', [c('sku', 'varchar(10)', 'utf8mb4')], ['sku']);
  assert.equal(text.key({ sku: 'A"1' }), 'A"1', 'a text key is its text, unquoted');
  const two = tableShape('shop', 't', [c('region', 'char(2)', 'utf8mb4'), c('id', 'int'), c('day', 'date')], ['id', 'region', 'day']);
  assert.equal(two.key({ region: 'EU', id: 42, day: '2026-12-03' }), '[42,"EU","2026-12-03"]');
  assert.equal(two.key({ region: 'EU', id: '42', day: '2026-12-03' }), '[42,"EU","2026-12-03"]', 'the snapshot\'s text gives the same key');
  assert.ok(two.sameKey({ region: 'EU', id: 42, day: '2026-12-03' }, { region: 'EU', id: 42, day: '2026-12-03' }));
  assert.ok(!two.sameKey({ region: 'EU', id: 42, day: '2026-12-03' }, { region: 'US', id: 42, day: '2026-12-03' }));
});

test('a generic table\'s value schema: every column nullable with a null default, names made Avro-safe, clashes refused', () => {
  const c = (name: string, type: string, charset: string | null = null) => parseColumnType(name, type, charset);
  const shape = tableShape('shop', 'my-table', [c('id', 'int'), c('order date', 'date'), c('2nd', 'varchar(5)', 'utf8mb4')], ['id']);
  const schema = JSON.parse(shape.text) as { name: string; namespace: string; fields: Array<{ name: string; type: unknown; default?: unknown; column?: string }> };
  assert.equal(schema.name, 'my_table');
  assert.equal(schema.namespace, 'cdc.shop');
  assert.deepEqual(schema.fields.map((f) => [f.name, f.column ?? null]), [['id', null], ['order_date', 'order date'], ['_2nd', '2nd'], ['__op', null], ['__source', null], ['__ts_ms', null]]);
  assert.ok(schema.fields.slice(0, 3).every((f) => Array.isArray(f.type) && f.type[0] === 'null' && f.default === null));
  // A line writes the columns under their MySQL names.
  const type = parseValueSchema(shape.text);
  const record = type.fromBuffer(type.toBuffer(shape.record({ op: 'c', row: { id: 1, 'order date': '2026-12-03', '2nd': 'x' },
    source: { serverId: 1, db: 'shop', table: 'my-table', file: 'f', pos: 4, row: 0, gtid: null, tsMs: 1, snapshot: false } }, 2))) as Record<string, unknown>;
  assert.equal(tableLines(JSON.parse(shape.text))(record, { topic: 't', partition: 3, offset: 9 }),
    '{"id":1,"order date":"2026-12-03","2nd":"x","op":"c","_meta":{"topic":"t","partition":3,"offset":9}}\n');
  assert.throws(() => tableShape('shop', 't', [c('a-b', 'int'), c('a_b', 'int')], []), /both become the Avro field a_b/);
  assert.throws(() => tableShape('shop', 't', [c('__op', 'int')], []), /__op/);
});

test('DDL: CREATE, DROP, RENAME (and ALTER … RENAME) and TRUNCATE name their tables; other statements nothing', () => {
  assert.deepEqual(parseTableDdl('CREATE TABLE IF NOT EXISTS `orders` (id INT)', 'shop'), { kind: 'create', table: { db: 'shop', table: 'orders' } });
  assert.deepEqual(parseTableDdl('create table crm.`we``ird` like x', 'shop'), { kind: 'create', table: { db: 'crm', table: 'we`ird' } });
  assert.deepEqual(parseTableDdl('DROP TABLE `a`,`crm`.`b` /* generated by server */', 'shop'),
    { kind: 'drop', tables: [{ db: 'shop', table: 'a' }, { db: 'crm', table: 'b' }] });
  assert.deepEqual(parseTableDdl('RENAME TABLE a TO b, crm.c TO crm.d', 'shop'),
    { kind: 'rename', pairs: [{ from: { db: 'shop', table: 'a' }, to: { db: 'shop', table: 'b' } }, { from: { db: 'crm', table: 'c' }, to: { db: 'crm', table: 'd' } }] });
  assert.deepEqual(parseTableDdl('ALTER TABLE a ADD COLUMN x INT, RENAME TO b', 'shop'), { kind: 'rename', pairs: [{ from: { db: 'shop', table: 'a' }, to: { db: 'shop', table: 'b' } }] });
  assert.equal(parseTableDdl('ALTER TABLE a RENAME COLUMN x TO y', 'shop'), undefined);
  assert.deepEqual(parseTableDdl('TRUNCATE TABLE `orders`', 'shop'), { kind: 'truncate', table: { db: 'shop', table: 'orders' } });
  assert.equal(parseTableDdl('ALTER TABLE a ADD COLUMN b INT', 'shop'), undefined);
  assert.equal(parseTableDdl('INSERT INTO a VALUES (1)', 'shop'), undefined);
});
