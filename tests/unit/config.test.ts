import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, loadConfig } from '../../src/config.js';
import { ConfigError, exitCodeFor } from '../../src/errors.js';

test('an empty environment gives the local stack', () => {
  const config = loadConfig({});
  assert.equal(config.mysql.host, '127.0.0.1');
  assert.equal(config.mysql.port, 3307);
  assert.equal(config.mysql.user, 'cdc');
  assert.equal(config.mysql.database, 'shop');
  assert.equal(config.mysql.table, 'product');
  assert.equal(config.kafka.brokers, '127.0.0.1:9092');
  assert.equal(config.kafka.topic, 'product_updates');
  assert.equal(config.kafka.partitions, 10);
  assert.equal(config.registry.url, DEFAULTS.SCHEMA_REGISTRY_URL);
});

test('MYSQL_*, KAFKA_BROKERS and SCHEMA_REGISTRY_URL are read from the environment, the URL without its trailing slash', () => {
  const config = loadConfig({
    MYSQL_HOST: 'db.internal',
    MYSQL_PORT: '3306',
    MYSQL_USER: 'reader',
    MYSQL_PASSWORD: 's3cret',
    MYSQL_DATABASE: 'catalogue',
    KAFKA_BROKERS: 'k1:9092,k2:9092',
    SCHEMA_REGISTRY_URL: 'https://registry.example:8081/',
  });
  assert.deepEqual(config.mysql, {
    host: 'db.internal', port: 3306, user: 'reader', password: 's3cret', database: 'catalogue', table: 'product',
  });
  assert.equal(config.kafka.brokers, 'k1:9092,k2:9092');
  assert.equal(config.registry.url, 'https://registry.example:8081', 'trailing slash is dropped');
});

const bad: Array<[Record<string, string>, RegExp]> = [
  [{ MYSQL_PORT: 'abc' }, /^MYSQL_PORT="abc" is not a whole number from 1 to 65535$/],
  [{ MYSQL_PORT: '70000' }, /^MYSQL_PORT=/],
  [{ KAFKA_BROKERS: 'localhost' }, /^KAFKA_BROKERS="localhost": expected host:port/],
  [{ KAFKA_PARTITIONS: '0' }, /^KAFKA_PARTITIONS=/],
  [{ SCHEMA_REGISTRY_URL: 'registry:8081' }, /^SCHEMA_REGISTRY_URL=.*must be an http/],
  [{ SCHEMA_REGISTRY_URL: 'not a url' }, /^SCHEMA_REGISTRY_URL=.*is not a URL/],
  [{ MYSQL_DATABASE: 'shop; DROP' }, /^MYSQL_DATABASE=.*not a plain MySQL identifier/],
  [{ MYSQL_HOST: '   ' }, /^MYSQL_HOST is set but empty/],
  [{ KAFKA_BROKERS: '' }, /^KAFKA_BROKERS is set but empty; give a value/],
  [{ SOURCE_METRICS_PORT: 'abc' }, /^SOURCE_METRICS_PORT="abc" is not a whole number/],
  [{ LOG_LEVEL: 'verbose' }, /^LOG_LEVEL="verbose": expected one of error, warn, info, debug$/],
];

for (const [env, message] of bad) {
  test(`bad setting ${JSON.stringify(env)} is a ConfigError naming the key`, () => {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, message);
      assert.equal(err.code, 'CONFIG');
      assert.equal(exitCodeFor(err), 2);
      return true;
    });
  });
}

test('cold-start policies parse, and a bad one names the forms', () => {
  assert.deepEqual(loadConfig({}).source.coldStart, { kind: 'snapshot' });
  assert.deepEqual(loadConfig({ COLD_START: 'latest' }).source.coldStart, { kind: 'latest' });
  assert.deepEqual(loadConfig({ COLD_START: 'watermark:2026-01-31T00:00:00Z' }).source.coldStart,
    { kind: 'watermark', since: new Date('2026-01-31T00:00:00Z') });
  assert.throws(() => loadConfig({ COLD_START: 'yesterday' }), /^ConfigError: COLD_START="yesterday": expected snapshot, latest or watermark:<ISO time>/);
  assert.throws(() => loadConfig({ COLD_START: 'watermark:soon' }), ConfigError);
});

test('pool settings: sizes, discount percentage, instance names', () => {
  const c = loadConfig({ POOL_SIZE: '3', DISCOUNT_CATEGORY: 'toys', DISCOUNT_PERCENT: '12.5', POOL_INSTANCE: 'host-a' });
  assert.equal(c.pool.size, 3);
  assert.deepEqual(c.pool.discount, { category: 'TOYS', percent: 12.5 });
  assert.equal(c.pool.instance, 'host-a');
  assert.throws(() => loadConfig({ POOL_SIZE: 'five' }), /^ConfigError: POOL_SIZE="five" is not a whole number/);
  assert.throws(() => loadConfig({ DISCOUNT_PERCENT: '150' }), /DISCOUNT_PERCENT="150" is not a percentage/);
  assert.throws(() => loadConfig({ POOL_INSTANCE: 'a/b' }), /POOL_INSTANCE="a\/b": expected letters/);
});

