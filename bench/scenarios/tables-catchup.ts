/**
 * The multi-table catch-up: the workload (40 % inserts, 50 % updates, 10 % deletes, 500 changes per
 * transaction) spread over five tables of mixed types, each transaction writing all five; drained by our source
 * capturing the five and by Debezium capturing the same five, from the same binlog range.
 */
import type mysql from 'mysql2/promise';
import { binlogEnd, gtidNow } from '../lib/backlog.js';
import { config } from '../lib/pipeline.js';
import type { BinlogRange } from './source-catchup.js';

/** Five tables: ints, decimals, text, temporal types, JSON, ENUM/SET, BIT, binary, a composite key. */
const TABLES: Array<{ name: string; ddl: string; row: (id: number) => unknown[]; update: string }> = [
  { name: 'items', ddl: 'id INT PRIMARY KEY, name VARCHAR(64), qty INT, price DECIMAL(10,2), updated DATETIME(3)',
    row: (id) => [id, `item ${id}`, id % 100, `${id % 1000}.25`, '2026-12-03 10:00:00.125'], update: 'qty = qty + 1' },
  { name: 'skus', ddl: 'id BIGINT PRIMARY KEY, sku CHAR(12), weight DOUBLE, tags SET(\'a\',\'b\',\'c\'), note TEXT',
    row: (id) => [id, `SKU${id}`.slice(0, 12), id / 7, 'a,c', `note for ${id}`], update: 'weight = weight + 0.5' },
  { name: 'lines', ddl: 'order_id INT, line INT, amount DECIMAL(12,4), status ENUM(\'new\',\'paid\',\'shipped\'), at TIMESTAMP(6), PRIMARY KEY (order_id, line)',
    row: (id) => [id, 1, `${id}.1234`, 'new', '2026-12-03 10:00:00.123456'], update: 'amount = amount + 1' },
  { name: 'docs', ddl: 'id INT PRIMARY KEY, payload JSON, flags BIT(8), d DATE, t TIME(3)',
    row: (id) => [id, JSON.stringify({ id, tags: ['x', 'y'], n: id % 10 }), id % 256, '2026-12-03', '12:34:56.789'], update: 'flags = flags ^ 1' },
  { name: 'blobs', ddl: 'id INT PRIMARY KEY, data VARBINARY(64), ref CHAR(36), f FLOAT, y YEAR',
    row: (id) => [id, Buffer.from(`bytes-${id}`), `00000000-0000-0000-0000-${String(id).padStart(12, '0')}`, id / 3, 2026], update: 'f = f + 1' },
];

export interface TablesWorkload {
  tables: string[];
  range: BinlogRange;
  drop: () => Promise<void>;
}

/** Creates the five tables (readable by the pipeline's account) and writes the workload; returns its binlog range. */
export async function tablesWorkload(admin: mysql.Pool, changes: number, log: (line: string) => void): Promise<TablesWorkload> {
  const stamp = `bmt_${process.pid}_${Date.now().toString(36)}`;
  const db = config.mysql.database;
  const names = TABLES.map((t) => `${stamp}_${t.name}`);
  for (const [i, t] of TABLES.entries()) {
    await admin.query(`CREATE TABLE \`${names[i]}\` (${t.ddl}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    await admin.query(`GRANT SELECT ON \`${db}\`.\`${names[i]}\` TO '${config.mysql.user}'@'127.0.0.1', '${config.mysql.user}'@'localhost'`);
  }
  const start = { ...(await binlogEnd(admin)), gtid: await gtidNow(admin) };
  log(`building a ${changes}-change binlog backlog over five tables (each transaction of 500 writes all five)`);
  const perTable = 100; // of each transaction's 500 changes
  const conn = await admin.getConnection();
  let made = 0;
  const live: number[][] = TABLES.map(() => []);
  let next = 1;
  try {
    while (made < changes) {
      await conn.beginTransaction();
      for (const [i, t] of TABLES.entries()) {
        const inserts = 40;
        const ids = Array.from({ length: inserts }, () => next++);
        await conn.query(`INSERT INTO \`${names[i]}\` VALUES ?`, [ids.map(t.row)]);
        live[i]!.push(...ids);
        const key = t.name === 'lines' ? 'order_id' : 'id';
        const pool = live[i]!;
        const updates = pool.slice(Math.max(0, pool.length - 400)).filter((_, k) => k % 8 === 0).slice(0, 50);
        if (updates.length > 0) await conn.query(`UPDATE \`${names[i]}\` SET ${t.update} WHERE ${key} IN (?)`, [updates]);
        const deletes = pool.splice(0, perTable - inserts - updates.length);
        if (deletes.length > 0) await conn.query(`DELETE FROM \`${names[i]}\` WHERE ${key} IN (?)`, [deletes]);
        made += inserts + updates.length + deletes.length;
      }
      await conn.commit();
    }
  } finally {
    conn.release();
  }
  return {
    tables: names.map((n) => `${db}.${n}`),
    range: { start, end: await binlogEnd(admin), changes: made },
    drop: async () => { for (const n of names) await admin.query(`DROP TABLE IF EXISTS \`${n}\``); },
  };
}
