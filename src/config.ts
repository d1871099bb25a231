import { accessSync, constants, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError } from './errors.js';
import { readConfigFile, REDACTED, type Settings } from './config/file.js';
import { MANAGED_RDKAFKA, type KafkaConnection, type KafkaSecurity, type SaslMechanism, type SecurityProtocol } from './config/kafka.js';
import { patternProblem } from './source/capture/filter.js';

/**
 * One typed configuration, read from environment variables and an optional KEY=VALUE file (`--config` or
 * CDC_CONFIG; the environment wins). Names match `npm run --silent stack:env`; every default is the local
 * stack's, so nothing needs setting against it. Everything is checked here, at start, so a bad value stops the
 * process with one line naming the key instead of failing later in a client library.
 */
export interface MysqlConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  table: string;
  /** TLS to the server (MYSQL_SSL_MODE other than DISABLED); absent means a plain connection. */
  tls?: MysqlTls;
}

/** MySQL's own --ssl-mode names: REQUIRED encrypts only; VERIFY_CA also checks the chain; VERIFY_IDENTITY the host too. */
export interface MysqlTls {
  mode: 'required' | 'verify_ca' | 'verify_identity';
  /** PEM file of the CA that signed the server's certificate; Node's bundled CAs when absent. */
  ca?: string;
}

/** Which tables are captured, and how each reaches Kafka. */
export interface CaptureConfig {
  /** CAPTURE_TABLES: `db.table` names or patterns; default the seed table. */
  include: string[];
  /** CAPTURE_EXCLUDE: names or patterns left out even when included. */
  exclude: string[];
  /** The seed's table, MYSQL_DATABASE.MYSQL_TABLE: topic KAFKA_TOPIC, the seed-compatible schema and transform. */
  seed: { db: string; table: string };
  /** Other tables' topics are `<prefix>.<db>.<table>`. */
  topicPrefix: string;
  /** A table without a primary key: refused at start, or keyed by its whole row in partition 0. */
  keyless: 'refuse' | 'partition-zero';
  /** Per table (`db.table`), the column that dates a row's last change, for backfill --since; the seed's is last_updated. */
  watermarks: Record<string, string>;
}

export interface Config {
  mysql: MysqlConfig;
  capture: CaptureConfig;
  /** The shop's own account with write rights: used by the data generator and tests, never by the pipeline. */
  mysqlAdmin: { user: string; password: string };
  kafka: KafkaConnection & { topic: string; partitions: number };
  registry: { url: string; auth?: { username: string; password: string } };
  source: SourceConfig;
  pool: PoolConfig;
  ops: OpsConfig;
}

export interface OpsConfig {
  /** Address the /metrics, /healthz and /readyz endpoints listen on. */
  metricsHost: string;
  /** Port of the source daemon's endpoints; null = off, 0 = any free port (logged). */
  sourceMetricsPort: number | null;
  /** Port of the consumer supervisor's endpoints; null = off, 0 = any free port (logged). */
  poolMetricsPort: number | null;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'auto' | 'json' | 'pretty';
}

