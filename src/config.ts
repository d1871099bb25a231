import { ConfigError } from './errors.js';

/**
 * One typed configuration, read from environment variables. Names match `npm run --silent stack:env`;
 * every default is the local stack's, so nothing needs setting against it.
 */
export interface MysqlConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  table: string;
}

export interface Config {
  mysql: MysqlConfig;
  /** The shop's own account with write rights: used by the data generator and tests, never by the pipeline. */
  mysqlAdmin: { user: string; password: string };
  kafka: { brokers: string; topic: string; partitions: number };
  registry: { url: string };
  source: SourceConfig;
  pool: PoolConfig;
}

export interface PoolConfig {
  group: string;
  size: number;
  outputDir: string;
  /** Added to file names so several supervisors can share one OUTPUT_DIR. */
  instance: string;
  discount: { category: string; percent: number };
  /** Messages per consume call, and per fsync + commit at most. */
  batch: number;
}

export interface SourceConfig {
  /** Identity of this source: the checkpoint key and the Kafka transactional id. One running daemon per id. */
  id: string;
  /** Replication server id of the binlog connection; unique among the server's replicas and readers. */
  serverId: number;
  checkpointTopic: string;
  /** Follow each delete event with a tombstone (null value) for the key, so compaction forgets it. */
  tombstones: boolean;
  /** Changes per Kafka transaction at most (rounded up to whole binlog transactions). */
  batchMax: number;
  /** Changes buffered between the binlog and Kafka before the binlog connection is paused. */
  queueMax: number;
  /** What a source with no checkpoint does first. */
  coldStart: ColdStart;
  /** Rows per Kafka transaction while snapshotting. */
  snapshotChunk: number;
  /** When the checkpointed binlog is gone, re-read rows changed since the checkpoint's time minus this. */
  purgedMarginSeconds: number;
}

export type ColdStart = { kind: 'snapshot' } | { kind: 'latest' } | { kind: 'watermark'; since: Date };

export type Env = Record<string, string | undefined>;

export const DEFAULTS = {
  MYSQL_HOST: '127.0.0.1',
  MYSQL_PORT: '3307',
  MYSQL_USER: 'cdc',
  MYSQL_PASSWORD: 'cdc-local',
  MYSQL_DATABASE: 'shop',
  MYSQL_TABLE: 'product',
  MYSQL_ADMIN_USER: 'shop_admin',
  MYSQL_ADMIN_PASSWORD: 'shop-admin-local',
  KAFKA_BROKERS: '127.0.0.1:9092',
  KAFKA_TOPIC: 'product_updates',
  KAFKA_PARTITIONS: '10',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  SOURCE_ID: 'product-source',
  SOURCE_SERVER_ID: '5401',
  CHECKPOINT_TOPIC: 'cdc_source_checkpoints',
  EMIT_TOMBSTONES: 'true',
  SOURCE_BATCH_MAX: '5000',
  SOURCE_QUEUE_MAX: '20000',
  COLD_START: 'snapshot',
  SNAPSHOT_CHUNK: '5000',
  BINLOG_PURGED_MARGIN_SECONDS: '300',
  KAFKA_GROUP: 'product-pool',
  POOL_SIZE: '5',
  OUTPUT_DIR: './output',
  POOL_INSTANCE: '',
  DISCOUNT_CATEGORY: 'ELECTRONICS',
  DISCOUNT_PERCENT: '10',
  POOL_BATCH: '1000',
} as const;

type Key = keyof typeof DEFAULTS;

function raw(env: Env, key: Key): string {
  const value = env[key];
  return value === undefined || value === '' ? DEFAULTS[key] : value;
}

function optional(env: Env, key: Key, pattern: RegExp, form: string): string {
  const value = raw(env, key).trim();
  if (value !== '' && !pattern.test(value)) throw new ConfigError(`${key}=${JSON.stringify(value)}: expected ${form}`);
  return value;
}

