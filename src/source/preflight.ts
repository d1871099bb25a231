/**
 * Checks the server before reading: binlog on, ROW format, FULL image; a wrong setting is a clear error
 * naming the setting, not a stream of undecodable events later. Also reads where the binlog ends now.
 */
import mysql from 'mysql2/promise';
import { connectMysql, ServerConfigError } from '../mysql.js';
import type { BinlogPosition } from './checkpoint.js';

export interface ServerFacts {
  serverId: number;
  flavor: 'mariadb' | 'mysql';
  end: BinlogPosition;
  /** Binlog files the server still has, oldest first. */
  binlogs: string[];
}

export async function preflight(options: mysql.ConnectionOptions): Promise<ServerFacts> {
  const conn = await connectMysql(options);
  try {
    const [vars] = await conn.query<Array<{ Variable_name: string; Value: string } & mysql.RowDataPacket>>(
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin','binlog_format','binlog_row_image','server_id','version')");
    const v = Object.fromEntries(vars.map((r) => [r.Variable_name, r.Value]));
    const want: Array<[string, string]> = [['log_bin', 'ON'], ['binlog_format', 'ROW'], ['binlog_row_image', 'FULL']];
    for (const [name, value] of want) {
      if ((v[name] ?? '').toUpperCase() !== value) {
        throw new ServerConfigError(
          `the server has ${name}=${v[name] ?? 'unset'}; change data capture needs ${name}=${value} (see mysql-conf/cdc.cnf)`);
      }
    }
    const flavor = /mariadb/i.test(v.version ?? '') ? 'mariadb' : 'mysql';
    // MySQL 8.4 renamed SHOW MASTER STATUS; MariaDB 10.11 only knows the old name.
    const statusSql = flavor === 'mysql' ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
    const [status] = await conn.query<Array<{ File: string; Position: number } & mysql.RowDataPacket>>(statusSql)
      .catch(() => conn.query<Array<{ File: string; Position: number } & mysql.RowDataPacket>>('SHOW MASTER STATUS'));
    const head = status[0];
    if (!head) throw new ServerConfigError('SHOW MASTER STATUS returned nothing: is the binary log enabled?');
    const [gtid] = await conn.query<Array<{ gtid: string | null } & mysql.RowDataPacket>>(
      flavor === 'mariadb' ? 'SELECT @@gtid_binlog_pos AS gtid' : 'SELECT @@gtid_executed AS gtid');
    const [logs] = await conn.query<Array<{ Log_name: string } & mysql.RowDataPacket>>('SHOW BINARY LOGS');
    return {
      serverId: Number(v.server_id),
      flavor,
      binlogs: logs.map((l) => l.Log_name),
      end: { file: head.File, pos: Number(head.Position), gtid: gtid[0]?.gtid || null },
    };
  } finally {
    await conn.end();
  }
}

export async function preflightFlavor(conn: mysql.Connection): Promise<'mariadb' | 'mysql'> {
  const [rows] = await conn.query<Array<{ v: string } & mysql.RowDataPacket>>('SELECT VERSION() AS v');
  return /mariadb/i.test(rows[0]?.v ?? '') ? 'mariadb' : 'mysql';
}

/** MariaDB's GTID position at a binlog file and position (BINLOG_GTID_POS); null when the server cannot say. */
export async function gtidPositionAt(options: mysql.ConnectionOptions, at: { file: string; pos: number }): Promise<string | null> {
  const conn = await connectMysql(options);
  try {
    const [rows] = await conn.query<Array<{ g: string | null } & mysql.RowDataPacket>>('SELECT BINLOG_GTID_POS(?, ?) AS g', [at.file, at.pos]);
    return rows[0]?.g ?? null;
  } catch {
    return null;
  } finally {
    await conn.end().catch(() => undefined);
  }
}