export interface SegmentPolicy {
  /** A segment at or over this size is closed after the batch that got it there. */
  maxBytes: number;
  /** A non-empty segment open this long is closed. */
  maxAgeMs: number;
  gzip: boolean;
  /** What a closed segment becomes: JSON lines (as written), a typed Parquet file, or both. */
  format: 'jsonl' | 'parquet' | 'both';
  parquetCompression: 'zstd' | 'snappy';
  /** Closed segments older than this are deleted; 0 keeps them. */
  retentionMs: number;
  /** Oldest closed segments are deleted while all of them take more than this; 0 keeps them. */
  retentionBytes: number;
  /** Mode of new output files. */
  fileMode: number;
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
  /** librdkafka's prefetch queue per consumer, KiB: with POOL_SIZE, most of the supervisor's memory. */
  prefetchKiB: number;
  /** How long the broker may hold a consumer's fetch when nothing is new: the pool's share of the latency. */
  fetchWaitMs: number;
  /**
   * A consumer commits its offsets at most this often (ms; 0: after every batch). The files and the index are what
   * make a line exactly-once; the commit tells the next reader where to start, and each one is a write to the
   * group's log on the broker.
   */
  commitEveryMs: number;
  /** Worker threads that decode and transform the consumers' batches; 0 = on the consumers' own thread. */
  workers: number;
  /** Output segments: rotation, compression, retention, file mode. */
  segments: SegmentPolicy;
  /** Static group membership: each consumer's stable `group.instance.id` starts with this; undefined = dynamic. */
  staticMember: string | undefined;
  /** How long the group waits for a consumer that stopped answering before its partitions move. */
  sessionTimeoutMs: number;
  /** How often the completeness mark is worked out and written (ms); 0 = never. */
  markEveryMs: number;
  /** Every open segment is closed at one mark this often (ms, aligned to the clock); 0 = only by size and age. */
  closeEveryMs: number;
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
  /** How long a Kafka transaction may wait for more binlog transactions when none is queued, ms (fewer commits at low rates). */
  commitLingerMs: number;
  /** Changes buffered between the binlog and Kafka before the binlog connection is paused. */
  queueMax: number;
  /** Bytes (of binlog events) queued before the binlog connection is paused. */
  queueBytes: number;
  /** What a source with no checkpoint does first. */
  coldStart: ColdStart;
  /** Rows per Kafka transaction while snapshotting. */
  snapshotChunk: number;
  /** When the checkpointed binlog is gone, re-read rows changed since the checkpoint's time minus this. */
  purgedMarginSeconds: number;
  /** The server's heartbeat period on an idle binlog connection; three silent periods mean it is dead. */
  heartbeatSeconds: number;
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
  MYSQL_SSL_MODE: 'DISABLED',
  MYSQL_SSL_CA: '',
  CAPTURE_TABLES: '',
  CAPTURE_EXCLUDE: '',
  TOPIC_PREFIX: 'cdc',
  KEYLESS_TABLES: 'refuse',
  WATERMARK_COLUMNS: '',
  KAFKA_BROKERS: '127.0.0.1:9092',
  KAFKA_TOPIC: 'product_updates',
  KAFKA_PARTITIONS: '10',
  KAFKA_SECURITY_PROTOCOL: 'plaintext',
  KAFKA_SASL_MECHANISM: 'PLAIN',
  KAFKA_SASL_USERNAME: '',
  KAFKA_SASL_PASSWORD: '',
  KAFKA_SSL_CA_LOCATION: '',
  KAFKA_SSL_CERTIFICATE_LOCATION: '',
  KAFKA_SSL_KEY_LOCATION: '',
  KAFKA_SSL_KEY_PASSWORD: '',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  SCHEMA_REGISTRY_USERNAME: '',
  SCHEMA_REGISTRY_PASSWORD: '',
  SOURCE_ID: 'product-source',
  SOURCE_SERVER_ID: '5401',
  CHECKPOINT_TOPIC: 'cdc_source_checkpoints',
  EMIT_TOMBSTONES: 'true',
  SOURCE_BATCH_MAX: '3000',
  SOURCE_COMMIT_LINGER_MS: '50',
  SOURCE_QUEUE_MAX: '10000',
  SOURCE_QUEUE_MIB: '8',
  COLD_START: 'snapshot',
  SNAPSHOT_CHUNK: '5000',
  BINLOG_PURGED_MARGIN_SECONDS: '300',
  BINLOG_HEARTBEAT_SECONDS: '10',
  KAFKA_GROUP: 'product-pool',
  POOL_SIZE: '5',
  OUTPUT_DIR: './output',
  POOL_INSTANCE: '',
  DISCOUNT_CATEGORY: 'ELECTRONICS',
  DISCOUNT_PERCENT: '10',
  POOL_BATCH: '1000',
  POOL_PREFETCH_KIB: '512',
  POOL_FETCH_WAIT_MS: '25',
  POOL_COMMIT_EVERY_MS: '250',
  POOL_WORKERS: '0',
  POOL_STATIC_MEMBERSHIP: 'false',
  POOL_SESSION_TIMEOUT_MS: '6000',
  OUTPUT_SEGMENT_MIB: '256',
  OUTPUT_SEGMENT_MINUTES: '60',
  OUTPUT_GZIP: 'false',
  OUTPUT_RETENTION_HOURS: '0',
  OUTPUT_RETENTION_GIB: '0',
  OUTPUT_FILE_MODE: '0640',
  OUTPUT_FORMAT: 'jsonl',
  OUTPUT_PARQUET_COMPRESSION: 'zstd',
  OUTPUT_MARK_SECONDS: '5',
  OUTPUT_CLOSE_EVERY: '0',
  METRICS_HOST: '127.0.0.1',
  SOURCE_METRICS_PORT: '9471',
  POOL_METRICS_PORT: '9472',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'auto',
} as const;

