import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import type { ConnectionOptions } from 'mysql2';
import type { Config, MysqlTls } from './config.js';
import { PipelineError } from './errors.js';

/** The database server refuses the account or is not set up for change data capture. Exit code 2. */
export class ServerConfigError extends PipelineError {
  override get exitCode(): number {
    return 2;
  }
}

/** The server cannot be reached right now; a daemon retries with backoff, the position kept. */
export class ServerUnavailableError extends PipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** Which settings name the account of options made here, for messages that say what to fix. */
const ACCOUNT_SETTINGS = new WeakMap<ConnectionOptions, string>();

/**
 * Connection settings for one of the two accounts: the pipeline's read-only one, or the shop's admin one
 * (generator and tests). utf8mb4 always, or 4-byte characters fail.
 */
export function mysqlOptions(config: Config, account: 'pipeline' | 'admin'): ConnectionOptions {
  const creds = account === 'admin' ? config.mysqlAdmin : config.mysql;
  const options: ConnectionOptions = {
    host: config.mysql.host,
    port: config.mysql.port,
    user: creds.user,
    password: creds.password,
    database: config.mysql.database,
    charset: 'utf8mb4',
    // TIMESTAMP columns come back as UTC instants whatever the host's zone.
    timezone: 'Z',
    // An address that drops packets answers nothing: say so within seconds, not mysql2's ten.
    connectTimeout: 5000,
    ...(config.mysql.tls ? { ssl: sslOptions(config.mysql.tls) } : {}),
  };
  ACCOUNT_SETTINGS.set(options, account === 'admin' ? 'MYSQL_ADMIN_USER and MYSQL_ADMIN_PASSWORD' : 'MYSQL_USER and MYSQL_PASSWORD');
  return options;
}

/** mysql2's TLS options for a mode; zongji hands the same to its two connections. */
function sslOptions(tls: MysqlTls): NonNullable<ConnectionOptions['ssl']> {
  return {
    ...(tls.ca ? { ca: readFileSync(tls.ca, 'utf8') } : {}),
    rejectUnauthorized: tls.mode !== 'required',
    verifyIdentity: tls.mode === 'verify_identity',
  } as NonNullable<ConnectionOptions['ssl']>;
}

/** mysql2's code for a failed TLS handshake (a certificate refused), and Node's own where one leaks through. */
const TLS_REFUSED = /^HANDSHAKE_SSL_ERROR$|CERT|UNABLE_TO_(GET|VERIFY)|ALTNAME|^ERR_SSL/;

/** A failed connection as the pipeline's error: refused credentials (exit 2) or unreachable (retriable), settings named. */
export function mysqlError(err: unknown, options: ConnectionOptions): PipelineError {
  if (err instanceof PipelineError) return err;
  const e = err as { code?: string; message?: string };
  const where = `${options.host}:${options.port}`;
  if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.code === 'ER_DBACCESS_DENIED_ERROR') {
    const settings = ACCOUNT_SETTINGS.get(options) ?? 'the MySQL user and password settings';
    return new ServerConfigError(`MySQL at ${where} refused ${options.user} (${e.message}); check ${settings} and its grants`, { cause: err });
  }
  if (e.code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new ServerConfigError(`MySQL at ${where} offers no TLS; enable it on the server or set MYSQL_SSL_MODE=DISABLED`, { cause: err });
  }
  if (e.code && TLS_REFUSED.test(e.code)) {
    return new ServerConfigError(
      `MySQL at ${where}: TLS refused (${e.code}: ${e.message}); check MYSQL_SSL_CA (the CA that signed the server's certificate) and MYSQL_SSL_MODE`,
      { cause: err });
  }
  if (e.code === 'ER_BAD_DB_ERROR') {
    return new ServerConfigError(`MySQL at ${where} has no database ${options.database}; check MYSQL_DATABASE`, { cause: err });
  }
  if (e.code === 'ECONNREFUSED' || e.code === 'ETIMEDOUT' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH' || e.code === 'ECONNRESET') {
    return new ServerUnavailableError(`MySQL unreachable at ${where} (${e.code}); start it or fix MYSQL_HOST and MYSQL_PORT`, { cause: err });
  }
  return new ServerUnavailableError(`MySQL at ${where}: ${e.message ?? e.code}`, { cause: err });
}

/** mysql2's createConnection, its failure explained (mysqlError). */
export async function connectMysql(options: ConnectionOptions): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection(options);
  } catch (err) {
    throw mysqlError(err, options);
  }
}
