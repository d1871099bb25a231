/**
 * The statements of docs/loading.md, run as written (with `output/` pointing at a real pipeline's output): DuckDB
 * over Parquet and over JSON lines gives the changelog, the current-state query gives what MySQL holds, and
 * pyarrow reads the Parquet files with their types.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RowDataPacket } from 'mysql2';
import { startPool, stopPool } from './pool-helpers.js';
import { binlogEnd, startSource, stopSource, waitFor } from './source-helpers.js';
import { capturedTables, closedUpTo } from './tables-helpers.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/loading.md', import.meta.url)), 'utf8');

/** The code block after `<!-- <engine>: <name> -->`. */
function block(engine: string, name: string): string {
  const m = new RegExp(`<!-- ${engine}: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/loading.md has the ${engine} block ${name}`);
  return m[1]!;
}

test('docs/loading.md: its DuckDB statements give the changelog from Parquet and from JSON lines and the current state MySQL holds; its pyarrow snippet reads the Parquet files typed', async (t) => {
  const e = await capturedTables(t, {}, { OUTPUT_FORMAT: 'both', OUTPUT_MARK_SECONDS: '1', OUTPUT_CLOSE_EVERY: '2s' });
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  for (let i = 1; i <= 40; i++) await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, ?, 'Garden', ?)`, [i, `p${i}`, i]);
  await e.admin.query(`UPDATE \`${e.seed}\` SET price = price * 2 WHERE id <= 15`);
  await e.admin.query(`DELETE FROM \`${e.seed}\` WHERE id > 35`);
  const changes = 40 + 15 + 5;
  const end = await binlogEnd(e.admin);
  await closedUpTo(e.outputDir, end);
  assert.equal(await stopPool(pool), 0);

  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const run = async (sql: string) => (await con.runAndReadAll(sql.replaceAll("'output/", `'${e.outputDir}/`))).getRowObjectsJS();
  const fromParquet = await run(block('duckdb', 'changelog-parquet'));
  const fromJson = await run(block('duckdb', 'changelog-jsonl'));
  assert.equal(fromParquet.length, changes, 'every change once, from Parquet');
  assert.deepEqual(fromJson, fromParquet, 'JSON lines and Parquet give the same changelog, typed alike');
  const state = await run(block('duckdb', 'state-parquet'));
  const [rows] = await e.admin.query<RowDataPacket[]>(`SELECT id, name, UPPER(category) AS category, price FROM \`${e.seed}\` ORDER BY id`);
  assert.deepEqual(state.map((r) => [r.id, r.name, r.category, r.list_price]), rows.map((r) => [r.id, r.name, r.category, r.price]),
    'the current state is the table');
  con.closeSync();

  const python = process.env.CDC_PYTHON ?? 'python3';
  const script = block('python', 'pyarrow').replaceAll('"output/', `"${e.outputDir}/`);
  const py = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  assert.equal(py.status, 0, `${python}: ${py.stderr}`);
  assert.equal(py.stdout.trim(), `${changes} timestamp[us, tz=UTC] double`);
  assert.equal(await stopSource(source), 0);
});