type Key = keyof typeof DEFAULTS;
export const SETTING_NAMES = Object.keys(DEFAULTS) as readonly Key[];
const RDKAFKA_PREFIX = 'RDKAFKA_';

/** Settings whose values never leave the process: redacted in --print-config, scrubbed from every log line. */
export function isSecretSetting(name: string): boolean {
  return /PASSWORD|SECRET|TOKEN|CREDENTIAL|_PEM$|_KEY_PEM|OAUTHBEARER_CONFIG|JAAS/i.test(name);
}

export interface ResolvedSettings {
  values: Settings;
  origin: Record<string, 'env' | 'file' | 'default'>;
  file?: string;
}

/** The environment over the config file over the defaults, remembering where each value came from. */
export function resolveSettings(env: Env = process.env, file: string | undefined = env.CDC_CONFIG || undefined): ResolvedSettings {
  const passThrough = (key: string) => key.startsWith(RDKAFKA_PREFIX) && key.length > RDKAFKA_PREFIX.length;
  const fromFile = file ? readConfigFile(file, { names: SETTING_NAMES, passThrough }) : {};
  const values: Settings = {};
  const origin: ResolvedSettings['origin'] = {};
  for (const key of SETTING_NAMES) {
    values[key] = DEFAULTS[key];
    origin[key] = 'default';
  }
  for (const [key, value] of Object.entries(fromFile)) {
    if (value === REDACTED && isSecretSetting(key)) {
      throw new ConfigError(`${key}=${REDACTED} in ${file} is the placeholder --print-config writes for a secret; write the real value there`);
    }
    values[key] = value;
    origin[key] = 'file';
  }
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || !((SETTING_NAMES as readonly string[]).includes(key) || passThrough(key))) continue;
    values[key] = value;
    origin[key] = 'env';
  }
  return { values, origin, ...(file ? { file } : {}) };
}

function raw(env: Env, key: Key): string {
  return env[key] ?? DEFAULTS[key];
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
  if (value === '') throw new ConfigError(`${key} is set but empty; give a value or unset it to use the default ${DEFAULTS[key]}`);
  return value;
}

function oneOf<T extends string>(env: Env, key: Key, allowed: readonly T[], fold: (v: string) => string = (v) => v): T {
  const value = fold(raw(env, key).trim());
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${key}=${JSON.stringify(raw(env, key))}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A port, `off` (no endpoint) or 0 (any free port). */
function port(env: Env, key: Key): number | null {
  const value = raw(env, key).trim().toLowerCase();
  if (value === 'off' || value === 'false' || value === 'none') return null;
  return int(env, key, 0, 65535);
}

/** A file the process must be able to read now, not at the first TLS handshake. */
function readableFile(env: Env, key: Key): string | undefined {
  const value = raw(env, key).trim();
  if (value === '') return undefined;
  try {
    accessSync(value, constants.R_OK);
    if (!statSync(value).isFile()) throw Object.assign(new Error(), { code: 'not a file' });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${key}=${JSON.stringify(value)} cannot be read (${why}); give the path of a PEM file this user can read`);
  }
  return value;
}

/** A file mode in octal, owner able to read and write (the pool appends to its own files). */
function fileMode(env: Env, key: Key): number {
  const value = raw(env, key).trim();
  if (!/^0?[0-7]{3}$/.test(value) || (parseInt(value, 8) & 0o600) !== 0o600) {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not an octal file mode the owner can read and write (e.g. 0640 or 0600)`);
  }
  return parseInt(value, 8);
}

