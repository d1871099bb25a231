/** Shared set-up for tests against the running local stack (`npm run stack:up`). */
import mysql from 'mysql2/promise';
import { loadConfig, type Config } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';

export const config: Config = loadConfig();

/** A connection as the shop's admin account: writes, DDL and binlog administration. */
export function adminConnection(): Promise<mysql.Connection> {
  return mysql.createConnection(mysqlOptions(config, 'admin'));
}

/** A connection as the pipeline's own least-privilege account. */
export function pipelineConnection(): Promise<mysql.Connection> {
  return mysql.createConnection(mysqlOptions(config, 'pipeline'));
}

/** Ids far above what the generator hands out, unique per run, so tests never collide with data. */
export function freshId(): number {
  return 1_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
