/**
 * The captured tables as INFORMATION_SCHEMA describes them: which exist (of those the account may read), their
 * columns typed as the binlog path types them, and their primary key. For snapshots, and for what the binlog's row
 * metadata cannot tell (MariaDB's UUID, INET4 and INET6 ride on BINARY there).
 */
import type mysql from 'mysql2/promise';
import { parseColumnType, type ColumnSpec } from '../../codec/column.js';
import type { CaptureFilter, TableRef } from './filter.js';

export interface TableDescription {
  ref: TableRef;
  columns: ColumnSpec[];
  /** Primary key columns in key order; empty when the table has none. */
  keyColumns: string[];
  /** Columns whose type the binlog shows as BINARY: name → their COLUMN_TYPE here. */
  overrides: Map<string, string>;
}

const SYSTEM = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** Base tables the filter captures, in name order. */
export async function listCaptured(conn: mysql.Connection, filter: CaptureFilter): Promise<TableRef[]> {
  const dbs = filter.databases();
  const [rows] = await conn.query<Array<{ db: string; name: string } & mysql.RowDataPacket>>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'` +
      (dbs ? ' AND TABLE_SCHEMA IN (?)' : '') + ' ORDER BY TABLE_SCHEMA, TABLE_NAME', dbs ? [dbs] : []);
  return rows.filter((r) => !SYSTEM.has(r.db) && filter.matches(r.db, r.name)).map((r) => ({ db: r.db, table: r.name }));
}

export async function describeTable(conn: mysql.Connection, ref: TableRef): Promise<TableDescription | undefined> {
  const [cols] = await conn.query<Array<{ name: string; type: string; data: string; charset: string | null } & mysql.RowDataPacket>>(
    `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, DATA_TYPE AS data, CHARACTER_SET_NAME AS charset
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [ref.db, ref.table]);
  if (cols.length === 0) return undefined;
  const [keys] = await conn.query<Array<{ name: string } & mysql.RowDataPacket>>(
    `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`, [ref.db, ref.table]);
  const overrides = new Map<string, string>();
  for (const c of cols) {
    const data = c.data.toLowerCase();
    if (data === 'uuid' || data === 'inet4' || data === 'inet6') overrides.set(c.name, data);
  }
  for (const name of await mariadbJsonColumns(conn, ref)) overrides.set(name, 'json');
  return {
    ref,
    columns: cols.map((c) => parseColumnType(c.name, overrides.get(c.name) ?? c.type, c.charset)),
    keyColumns: keys.map((k) => k.name),
    overrides,
  };
}

/**
 * MariaDB's JSON columns: LONGTEXT with a JSON_VALID check on the column (what `JSON` creates there). SHOW CREATE
 * TABLE shows the check to an account with SELECT on the table (INFORMATION_SCHEMA.CHECK_CONSTRAINTS does not).
 * MySQL has a JSON type of its own, and no such checks.
 */
async function mariadbJsonColumns(conn: mysql.Connection, ref: TableRef): Promise<string[]> {
  const [rows] = await conn.query<Array<Record<string, string> & mysql.RowDataPacket>>(
    `SHOW CREATE TABLE \`${ref.db.replace(/`/g, '``')}\`.\`${ref.table.replace(/`/g, '``')}\``).catch(() => [[] as Array<Record<string, string> & mysql.RowDataPacket>]);
  const text = rows[0]?.['Create Table'] ?? '';
  return [...text.matchAll(/CHECK \(json_valid\(`((?:[^`]|``)+)`\)\)/gi)].map((m) => m[1]!.replace(/``/g, '`'));
}

/** Every captured table's description (tables dropped since the listing are left out). */
export async function describeCaptured(conn: mysql.Connection, filter: CaptureFilter): Promise<TableDescription[]> {
  const out: TableDescription[] = [];
  for (const ref of await listCaptured(conn, filter)) {
    const d = await describeTable(conn, ref);
    if (d) out.push(d);
  }
  return out;
}