/** `0` (off), or a whole number with s, m or h: `30s`, `15m`, `1h`. At least a second, at most a day. */
function duration(env: Env, key: Key): number {
  const value = raw(env, key).trim();
  if (value === '0' || value === '') return 0;
  const m = /^(\d+)(s|m|h)$/.exec(value);
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 1000 && ms <= 86_400_000)) {
    throw new ConfigError(`${key}=${JSON.stringify(value)} is not a duration from 1s to 24h (a whole number and s, m or h, e.g. 15m; 0 for off)`);
  }
  return ms;
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

function tablePatterns(env: Env, key: Key): string[] {
  const list = raw(env, key).split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const p of list) {
    const problem = patternProblem(p);
    if (problem) throw new ConfigError(`${key}: ${problem}; expected db.table names or patterns, comma-separated (e.g. shop.product,shop.order_*)`);
  }
  return list;
}

function watermarks(env: Env, key: Key): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of raw(env, key).split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([^.:\s]+)\.([^.:\s]+):([^.:\s]+)$/.exec(entry);
    if (!m) throw new ConfigError(`${key}: ${JSON.stringify(entry)} is not db.table:column (e.g. shop.orders:updated_at)`);
    out[`${m[1]}.${m[2]}`] = m[3]!;
  }
  return out;
}

function capture(env: Env): CaptureConfig {
  const seed = { db: identifier(env, 'MYSQL_DATABASE'), table: identifier(env, 'MYSQL_TABLE') };
  const include = tablePatterns(env, 'CAPTURE_TABLES');
  const prefix = raw(env, 'TOPIC_PREFIX').trim();
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(prefix)) throw new ConfigError(`TOPIC_PREFIX=${JSON.stringify(prefix)}: expected letters, digits, _ or - (it starts every table's topic name)`);
  return {
    include: include.length > 0 ? include : [`${seed.db}.${seed.table}`],
    exclude: tablePatterns(env, 'CAPTURE_EXCLUDE'),
    seed,
    topicPrefix: prefix,
    keyless: oneOf(env, 'KEYLESS_TABLES', ['refuse', 'partition-zero'], (v) => v.toLowerCase()),
    watermarks: watermarks(env, 'WATERMARK_COLUMNS'),
  };
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
  if (url.username || url.password) {
    // Not echoed: the URL holds a password. Credentials in a URL end up in logs and --print-config.
    throw new ConfigError(`${key} carries credentials (user:password@); put them in SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD`);
  }
  return value.replace(/\/+$/, '');
}

function mysqlTls(env: Env): { tls?: MysqlTls } {
  const mode = oneOf(env, 'MYSQL_SSL_MODE', ['disabled', 'required', 'verify_ca', 'verify_identity'], (v) => v.toLowerCase().replace(/-/g, '_'));
  const ca = readableFile(env, 'MYSQL_SSL_CA');
  if (ca && (mode === 'disabled' || mode === 'required')) {
    throw new ConfigError(`MYSQL_SSL_CA is set but MYSQL_SSL_MODE=${mode.toUpperCase()} does not check certificates; set MYSQL_SSL_MODE=VERIFY_CA or VERIFY_IDENTITY`);
  }
  return mode === 'disabled' ? {} : { tls: { mode, ...(ca ? { ca } : {}) } };
}

