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

/**
 * Test rows get negative ids: the generator only counts up from the largest id, so the two never meet,
 * however much data a benchmark has generated.
 */
export function freshId(): number {
  return -1 - Math.floor(Math.random() * 2_000_000_000);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
