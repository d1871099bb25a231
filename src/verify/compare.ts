/**
 * The comparison, in DuckDB (which spills to disk, so memory stays bounded on millions of rows): the files' lines
 * typed by the table's columns, deduplicated by `_meta` coordinates, the latest line per key (deletes applied), set
 * against the expected lines from MySQL, key by key. Missing: a row MySQL has and the files do not (or only as
 * deleted); extra: a key the files hold and MySQL does not; differing: both hold it, some column differs.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ident, selectSql, sqlText, typeOf, type ParquetColumn, type ParquetPlan } from '../codec/parquet-column.js';
import type { CursorValue } from '../source/snapshot.js';
import type { TableFiles } from './output-files.js';

export interface TableComparison {
  /** Rows MySQL has (compared). */
  rows: number;
  equal: number;
  missing: number;
  extra: number;
  differing: number;
  /** Lines in the files more than once (the same topic, partition and offset): exactly-once broken. */
  duplicated: number;
  /** Lines read from the files. */
  lines: number;
  samples: { missing: string[]; extra: string[]; differing: Array<{ key: string; columns: string[] }> };
  /** Keys of the missing and differing rows, as read cursors: what a repair reads again. */
  repair: CursorValue[][];
  /** Keys of the extra rows, as the lines hold them. */
  extraKeys: CursorValue[][];
}

const SAMPLES = 5;
const MAX_REPAIR = 100_000;

export async function compareTable(con: DuckDBConnection, o: {
  plan: ParquetPlan; keys: string[]; files: TableFiles; expectedPath: string;
  /** A second look: only the keys in table `recheck` (the first look's differences) are compared. */
  recheck?: boolean;
}): Promise<TableComparison> {
  const { plan, keys } = o;
  const values = plan.columns.filter((c) => c.name !== 'op' && c.name !== '_meta');
  const parts: string[] = [];
  if (o.files.jsonl.length > 0) parts.push(selectSql(plan, o.files.jsonl));
  if (o.files.parquet.length > 0) parts.push(await parquetSelect(con, plan, o.files.parquet));
  const empty = `SELECT ${plan.columns.map((c) => `CAST(NULL AS ${typeOf(c)}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
  await con.run(`CREATE OR REPLACE TEMP TABLE f AS ${parts.length > 0 ? parts.join(' UNION ALL BY NAME ') : empty}`);
  const keyList = keys.map(ident).join(', ');
  await con.run(`CREATE OR REPLACE TEMP TABLE s AS SELECT * FROM f ${o.recheck ? `SEMI JOIN recheck USING (${keyList})` : ''}
    QUALIFY row_number() OVER (PARTITION BY ${keyList} ORDER BY _meta."offset" DESC, _meta."partition" DESC) = 1`);
  const withKey: ParquetPlan = { columns: [...plan.columns, { name: '_k', read: 'JSON' }], key: '' };
  await con.run(`CREATE OR REPLACE TEMP TABLE e AS ${selectSql(withKey, o.expectedPath)}`);

  const one = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJS()[0]!;
  const lines = await one(`SELECT count(*) AS n, count(DISTINCT struct_pack(t := _meta.topic, p := _meta."partition", o := _meta."offset")) AS d FROM f`);
  const rows = Number((await one('SELECT count(*) AS n FROM e')).n);
  const live = `s.op IS NOT NULL AND s.op <> 'd'`;
  const differs = values.map((c) => `e.${ident(c.name)} IS DISTINCT FROM s.${ident(c.name)}`).join(' OR ') || 'false';
  const which = `list_filter([${values.map((c) => `CASE WHEN e.${ident(c.name)} IS DISTINCT FROM s.${ident(c.name)} THEN ${sqlText(c.name)} END`).join(', ')}], x -> x IS NOT NULL)`;
  const shown = (from: string) => `CAST(to_json(struct_pack(${keys.map((k) => `${ident(k)} := ${from}.${ident(k)}`).join(', ')})) AS VARCHAR)`;
  await con.run(`CREATE OR REPLACE TEMP TABLE bad AS
    SELECT 'missing' AS kind, CAST(e._k AS VARCHAR) AS k, ${shown('e')} AS shown, NULL::VARCHAR[] AS cols FROM e LEFT JOIN s USING (${keyList}) WHERE NOT (${live})
    UNION ALL
    SELECT 'differing', CAST(e._k AS VARCHAR), ${shown('e')}, ${which} FROM e JOIN s USING (${keyList}) WHERE ${live} AND (${differs})
    UNION ALL
    SELECT 'extra', ${shown('s')}, ${shown('s')}, NULL FROM s ANTI JOIN e USING (${keyList}) WHERE ${live}`);
  const counts = Object.fromEntries((await con.runAndReadAll('SELECT kind, count(*) AS n FROM bad GROUP BY kind')).getRowObjectsJS()
    .map((r) => [String(r.kind), Number(r.n)]));
  const sample = async (kind: string) => (await con.runAndReadAll(`SELECT shown, cols FROM bad WHERE kind = '${kind}' ORDER BY shown LIMIT ${SAMPLES}`)).getRowObjectsJS();
  const repair = (await con.runAndReadAll(`SELECT k FROM bad WHERE kind <> 'extra' LIMIT ${MAX_REPAIR}`)).getRowObjectsJS()
    .map((r) => JSON.parse(String(r.k)) as CursorValue[]);
  // The keys found different, kept for a second look after the pipeline has moved on.
  const keyStruct = `CAST(to_json(struct_pack(${keys.map((k) => `${ident(k)} := ${ident(k)}`).join(', ')})) AS VARCHAR)`;
  await con.run(`CREATE OR REPLACE TEMP TABLE recheck AS
    SELECT ${keyList} FROM e WHERE CAST(_k AS VARCHAR) IN (SELECT k FROM bad WHERE kind <> 'extra')
    UNION SELECT ${keyList} FROM s WHERE ${keyStruct} IN (SELECT k FROM bad WHERE kind = 'extra')`);
  const extraKeys = (await con.runAndReadAll(`SELECT k FROM bad WHERE kind = 'extra' LIMIT ${MAX_REPAIR}`)).getRowObjectsJS()
    .map((r) => Object.values(JSON.parse(String(r.k)) as Record<string, CursorValue>));
  const missing = counts.missing ?? 0;
  const differing = counts.differing ?? 0;
  return {
    rows, equal: rows - missing - differing, missing, extra: counts.extra ?? 0, differing,
    duplicated: Number(lines.n) - Number(lines.d), lines: Number(lines.n),
    samples: {
      missing: (await sample('missing')).map((r) => String(r.shown)),
      extra: (await sample('extra')).map((r) => String(r.shown)),
      differing: (await sample('differing')).map((r) => ({ key: String(r.shown), columns: (r.cols as string[] | null) ?? [] })),
    },
    repair, extraKeys,
  };
}

/** Parquet files read together (union_by_name), every column of the plan cast to its type; a column no file has is null. */
async function parquetSelect(con: DuckDBConnection, plan: ParquetPlan, files: string[]): Promise<string> {
  const list = `[${files.map(sqlText).join(', ')}]`;
  const present = new Set((await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list}, union_by_name = true)`)).getRowObjectsJS()
    .map((r) => String(r.column_name)));
  const col = (c: ParquetColumn) => (present.has(c.name) ? `CAST(${ident(c.name)} AS ${typeOf(c)})` : `CAST(NULL AS ${typeOf(c)})`) + ` AS ${ident(c.name)}`;
  return `SELECT ${plan.columns.map(col).join(', ')} FROM read_parquet(${list}, union_by_name = true)`;
}
