/**
 * Checks the server before reading: binlog on, ROW format, FULL image and row metadata, no transaction
 * compression; a wrong setting is a clear error naming the setting, not a stream of undecodable events later.
 * Also reads where the binlog ends now.
 */
import mysql from 'mysql2/promise';
import { connectMysql, ServerConfigError } from '../mysql.js';
import type { BinlogPosition } from './checkpoint.js';
import { binlogHead, flavorOf, mysqlGtidSetAt, serverVersion, type Flavor } from './server.js';

export interface ServerFacts {
  serverId: number;
  flavor: Flavor;
  end: BinlogPosition;
  /** Binlog files the server still has, oldest first. */
  binlogs: string[];
  /** MySQL with gtid_mode=ON: a dump by GTID set is accepted (not under OFF or the PERMISSIVE modes). */
  gtidOn: boolean;
}

/** Settings the reader cannot work without: [variable, required value, absent is fine (older servers lack it)]. */
const REQUIRED: Array<[string, string, boolean]> = [
  ['log_bin', 'ON', false],
  ['binlog_format', 'ROW', false],
  ['binlog_row_image', 'FULL', false],
  // Without it a row is decoded against the table's columns now, wrong after an ALTER TABLE (MySQL's default is MINIMAL).
  ['binlog_row_metadata', 'FULL', true],
  // Compressed transactions arrive as Transaction_payload events, which zongji cannot decode (MySQL 8.0.20+).
  ['binlog_transaction_compression', 'OFF', true],
];

export async function preflight(options: mysql.ConnectionOptions): Promise<ServerFacts> {
  const conn = await connectMysql(options);
  try {
    const names = [...REQUIRED.map(([n]) => n), 'server_id', 'version', 'gtid_mode'];
    const [vars] = await conn.query<Array<{ Variable_name: string; Value: string } & mysql.RowDataPacket>>(
      'SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)', [names]);
    const v = Object.fromEntries(vars.map((r) => [r.Variable_name, r.Value]));
    for (const [name, value, optional] of REQUIRED) {
      const actual = v[name];
      if (actual === undefined && optional) continue;
      // MySQL reports the boolean settings as 0/1 in some versions.
      const normalised = (actual ?? '').toUpperCase().replace(/^1$/, 'ON').replace(/^0$/, 'OFF');
      if (normalised !== value) {
        throw new ServerConfigError(
          `the server has ${name}=${actual ?? 'unset'}; change data capture needs ${name}=${value} (see mysql-conf/cdc.cnf)`);
      }
    }
    const version = v.version ?? await serverVersion(conn);
    const end = await binlogHead(conn, version);
    if (!end) throw new ServerConfigError(`${flavorOf(version).statusSql} returned nothing: is the binary log enabled (log_bin)?`);
    const [logs] = await conn.query<Array<{ Log_name: string } & mysql.RowDataPacket>>('SHOW BINARY LOGS');
    const flavor = flavorOf(version).flavor;
    return { serverId: Number(v.server_id), flavor, binlogs: logs.map((l) => l.Log_name), end, gtidOn: flavor === 'mysql' && v.gtid_mode === 'ON' };
  } finally {
    await conn.end();
  }
}

export async function preflightFlavor(conn: mysql.Connection): Promise<Flavor> {
  return flavorOf(await serverVersion(conn)).flavor;
}

/**
 * The GTIDs committed before a binlog file and position, for a start point that has none (a checkpoint from
 * before GTIDs were recorded, a move to a file and position): MariaDB's position (BINLOG_GTID_POS) or MySQL's
 * executed set. Null when the server cannot say.
 */
export async function gtidPositionAt(options: mysql.ConnectionOptions, flavor: Flavor, at: { file: string; pos: number }): Promise<string | null> {
  const conn = await connectMysql(options);
  try {
    if (flavor === 'mysql') return await mysqlGtidSetAt(conn, at);
    const [rows] = await conn.query<Array<{ g: string | null } & mysql.RowDataPacket>>('SELECT BINLOG_GTID_POS(?, ?) AS g', [at.file, at.pos]);
    return rows[0]?.g ?? null;
  } catch {
    return null;
  } finally {
    await conn.end().catch(() => undefined);
  }
}
