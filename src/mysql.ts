import type { ConnectionOptions } from 'mysql2';
import type { Config } from './config.js';

/**
 * Connection settings for one of the two accounts: the pipeline's read-only one, or the shop's admin one
 * (generator and tests). utf8mb4 always, or 4-byte characters fail.
 */
export function mysqlOptions(config: Config, account: 'pipeline' | 'admin'): ConnectionOptions {
  const creds = account === 'admin' ? config.mysqlAdmin : config.mysql;
  return {
    host: config.mysql.host,
    port: config.mysql.port,
    user: creds.user,
    password: creds.password,
    database: config.mysql.database,
    charset: 'utf8mb4',
    // TIMESTAMP columns come back as UTC instants whatever the host's zone.
    timezone: 'Z',
  };
}