function percent(env: Env, key: Key): number {
  const value = raw(env, key).trim();
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not a percentage from 0 to 100`);
  }
  return n;
}

function text(env: Env, key: Key): string {
  const value = raw(env, key).trim();
  if (value === '') throw new ConfigError(`${key} is empty; set it or unset it to use ${DEFAULTS[key]}`);
  return value;
}

function int(env: Env, key: Key, min: number, max: number): number {
  const value = raw(env, key).trim();
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

function identifier(env: Env, key: Key): string {
  const value = text(env, key);
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(value)) {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not a plain MySQL identifier (letters, digits, _ and $)`);
  }
  return value;
}

function bool(env: Env, key: Key): boolean {
  const value = raw(env, key).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(`${key}=${JSON.stringify(value)} is not true or false`);
}

function topicName(env: Env, key: Key): string {
  const value = text(env, key);
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not a Kafka topic name (letters, digits, . _ -)`);
  }
  return value;
}

function coldStart(env: Env, key: Key): ColdStart {
  const value = raw(env, key).trim();
  if (value === 'snapshot' || value === 'latest') return { kind: value };
  const m = /^watermark:(\d{4}-\d\d-\d\d.*)$/.exec(value);
  if (m && !Number.isNaN(Date.parse(m[1]!))) return { kind: 'watermark', since: new Date(m[1]!) };
  throw new ConfigError(`${key}=${JSON.stringify(value)}: expected snapshot, latest or watermark:<ISO time> (e.g. watermark:2026-01-31T00:00:00Z)`);
}

function brokers(env: Env, key: Key): string {
  const value = text(env, key);
  for (const broker of value.split(',')) {
    if (!/^[^\s:,]+:\d{1,5}$/.test(broker.trim())) {
      throw new ConfigError(`${key}=${JSON.stringify(value)}: expected host:port[,host:port…], e.g. 127.0.0.1:9092`);
    }
  }
  return value;
}

function httpUrl(env: Env, key: Key): string {
  const value = text(env, key);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not a URL; expected e.g. ${DEFAULTS[key]}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${key}=${JSON.stringify(value)} must be an http:// or https:// URL`);
  }
  return value.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env): Config {
  return {
    mysql: {
      host: text(env, 'MYSQL_HOST'),
      port: int(env, 'MYSQL_PORT', 1, 65535),
      user: text(env, 'MYSQL_USER'),
      password: raw(env, 'MYSQL_PASSWORD'),
      database: identifier(env, 'MYSQL_DATABASE'),
      table: identifier(env, 'MYSQL_TABLE'),
    },
    mysqlAdmin: { user: text(env, 'MYSQL_ADMIN_USER'), password: raw(env, 'MYSQL_ADMIN_PASSWORD') },
    kafka: {
      brokers: brokers(env, 'KAFKA_BROKERS'),
      topic: topicName(env, 'KAFKA_TOPIC'),
      partitions: int(env, 'KAFKA_PARTITIONS', 1, 10000),
    },
    registry: { url: httpUrl(env, 'SCHEMA_REGISTRY_URL') },
    source: {
      id: topicName(env, 'SOURCE_ID'),
      serverId: int(env, 'SOURCE_SERVER_ID', 1, 4294967295),
      checkpointTopic: topicName(env, 'CHECKPOINT_TOPIC'),
      tombstones: bool(env, 'EMIT_TOMBSTONES'),
      batchMax: int(env, 'SOURCE_BATCH_MAX', 1, 1_000_000),
      queueMax: int(env, 'SOURCE_QUEUE_MAX', 100, 10_000_000),
      coldStart: coldStart(env, 'COLD_START'),
      snapshotChunk: int(env, 'SNAPSHOT_CHUNK', 1, 1_000_000),
      purgedMarginSeconds: int(env, 'BINLOG_PURGED_MARGIN_SECONDS', 0, 30 * 86400),
    },
    pool: {
      group: text(env, 'KAFKA_GROUP'),
      size: int(env, 'POOL_SIZE', 1, 64),
      outputDir: text(env, 'OUTPUT_DIR'),
      instance: optional(env, 'POOL_INSTANCE', /^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (it becomes part of file names)'),
      discount: { category: raw(env, 'DISCOUNT_CATEGORY').trim().toUpperCase(), percent: percent(env, 'DISCOUNT_PERCENT') },
      batch: int(env, 'POOL_BATCH', 1, 100_000),
    },
  };
}
