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

test('the names printed by stack:env are the ones read', () => {
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
  [{ MYSQL_HOST: '   ' }, /^MYSQL_HOST is empty/],
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
