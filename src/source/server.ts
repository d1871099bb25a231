/**
 * What differs between MariaDB and Oracle MySQL when asking a server where its binlog stands. MySQL 8.2 renamed
 * SHOW MASTER STATUS (9.x no longer parses it); MariaDB knows only the old name. MySQL's status row carries the
 * executed GTID set of that very point, so file, position and GTIDs never disagree.
 */
import { GtidSet } from '@vlasky/zongji';
import type mysql from 'mysql2/promise';
import type { BinlogPosition } from './checkpoint.js';

export type Flavor = 'mariadb' | 'mysql';

/** The server's kind and whether it still knows SHOW MASTER STATUS, from its version string. */
export function flavorOf(version: string): { flavor: Flavor; statusSql: string } {
  if (/mariadb/i.test(version)) return { flavor: 'mariadb', statusSql: 'SHOW MASTER STATUS' };
  const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
  const renamed = major > 8 || (major === 8 && minor >= 2);
  return { flavor: 'mysql', statusSql: renamed ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS' };
}

export async function serverVersion(conn: mysql.Connection): Promise<string> {
  const [rows] = await conn.query<Array<{ v: string } & mysql.RowDataPacket>>('SELECT VERSION() AS v');
  return rows[0]?.v ?? '';
}

/** Where the binlog ends now, with the GTID position (MariaDB) or executed GTID set (MySQL) there; undefined when the binlog is off. */
export async function binlogHead(conn: mysql.Connection, version: string): Promise<BinlogPosition | undefined> {
  const { flavor, statusSql } = flavorOf(version);
  const [status] = await conn.query<Array<{ File: string; Position: number; Executed_Gtid_Set?: string } & mysql.RowDataPacket>>(statusSql);
  const head = status[0];
  if (!head) return undefined;
  let gtid: string | null;
  if (flavor === 'mysql') gtid = (head.Executed_Gtid_Set ?? '').replace(/\s/g, '') || null;
  else {
    const [rows] = await conn.query<Array<{ g: string | null } & mysql.RowDataPacket>>('SELECT @@gtid_binlog_pos AS g');
    gtid = rows[0]?.g || null;
  }
  return { file: head.File, pos: Number(head.Position), gtid };
}

type BinlogEventRow = { Pos: number; Event_type: string; Info: string } & mysql.RowDataPacket;

/**
 * MySQL has no BINLOG_GTID_POS: the file's Previous_gtids event gives the set when the file began, and each Gtid
 * event before the position adds its transaction (a commit boundary, so every transaction begun before it ended
 * before it). One page of SHOW BINLOG EVENTS at a time; null when the file has no Previous_gtids (GTIDs never on).
 */
export async function mysqlGtidSetAt(conn: mysql.Connection, at: { file: string; pos: number }): Promise<string | null> {
  const page = 10_000;
  let set: GtidSet | undefined;
  for (let offset = 0; ; offset += page) {
    const [events] = await conn.query<BinlogEventRow[]>(`SHOW BINLOG EVENTS IN ? LIMIT ${offset}, ${page}`, [at.file]);
    for (const e of events) {
      if (Number(e.Pos) >= at.pos) return set?.toString() ?? null;
      if (e.Event_type === 'Previous_gtids') set = GtidSet.parse(e.Info.replace(/\s/g, ''));
      const gtid = e.Event_type.startsWith('Gtid') ? /GTID_NEXT\s*=\s*'([^']+)'/.exec(e.Info)?.[1] : undefined;
      if (gtid && set) set.add(gtid);
    }
    if (events.length < page) return set?.toString() ?? null;
  }
}

/**
 * Whether a MySQL server can still send every transaction missing from `set`: nothing it purged is outside the
 * set. Then a checkpoint whose binlog file is gone resumes by GTID instead of a snapshot.
 */
export async function gtidsStillOnServer(conn: mysql.Connection, set: string): Promise<boolean> {
  const [rows] = await conn.query<Array<{ ok: number } & mysql.RowDataPacket>>('SELECT GTID_SUBSET(@@GLOBAL.gtid_purged, ?) AS ok', [set]);
  return Number(rows[0]?.ok) === 1;
}