function kafkaSecurity(env: Env): KafkaSecurity {
  const protocol = oneOf<SecurityProtocol>(env, 'KAFKA_SECURITY_PROTOCOL', ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'], (v) => v.toLowerCase());
  const usesSasl = protocol.startsWith('sasl_');
  const usesTls = protocol === 'ssl' || protocol === 'sasl_ssl';
  const username = raw(env, 'KAFKA_SASL_USERNAME').trim();
  const password = raw(env, 'KAFKA_SASL_PASSWORD');
  if (usesSasl && (username === '' || password === '')) {
    throw new ConfigError(`${username === '' ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD'} is required with KAFKA_SECURITY_PROTOCOL=${protocol.toUpperCase()}`);
  }
  if (!usesSasl && (username !== '' || password !== '')) {
    throw new ConfigError(`${username !== '' ? 'KAFKA_SASL_USERNAME' : 'KAFKA_SASL_PASSWORD'} is set but KAFKA_SECURITY_PROTOCOL=${protocol.toUpperCase()} does not use it; set KAFKA_SECURITY_PROTOCOL=SASL_SSL (or SASL_PLAINTEXT)`);
  }
  const mechanism = oneOf<SaslMechanism>(env, 'KAFKA_SASL_MECHANISM', ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'], (v) => v.toUpperCase());
  const ssl = {
    caLocation: readableFile(env, 'KAFKA_SSL_CA_LOCATION'),
    certificateLocation: readableFile(env, 'KAFKA_SSL_CERTIFICATE_LOCATION'),
    keyLocation: readableFile(env, 'KAFKA_SSL_KEY_LOCATION'),
    keyPassword: raw(env, 'KAFKA_SSL_KEY_PASSWORD') || undefined,
  };
  const tlsKey = (Object.keys(ssl) as Array<keyof typeof ssl>).find((k) => ssl[k] !== undefined);
  if (tlsKey && !usesTls) {
    throw new ConfigError(`Kafka TLS files are set but KAFKA_SECURITY_PROTOCOL=${protocol.toUpperCase()} does not use TLS; set it to SSL or SASL_SSL`);
  }
  if (Boolean(ssl.certificateLocation) !== Boolean(ssl.keyLocation)) {
    throw new ConfigError(`${ssl.certificateLocation ? 'KAFKA_SSL_KEY_LOCATION' : 'KAFKA_SSL_CERTIFICATE_LOCATION'} is missing: a client certificate needs both the certificate and its key`);
  }
  return {
    protocol,
    ...(usesSasl ? { sasl: { mechanism, username, password } } : {}),
    ...(tlsKey ? { ssl } : {}),
  };
}

function rdkafkaPassThrough(env: Env): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(RDKAFKA_PREFIX) || value === undefined) continue;
    const name = key.slice(RDKAFKA_PREFIX.length).toLowerCase().replace(/_/g, '.');
    if (MANAGED_RDKAFKA.has(name)) {
      const instead = MANAGED_RDKAFKA.get(name);
      throw new ConfigError(`${key}: librdkafka's ${name} is set by the pipeline${instead ? `; use ${instead}` : ' (exactly-once depends on it)'}`);
    }
    if (!/^[a-z0-9.]+$/.test(name)) throw new ConfigError(`${key}: expected RDKAFKA_ followed by a librdkafka setting name in capitals, e.g. RDKAFKA_SOCKET_KEEPALIVE_ENABLE`);
    options[name] = value;
  }
  return options;
}

function registryAuth(env: Env): Config['registry']['auth'] {
  const username = raw(env, 'SCHEMA_REGISTRY_USERNAME').trim();
  const password = raw(env, 'SCHEMA_REGISTRY_PASSWORD');
  if (username === '' && password === '') return undefined;
  if (username === '' || password === '') {
    throw new ConfigError(`${username === '' ? 'SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_PASSWORD'} is missing: registry basic auth needs both`);
  }
  return { username, password };
}

/**
 * The checked configuration. `env` is usually process.env; a config file comes from `options.file` or
 * env.CDC_CONFIG, and the environment overrides it.
 */
export function loadConfig(environment: Env = process.env, options: { file?: string } = {}): Config {
  return parseSettings(resolveSettings(environment, options.file ?? (environment.CDC_CONFIG || undefined)).values);
}

