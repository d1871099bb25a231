import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseColumnType } from '../../../src/codec/column.js';
import { parquetColumnFor, planOf, selectSql, typeOf } from '../../../src/codec/parquet-column.js';
import { productPlan, tablePlan } from '../../../src/pool/lines.js';
import { BASE_SCHEMA } from '../../../src/codec/value-schema.js';

const col = (type: string, charset: string | null = 'utf8mb4') => parquetColumnFor('c', parseColumnType('c', type, charset));

test('MySQL types map to Parquet column types that hold every value exactly', () => {
  assert.deepEqual([col('int'), col('int unsigned'), col('bigint unsigned'), col('tinyint')].map(typeOf), ['INTEGER', 'UINTEGER', 'UBIGINT', 'TINYINT']);
  assert.equal(typeOf(col('decimal(15,2)')), 'DECIMAL(15,2)', 'up to 15 digits a double carries the value');
  assert.deepEqual(col('decimal(30,4)'), { name: 'c', read: 'VARCHAR', raw: 'DECIMAL(30,4)' }, 'wider: cut from the text');
  assert.equal(typeOf(col('decimal(65,30)')), 'VARCHAR', 'wider than DuckDB\'s 38 digits: the exact text');
  assert.deepEqual([col('datetime(6)'), col('timestamp(3)'), col('time(6)'), col('blob', null), col('json')].map(typeOf),
    ['TIMESTAMP', 'TIMESTAMPTZ', 'BIGINT', 'BLOB', 'JSON']);
});

test('product\'s plan: the transform\'s fields typed, op and _meta last; another table\'s: its columns', () => {
  const plan = productPlan(BASE_SCHEMA as never);
  assert.deepEqual(plan.columns.map((c) => `${c.name}:${typeOf(c)}`), [
    'id:INTEGER', 'name:VARCHAR', 'category:VARCHAR', 'price:DOUBLE', 'list_price:DOUBLE', 'discount_percent:DOUBLE',
    'last_updated:TIMESTAMPTZ', 'op:VARCHAR', '_meta:STRUCT(topic VARCHAR, "partition" INTEGER, "offset" BIGINT)',
  ]);
  const other = tablePlan({ fields: [{ name: 'id', type: { type: 'int', mysql: 'int' } }, { name: 'total', type: ['null', { type: 'bytes', mysql: 'decimal(12,2)' }] }] });
  assert.deepEqual(other.columns.map((c) => c.name), ['id', 'total', 'op', '_meta']);
  assert.notEqual(other.key, planOf(other.columns.slice(0, 1)).key, 'another set of columns is another plan');
});

test('the reading SQL: read_json with every key typed; with a wide decimal, each line as text and the digits cut from it', () => {
  const plain = selectSql(planOf([{ name: 'a"b', read: 'INTEGER' }]), "/x/it's.jsonl");
  assert.match(plain, /read_json\('\/x\/it''s\.jsonl', format='newline_delimited', columns=\{'a"b': 'INTEGER'\}\)/);
  assert.match(plain, /"a""b" AS "a""b"/);
  const wide = selectSql(planOf([{ name: 'd', read: 'VARCHAR', raw: 'DECIMAL(30,4)' }]), ['/a.jsonl', '/b.jsonl.gz']);
  assert.match(wide, /read_csv\(\['\/a\.jsonl', '\/b\.jsonl\.gz'\]/);
  assert.match(wide, /json_transform\(line, '\{"d":"DOUBLE"\}'\)/);
  assert.match(wide, /CAST\(NULLIF\(regexp_extract\(line, .*\) AS DECIMAL\(30,4\)\)/);
  assert.match(wide, /error\('column d: the decimal cut from the line does not match its value'\)/);
});
