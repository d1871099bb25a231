/**
 * Every column type through the whole pipeline, on the server under test: rows of edge values streamed from the
 * binlog (`c` lines) and read again by a backfill (`r` lines) give identical lines, and each value in them is what
 * the server itself says the column holds (its own text, base64, WKT and JSON functions), by the documented
 * mapping (docs/tables.md).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RowDataPacket } from 'mysql2';
import { startCommand } from './process.js';
import { countLines, readOutput, startPool, stopPool } from './pool-helpers.js';
import { startSource, stopSource, waitCaughtUp, waitFor } from './source-helpers.js';
import { capturedTables, tableDir } from './tables-helpers.js';
import { columns, rows, ZERO_DATES, type Column } from '../fixtures/typed-table.js';

test('every column type: binlog and backfill lines are identical, each value is what the server holds, its Parquet column holds the same value typed, and cdc verify finds the files equal to the table', async (t) => {
  const probe = await capturedTables(t, {});
  const [[version]] = await probe.admin.query<RowDataPacket[]>('SELECT VERSION() AS v');
  const mariadb = /mariadb/i.test(String(version!.v));
  const cols = columns(mariadb);
  const names = Object.keys(cols);
  const e = await capturedTables(t, { typed: `id INT PRIMARY KEY, ${names.map((n) => `${n} ${cols[n]!.def}`).join(', ')}` },
    { OUTPUT_FORMAT: 'both', OUTPUT_MARK_SECONDS: '1', OUTPUT_CLOSE_EVERY: '1s' });
  const table = e.tables.typed!;
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const values = rows(mariadb);
  for (const [k, row] of values.entries()) {
    await e.admin.query(`INSERT INTO \`${table}\` (id, ${names.join(', ')}) VALUES (${k + 1}, ${names.map((n) => row[n]).join(', ')})`);
  }
  await e.admin.query(`INSERT INTO \`${table}\` (id) VALUES (3)`); // every column NULL
  // The zero date and its kin, where sql_mode allows them: no calendar holds them, so they are null (docs/tables.md).
  await e.admin.query("SET SESSION sql_mode = ''");
  await e.admin.query(`INSERT INTO \`${table}\` ${ZERO_DATES.replace('(dt,', '(id, dt,').replace('VALUES (', 'VALUES (4, ')}`);
  await e.admin.query("SET SESSION sql_mode = DEFAULT");
  const ids = values.length + 2;
  await waitCaughtUp(e.env as never, e.admin);
  await stopSource(source);
  const backfill = startCommand('src/cli/backfill.ts', { ...e.env, LOG_FORMAT: 'json' }, ['--table', `shop.${table}`]);
  assert.equal(await backfill.exited, 0, backfill.output());

  const pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const dir = tableDir(e, table);
  await waitFor(`${2 * ids} lines`, async () => countLines(dir) === 2 * ids, 90_000);
  // OUTPUT_CLOSE_EVERY closes the segments, and each closed one gets its Parquet file.
  await waitFor('every line in a Parquet file', async () => (await parquetRows(dir)) === 2 * ids, 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}\n${pool.output().split('\n').filter((l) => /error|warn/.test(l)).slice(-5).join('\n')}`); });
  assert.equal(await stopPool(pool), 0);

  const raw = readOutput(dir).map((l) => l.line as unknown as Record<string, unknown>);
  const texts = rawLines(dir);
  const server = await serverValues(e.admin, table, cols);
  for (let id = 1; id <= ids; id++) {
    const streamed = texts.find((l) => l.includes(`"op":"c"`) && l.startsWith(`{"id":${id},`))!;
    const read = texts.find((l) => l.includes(`"op":"r"`) && l.startsWith(`{"id":${id},`))!;
    assert.ok(streamed && read, `row ${id}: a c line and an r line`);
    assert.equal(strip(streamed), strip(read), `row ${id}: the binlog and the backfill give the same line`);
    const line = raw.find((l) => l.id === id && l.op === 'r')!;
    assert.deepEqual(Object.keys(line), ['id', ...names, 'op', '_meta'], 'every column, in table order, then op and _meta');
    for (const n of names) {
      const said = server.get(id)![n] ?? null;
      const got = line[n];
      const rawText = rawValue(read, n);
      if (said === null) {
        assert.equal(got, null, `row ${id} ${n}: NULL (or a zero date) is null`);
        continue;
      }
      switch (cols[n]!.compare) {
        case 'text': assert.equal(got, said, `row ${id} ${n}`); break;
        case 'number': assert.equal(got, Number(said), `row ${id} ${n}`); break;
        case 'json-text': assert.equal(rawText, said, `row ${id} ${n}: every digit, as a JSON number`); break;
        case 'json': assert.equal(JSON.stringify(JSON.parse(rawText)), JSON.stringify(JSON.parse(said)), `row ${id} ${n}: the document embedded`); break;
        case 'time': assert.equal(got, said.replace(' ', 'T'), `row ${id} ${n}`); break;
        case 'instant': assert.equal(got, `${said.replace(' ', 'T')}Z`, `row ${id} ${n}`); break;
      }
    }
  }

  // Each Parquet value is the line's value, typed: compared in DuckDB with the line's own text cast to the column's
  // type (base64 decoded for BLOB, TIME's text as INTERVAL), so no value passes through a JavaScript number.
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const files = parquetFilesOf(dir);
  const types = Object.fromEntries((await db.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlList(files)})`)).getRowObjectsJS()
    .map((r) => [String(r.column_name), String(r.column_type)]));
  assert.deepEqual([types.bi, types.bu, types.d2, types.d, types.f, types.dtt, types.ts, types.tm, types.bl, types.j, types.y],
    ['BIGINT', 'UBIGINT', 'DECIMAL(10,2)', 'VARCHAR', 'FLOAT', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'BIGINT', 'BLOB', 'JSON', 'SMALLINT'],
    'the columns carry the MySQL types (DECIMAL(65,30) is wider than Parquet readers take: its exact text; TIME as signed microseconds)');
  const mismatches: string[] = [];
  for (const text of texts) {
    const meta = JSON.parse(text)._meta as { partition: number; offset: number };
    for (const n of ['id', ...names]) {
      const rawText = rawValue(text, n);
      const type = types[n]!;
      const expected = rawText === 'null' ? 'NULL' : n === 'tm' ? `CAST('${timeMicros(JSON.parse(rawText) as string)}' AS BIGINT)` : expectedSql(type, rawText);
      const [row] = (await db.runAndReadAll(`SELECT (${quote(n)} IS NOT DISTINCT FROM ${expected}) AS ok, CAST(${quote(n)} AS VARCHAR) AS got
        FROM read_parquet(${sqlList(files)}) WHERE _meta."partition" = ${meta.partition} AND _meta."offset" = ${meta.offset}`)).getRowObjectsJS();
      if (!row?.ok) mismatches.push(`${n} (${type}) at ${meta.partition}@${meta.offset}: line ${rawText}, Parquet ${String(row?.got)}`);
    }
  }
  assert.deepEqual(mismatches, [], 'every Parquet value equals its line\'s');

  // cdc verify compares every column of every type, typed, from the Parquet and JSON-lines files alike.
  const verify = startCommand('src/cli/verify.ts', e.env, ['--table', `shop.${table}`, '--wait', '60']);
  assert.equal(await verify.exited, 0, verify.output());
  assert.match(verify.output(), new RegExp(`equal +shop\\.${table} +rows ${ids}, equal ${ids}, missing in files 0`));
});

/** MySQL TIME text (`-838:59:59.000000`) as signed microseconds, worked out here, not by DuckDB. */
function timeMicros(text: string): bigint {
  const m = /^(-?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text)!;
  const micros = ((BigInt(m[2]!) * 60n + BigInt(m[3]!)) * 60n + BigInt(m[4]!)) * 1_000_000n + BigInt((m[5] ?? '').padEnd(6, '0'));
  return m[1] ? -micros : micros;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const sqlText = (text: string) => `'${text.replace(/'/g, "''")}'`;
const sqlList = (files: string[]) => `[${files.map(sqlText).join(', ')}]`;

/** The line's value as DuckDB SQL of the Parquet column's type. */
function expectedSql(type: string, rawText: string): string {
  const text = rawText.startsWith('"') ? JSON.parse(rawText) as string : rawText;
  if (type === 'BLOB') return `from_base64(${sqlText(text)})`;
  if (type === 'JSON') return `json(${sqlText(rawText)})`;
  if (type === 'VARCHAR') return sqlText(text);
  return `CAST(${sqlText(text)} AS ${type})`;
}

function parquetFilesOf(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
}

async function parquetRows(dir: string): Promise<number> {
  const files = parquetFilesOf(dir);
  if (files.length === 0) return 0;
  const con = await (await DuckDBInstance.create(':memory:')).connect();
  const [r] = (await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${sqlList(files)})`)).getRowObjectsJS();
  con.closeSync();
  return Number(r!.n);
}

/** What the server says each column holds (in UTC); zero dates are null by the mapping. */
async function serverValues(admin: import('mysql2/promise').Connection, table: string, cols: Record<string, Column>): Promise<Map<number, Record<string, string | null>>> {
  await admin.query("SET time_zone = '+00:00'");
  const exprs = Object.entries(cols).map(([n, c]) => `${c.server(`\`${n}\``)} AS \`${n}\``);
  const [rows] = await admin.query<RowDataPacket[]>(`SELECT id, ${exprs.join(', ')} FROM \`${table}\` ORDER BY id`);
  const out = new Map<number, Record<string, string | null>>();
  for (const r of rows) {
    const values: Record<string, string | null> = {};
    for (const n of Object.keys(cols)) {
      const v = r[n] === null ? null : String(r[n]);
      values[n] = v !== null && /^\d{4}-(00-|\d\d-00)/.test(v) ? null : v;
    }
    out.set(Number(r.id), values);
  }
  return out;
}

/** The lines as written, text not parsed: digits of big numbers intact. */
function rawLines(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('.jsonl') && !f.includes('deadletter')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

/** A line without its op and _meta. */
function strip(line: string): string {
  return line.slice(0, line.indexOf(',"op":'));
}

/** The raw JSON text of one top-level field of a line, so a number's digits are compared as written. */
function rawValue(line: string, field: string): string {
  const start = line.indexOf(`"${field}":`) + field.length + 3;
  let depth = 0;
  let inString = false;
  for (let i = start; i < line.length; i++) {
    const ch = line[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      if (depth === 0) return line.slice(start, i);
      depth--;
    } else if (ch === ',' && depth === 0) return line.slice(start, i);
  }
  return line.slice(start);
}