export function parseSettings(env: Settings): Config {
  const auth = registryAuth(env);
  return {
    mysql: {
      host: text(env, 'MYSQL_HOST'),
      port: int(env, 'MYSQL_PORT', 1, 65535),
      user: text(env, 'MYSQL_USER'),
      password: raw(env, 'MYSQL_PASSWORD'),
      database: identifier(env, 'MYSQL_DATABASE'),
      table: identifier(env, 'MYSQL_TABLE'),
      ...mysqlTls(env),
    },
    capture: capture(env),
    mysqlAdmin: { user: text(env, 'MYSQL_ADMIN_USER'), password: raw(env, 'MYSQL_ADMIN_PASSWORD') },
    kafka: {
      brokers: brokers(env, 'KAFKA_BROKERS'),
      security: kafkaSecurity(env),
      passThrough: rdkafkaPassThrough(env),
      topic: topicName(env, 'KAFKA_TOPIC'),
      partitions: int(env, 'KAFKA_PARTITIONS', 1, 10000),
    },
    registry: { url: httpUrl(env, 'SCHEMA_REGISTRY_URL'), ...(auth ? { auth } : {}) },
    source: {
      id: topicName(env, 'SOURCE_ID'),
      serverId: int(env, 'SOURCE_SERVER_ID', 1, 4294967295),
      checkpointTopic: topicName(env, 'CHECKPOINT_TOPIC'),
      tombstones: bool(env, 'EMIT_TOMBSTONES'),
      batchMax: int(env, 'SOURCE_BATCH_MAX', 1, 1_000_000),
      commitLingerMs: int(env, 'SOURCE_COMMIT_LINGER_MS', 0, 1000),
      queueMax: int(env, 'SOURCE_QUEUE_MAX', 100, 10_000_000),
      queueBytes: int(env, 'SOURCE_QUEUE_MIB', 1, 65_536) * 1_048_576,
      coldStart: coldStart(env, 'COLD_START'),
      snapshotChunk: int(env, 'SNAPSHOT_CHUNK', 1, 1_000_000),
      purgedMarginSeconds: int(env, 'BINLOG_PURGED_MARGIN_SECONDS', 0, 30 * 86400),
      heartbeatSeconds: int(env, 'BINLOG_HEARTBEAT_SECONDS', 1, 3600),
    },
    pool: {
      group: text(env, 'KAFKA_GROUP'),
      size: int(env, 'POOL_SIZE', 1, 64),
      outputDir: text(env, 'OUTPUT_DIR'),
      instance: optional(env, 'POOL_INSTANCE', /^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (it becomes part of file names)'),
      discount: { category: raw(env, 'DISCOUNT_CATEGORY').trim().toUpperCase(), percent: percent(env, 'DISCOUNT_PERCENT') },
      batch: int(env, 'POOL_BATCH', 1, 100_000),
      prefetchKiB: int(env, 'POOL_PREFETCH_KIB', 256, 2_097_151),
      fetchWaitMs: int(env, 'POOL_FETCH_WAIT_MS', 1, 1000),
      commitEveryMs: int(env, 'POOL_COMMIT_EVERY_MS', 0, 60_000),
      workers: int(env, 'POOL_WORKERS', 0, 16),
      segments: {
        maxBytes: int(env, 'OUTPUT_SEGMENT_MIB', 1, 1_048_576) * 1_048_576,
        maxAgeMs: int(env, 'OUTPUT_SEGMENT_MINUTES', 1, 525_600) * 60_000,
        gzip: bool(env, 'OUTPUT_GZIP'),
        format: oneOf(env, 'OUTPUT_FORMAT', ['jsonl', 'parquet', 'both'] as const, (v) => v.toLowerCase()),
        parquetCompression: oneOf(env, 'OUTPUT_PARQUET_COMPRESSION', ['zstd', 'snappy'] as const, (v) => v.toLowerCase()),
        retentionMs: int(env, 'OUTPUT_RETENTION_HOURS', 0, 876_000) * 3_600_000,
        retentionBytes: int(env, 'OUTPUT_RETENTION_GIB', 0, 1_048_576) * 1_073_741_824,
        fileMode: fileMode(env, 'OUTPUT_FILE_MODE'),
      },
      staticMember: bool(env, 'POOL_STATIC_MEMBERSHIP') ? (raw(env, 'POOL_INSTANCE').trim() || hostname()) : undefined,
      sessionTimeoutMs: int(env, 'POOL_SESSION_TIMEOUT_MS', 1000, 1_800_000),
      markEveryMs: int(env, 'OUTPUT_MARK_SECONDS', 0, 3600) * 1000,
      closeEveryMs: duration(env, 'OUTPUT_CLOSE_EVERY'),
    },
    ops: {
      metricsHost: text(env, 'METRICS_HOST'),
      sourceMetricsPort: port(env, 'SOURCE_METRICS_PORT'),
      poolMetricsPort: port(env, 'POOL_METRICS_PORT'),
      logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'info', 'debug'], (v) => v.toLowerCase()),
      logFormat: oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'], (v) => v.toLowerCase()),
    },
  };
}

/** Every secret value in the configuration, for scrubbing log lines. */
export function secretValues(values: Settings): string[] {
  return Object.entries(values).filter(([k, v]) => isSecretSetting(k) && v.length > 0).map(([, v]) => v);
}
