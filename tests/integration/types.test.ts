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
import type { RowDataPacket } from 'mysql2';
import { startCommand } from './process.js';
import { countLines, readOutput, startPool, stopPool } from './pool-helpers.js';
import { startSource, stopSource, waitCaughtUp, waitFor } from './source-helpers.js';
import { capturedTables, tableDir } from './tables-helpers.js';
import { columns, rows, ZERO_DATES, type Column } from '../fixtures/typed-table.js';

test('every column type: binlog and backfill lines are identical, and each value is what the server holds', async (t) => {
  const probe = await capturedTables(t, {});
  const [[version]] = await probe.admin.query<RowDataPacket[]>('SELECT VERSION() AS v');
  const mariadb = /mariadb/i.test(String(version!.v));
  const cols = columns(mariadb);
  const names = Object.keys(cols);
  const e = await capturedTables(t, { typed: `id INT PRIMARY KEY, ${names.map((n) => `${n} ${cols[n]!.def}`).join(', ')}` });
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
});

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