test('binlog heartbeats: 10 s by default, 2 accepted, 0 and 1.5 refused', () => {
  assert.equal(loadConfig({}).source.heartbeatSeconds, 10);
  assert.equal(loadConfig({ BINLOG_HEARTBEAT_SECONDS: '2' }).source.heartbeatSeconds, 2);
  assert.throws(() => loadConfig({ BINLOG_HEARTBEAT_SECONDS: '0' }), /^ConfigError: BINLOG_HEARTBEAT_SECONDS="0" is not a whole number from 1 to 3600/);
  assert.throws(() => loadConfig({ BINLOG_HEARTBEAT_SECONDS: '1.5' }), ConfigError);
});

test('captured tables: the seed table by default (MYSQL_DATABASE.MYSQL_TABLE), names or patterns, checked forms', () => {
  const plain = loadConfig({}).capture;
  assert.deepEqual(plain.include, ['shop.product']);
  assert.deepEqual(plain.seed, { db: 'shop', table: 'product' });
  assert.deepEqual([plain.topicPrefix, plain.keyless, plain.exclude], ['cdc', 'refuse', []]);
  assert.deepEqual(loadConfig({ MYSQL_TABLE: 'items' }).capture.include, ['shop.items'], 'MYSQL_TABLE alone still chooses the table');
  const c = loadConfig({ CAPTURE_TABLES: ' shop.product, shop.order_* ', CAPTURE_EXCLUDE: 'shop.order_tmp', TOPIC_PREFIX: 'shop_cdc',
    KEYLESS_TABLES: 'Partition-Zero', WATERMARK_COLUMNS: 'shop.orders:updated_at' }).capture;
  assert.deepEqual([c.include, c.exclude, c.topicPrefix, c.keyless, c.watermarks],
    [['shop.product', 'shop.order_*'], ['shop.order_tmp'], 'shop_cdc', 'partition-zero', { 'shop.orders': 'updated_at' }]);
  assert.throws(() => loadConfig({ CAPTURE_TABLES: 'product' }), /^ConfigError: CAPTURE_TABLES: "product" is not db\.table/);
  assert.throws(() => loadConfig({ CAPTURE_EXCLUDE: 'shop.`x`' }), /^ConfigError: CAPTURE_EXCLUDE: .*quotes/);
  assert.throws(() => loadConfig({ TOPIC_PREFIX: 'a.b' }), /^ConfigError: TOPIC_PREFIX="a\.b"/);
  assert.throws(() => loadConfig({ KEYLESS_TABLES: 'ignore' }), /^ConfigError: KEYLESS_TABLES="ignore": expected one of refuse, partition-zero/);
  assert.throws(() => loadConfig({ WATERMARK_COLUMNS: 'orders:updated_at' }), /^ConfigError: WATERMARK_COLUMNS: "orders:updated_at" is not db\.table:column/);
});

test('the completeness mark every 5 s by default; OUTPUT_CLOSE_EVERY takes s, m or h from 1 s to 24 h, or 0', () => {
  assert.equal(loadConfig({}).pool.markEveryMs, 5000);
  assert.equal(loadConfig({}).pool.closeEveryMs, 0);
  assert.equal(loadConfig({ OUTPUT_CLOSE_EVERY: '15m' }).pool.closeEveryMs, 900_000);
  assert.equal(loadConfig({ OUTPUT_CLOSE_EVERY: '1h' }).pool.closeEveryMs, 3_600_000);
  for (const bad of ['15', '0s', '25h', '1.5h', 'hourly']) {
    assert.throws(() => loadConfig({ OUTPUT_CLOSE_EVERY: bad }), /OUTPUT_CLOSE_EVERY=.* is not a duration from 1s to 24h/, bad);
  }
});

test('OUTPUT_FORMAT is jsonl by default, parquet or both (any case); OUTPUT_PARQUET_COMPRESSION zstd or snappy', () => {
  assert.equal(loadConfig({}).pool.segments.format, 'jsonl');
  assert.equal(loadConfig({ OUTPUT_FORMAT: 'Parquet' }).pool.segments.format, 'parquet');
  assert.equal(loadConfig({ OUTPUT_PARQUET_COMPRESSION: 'snappy' }).pool.segments.parquetCompression, 'snappy');
  assert.throws(() => loadConfig({ OUTPUT_FORMAT: 'csv' }), /^ConfigError: OUTPUT_FORMAT="csv": expected one of jsonl, parquet, both/);
  assert.throws(() => loadConfig({ OUTPUT_PARQUET_COMPRESSION: 'lz4' }), /expected one of zstd, snappy/);
});
