/**
 * Parquet segments through the whole pipeline, read back by DuckDB: typed columns for product's lines, the same
 * values as the JSON lines beside them (OUTPUT_FORMAT=both), a schema change giving new files that union_by_name
 * reads with the old, and with OUTPUT_FORMAT=parquet nothing but Parquet files once segments close.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSegment } from '../../src/pool/segment-name.js';
import { startPool, stopPool } from './pool-helpers.js';
import { binlogEnd, startSource, stopSource, waitFor } from './source-helpers.js';
import { capturedTables, closedUpTo } from './tables-helpers.js';

async function duck() {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  return {
    rows: async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>,
    close: () => { con.closeSync(); db.closeSync(); },
  };
}

const parquetFiles = (dir: string) => readdirSync(dir).filter((f) => parseSegment(f)?.state === 'parquet').map((f) => join(dir, f));
const list = (files: string[]) => `[${files.map((f) => `'${f}'`).join(', ')}]`;

test('OUTPUT_FORMAT=both: each closed segment is also a Parquet file with typed columns and the same values as its lines; a column added gives new files union_by_name reads with the old', async (t) => {
  const e = await capturedTables(t, {}, { OUTPUT_FORMAT: 'both', OUTPUT_MARK_SECONDS: '1', OUTPUT_CLOSE_EVERY: '2s' });
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  for (let i = 1; i <= 40; i++) {
    await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, ?, ?, ?)`,
      [i, i === 7 ? null : `name ${i} "q" ü`, i % 2 ? 'Electronics' : 'Garden', i + 0.99]);
  }
  await closedUpTo(e.outputDir, await binlogEnd(e.admin));
  const db = await duck();
  t.after(() => db.close());
  const files = parquetFiles(e.outputDir);
  assert.ok(files.length > 0, 'closed segments have Parquet files');
  const types = Object.fromEntries((await db.rows(`DESCRIBE SELECT * FROM read_parquet(${list(files)})`)).map((r) => [r.column_name, r.column_type]));
  assert.deepEqual(types, {
    id: 'INTEGER', name: 'VARCHAR', category: 'VARCHAR', price: 'DOUBLE', list_price: 'DOUBLE', discount_percent: 'DOUBLE',
    last_updated: 'TIMESTAMP WITH TIME ZONE', op: 'VARCHAR', _meta: 'STRUCT(topic VARCHAR, "partition" INTEGER, "offset" BIGINT)',
  });
  // Each Parquet row equals the JSON line of the same segment (read by JavaScript, not by DuckDB).
  for (const file of files) {
    const jsonl = file.replace(/\.parquet$/, '.jsonl');
    const lines = readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const rows = await db.rows(`SELECT id, name, category, price, list_price, discount_percent, epoch_ms(last_updated) AS lu, op,
      _meta.topic AS topic, _meta."partition" AS part, _meta."offset" AS off FROM read_parquet('${file}')`);
    assert.equal(rows.length, lines.length, `${file}: a row per line`);
    rows.forEach((r, i) => {
      const l = lines[i]!;
      const meta = l._meta as { topic: string; partition: number; offset: number };
      assert.deepEqual(
        [r.id, r.name, r.category, r.price, r.list_price, r.discount_percent, Number(r.lu), r.op, r.topic, r.part, Number(r.off)],
        [l.id, l.name, l.category, l.price, l.list_price, l.discount_percent, Date.parse(l.last_updated as string), l.op, meta.topic, meta.partition, meta.offset],
        `${file} row ${i}: the line's values, in the line's order`);
    });
  }
  const [all] = await db.rows(`SELECT count(*) AS n, count(DISTINCT id) AS ids, count(name) AS named FROM read_parquet(${list(files)})`);
  assert.deepEqual([Number(all!.n), Number(all!.ids), Number(all!.named)], [40, 40, 39], 'every change once; a NULL name is null');

  await e.admin.query(`ALTER TABLE \`${e.seed}\` ADD COLUMN stock INT`);
  for (let i = 41; i <= 50; i++) await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price, stock) VALUES (?, 'n', 'Toys', 1, ?)`, [i, i * 10]);
  await closedUpTo(e.outputDir, await binlogEnd(e.admin));
  const after = parquetFiles(e.outputDir);
  const withStock = [];
  for (const f of after) {
    const cols = (await db.rows(`DESCRIBE SELECT * FROM read_parquet('${f}')`)).map((r) => r.column_name);
    if (cols.includes('stock')) withStock.push(f);
  }
  assert.ok(withStock.length > 0 && withStock.length < after.length, 'the added column is in new files only');
  const [u] = await db.rows(`SELECT count(*) AS n, count(stock) AS stocked, sum(stock) AS s FROM read_parquet(${list(after)}, union_by_name = true)`);
  assert.deepEqual([Number(u!.n), Number(u!.stocked), Number(u!.s)], [50, 10, 4550], 'old and new files read together');
  const names = readdirSync(e.outputDir);
  const stale = names.filter((f) => f.endsWith('.columns.json') && !names.includes(`${f.slice(1, -'.columns.json'.length)}.jsonl.open`));
  assert.deepEqual(stale, [], 'a columns file lives only as long as its open segment');
  assert.equal(await stopSource(source), 0);
  assert.equal(await stopPool(pool), 0);
});

test('OUTPUT_FORMAT=parquet: closed segments are Parquet files only, every change once, and a restart goes on without repeating any', async (t) => {
  const e = await capturedTables(t, {}, { OUTPUT_FORMAT: 'parquet', OUTPUT_PARQUET_COMPRESSION: 'snappy', OUTPUT_MARK_SECONDS: '1', OUTPUT_CLOSE_EVERY: '2s' });
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  let pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  for (let i = 1; i <= 30; i++) await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, 'a', 'Garden', 1)`, [i]);
  await closedUpTo(e.outputDir, await binlogEnd(e.admin));
  // A crash: the next supervisor indexes the Parquet files (from the manifest) and writes only what is new.
  await stopPool(pool, 'SIGKILL');
  for (let i = 31; i <= 45; i++) await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, 'b', 'Garden', 1)`, [i]);
  pool = startPool(e.env);
  await closedUpTo(e.outputDir, await binlogEnd(e.admin));
  assert.equal(await stopPool(pool), 0);
  const names = readdirSync(e.outputDir);
  assert.deepEqual(names.filter((f) => { const s = parseSegment(f); return s && !s.dead && s.state !== 'parquet' && s.state !== 'open'; }), [],
    'no closed JSON-lines segment beside the Parquet ones');
  const db = await duck();
  t.after(() => db.close());
  const [r] = await db.rows(`SELECT count(*) AS n, count(DISTINCT _meta."offset" || '@' || _meta."partition") AS distinct_changes, count(DISTINCT id) AS ids
    FROM read_parquet(${list(parquetFiles(e.outputDir))})`);
  assert.deepEqual([Number(r!.n), Number(r!.distinct_changes), Number(r!.ids)], [45, 45, 45], 'each change in exactly one row');
  const [codec] = await db.rows(`SELECT DISTINCT compression FROM parquet_metadata(${list(parquetFiles(e.outputDir))})`);
  assert.equal(codec!.compression, 'SNAPPY');
  assert.equal(await stopSource(source), 0);
});
