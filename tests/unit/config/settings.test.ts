import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS, loadConfig, resolveSettings } from '../../../src/config.js';
import { kafkajsOptions, rdkafkaOptions } from '../../../src/config/kafka.js';
import { formatSettings } from '../../../src/config/print.js';
import { ConfigError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cdc-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const pem = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

function fails(env: Record<string, string>, message: RegExp) {
  assert.throws(() => loadConfig(env), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `ConfigError, got ${String(err)}`);
    assert.match(err.message, message);
    assert.equal(err.exitCode, 2);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

test('a config file sets values; the environment overrides it; origins are kept', () => {
  const path = file('a.env', [
    '# production settings',
    'KAFKA_BROKERS=k1:9092,k2:9092',
    'POOL_SIZE = 3',
    'DISCOUNT_CATEGORY="home & garden"',
    "MYSQL_PASSWORD='p#ss word'",
    'KAFKA_TOPIC=orders',
    'KAFKA_SASL_MECHANISM=PLAIN',
    'MYSQL_ADMIN_PASSWORD=a # b',
    'export KAFKA_GROUP=analytics',
    '',
  ].join('\n'));
  const config = loadConfig({ CDC_CONFIG: path, POOL_SIZE: '7' });
  assert.equal(config.kafka.brokers, 'k1:9092,k2:9092');
  assert.equal(config.pool.size, 7, 'environment wins over the file');
  assert.equal(config.pool.discount.category, 'HOME & GARDEN');
  assert.equal(config.mysql.password, 'p#ss word');
  assert.equal(config.kafka.topic, 'orders');
  assert.equal(config.mysqlAdmin.password, 'a # b', 'a # inside a value is kept, as systemd does');
  assert.equal(config.pool.group, 'analytics');
  const resolved = resolveSettings({ POOL_SIZE: '7' }, path);
  assert.equal(resolved.origin.KAFKA_BROKERS, 'file');
  assert.equal(resolved.origin.POOL_SIZE, 'env');
  assert.equal(resolved.origin.MYSQL_HOST, 'default');
});

test('a config file with a typo or a malformed line is refused naming the line; a wrong path naming the file', () => {
  fails({ CDC_CONFIG: file('typo.env', 'KAFKA_BROKERS=k:1\nKAFKA_BROKER=k:2\n') }, /typo\.env:2: unknown setting KAFKA_BROKER \(did you mean KAFKA_BROKERS\?\)/);
  fails({ CDC_CONFIG: file('bad.env', 'just words\nKAFKA_SASL_PASSWORD: hunter2-typo\n') }, /bad\.env:1: expected KEY=VALUE/);
  assert.throws(() => loadConfig({ CDC_CONFIG: file('bad2.env', 'KAFKA_SASL_PASSWORD: hunter2-typo\n') }), (err: Error) => /bad2\.env:1:/.test(err.message) && !err.message.includes('hunter2'));
  fails({ CDC_CONFIG: join(dir, 'missing.env') }, /config file .*missing\.env cannot be read \(ENOENT\)/);
  assert.doesNotThrow(() => loadConfig({ CDC_CONFIG: file('pass.env', 'RDKAFKA_SOCKET_KEEPALIVE_ENABLE=true\n') }));
});

test('the four bad settings operators hit most name their key', () => {
  fails({ KAFKA_BROKERS: '' }, /^KAFKA_BROKERS is set but empty/);
  fails({ POOL_SIZE: '5x' }, /^POOL_SIZE="5x" is not a whole number from 1 to 64$/);
  fails({ COLD_START: 'yesterday' }, /^COLD_START="yesterday": expected snapshot, latest or watermark:<ISO time>/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CA_LOCATION: join(dir, 'nope.pem') }, /^KAFKA_SSL_CA_LOCATION=".*nope\.pem" cannot be read \(ENOENT\)/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CA_LOCATION: dir }, /^KAFKA_SSL_CA_LOCATION=.* cannot be read \(not a file\)/);
});

test('Kafka security: SASL and TLS settings are checked together and reach both clients', () => {
  fails({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl' }, /^KAFKA_SASL_USERNAME is required with KAFKA_SECURITY_PROTOCOL=SASL_SSL$/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'u' }, /^KAFKA_SASL_PASSWORD is required/);
  fails({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /^KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use it/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'tls' }, /^KAFKA_SECURITY_PROTOCOL="tls": expected one of plaintext, ssl, sasl_plaintext, sasl_ssl$/);
  fails({ KAFKA_SSL_CA_LOCATION: pem }, /TLS files are set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SSL_CERTIFICATE_LOCATION: pem }, /^KAFKA_SSL_KEY_LOCATION is missing/);
  fails({ KAFKA_SECURITY_PROTOCOL: 'sasl_ssl', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'kerberos' }, /^KAFKA_SASL_MECHANISM="kerberos"/);

  const config = loadConfig({
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'cdc',
    KAFKA_SASL_PASSWORD: 'pw', KAFKA_SSL_CA_LOCATION: pem, RDKAFKA_SOCKET_KEEPALIVE_ENABLE: 'true',
  });
  assert.deepEqual(rdkafkaOptions(config.kafka), {
    'metadata.broker.list': DEFAULTS.KAFKA_BROKERS, 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': 'cdc', 'sasl.password': 'pw', 'ssl.ca.location': pem, 'socket.keepalive.enable': 'true',
  });
  const js = kafkajsOptions(config.kafka);
  assert.deepEqual(js.sasl, { mechanism: 'scram-sha-512', username: 'cdc', password: 'pw' });
  assert.match(String((js.ssl as { ca: string[] }).ca[0]), /BEGIN CERTIFICATE/);
  assert.equal(kafkajsOptions(loadConfig({}).kafka).ssl, undefined, 'plaintext: no TLS for KafkaJS either');
});

test('librdkafka pass-through refuses enable.auto.commit and the SASL password, and passes linger.ms', () => {
  fails({ RDKAFKA_ENABLE_AUTO_COMMIT: 'true' }, /^RDKAFKA_ENABLE_AUTO_COMMIT: librdkafka's enable\.auto\.commit is set by the pipeline/);
  fails({ RDKAFKA_SASL_PASSWORD: 'x' }, /use KAFKA_SASL_PASSWORD$/);
  assert.deepEqual(loadConfig({ RDKAFKA_LINGER_MS: '50' }).kafka.passThrough, { 'linger.ms': '50' });
});

test('metrics ports: off, any free port, or a number; registry auth needs both halves', () => {
  assert.equal(loadConfig({}).ops.sourceMetricsPort, 9471);
  assert.equal(loadConfig({}).ops.poolMetricsPort, 9472);
  assert.equal(loadConfig({ SOURCE_METRICS_PORT: 'off' }).ops.sourceMetricsPort, null);
  assert.equal(loadConfig({ POOL_METRICS_PORT: '0' }).ops.poolMetricsPort, 0);
  fails({ POOL_METRICS_PORT: '70000' }, /^POOL_METRICS_PORT="70000"/);
  fails({ SCHEMA_REGISTRY_USERNAME: 'u' }, /^SCHEMA_REGISTRY_PASSWORD is missing/);
  assert.throws(() => loadConfig({ SCHEMA_REGISTRY_URL: 'https://reg:pw-in-url-9@registry:8081' }), (err: Error) =>
    /^SCHEMA_REGISTRY_URL carries credentials/.test(err.message) && !err.message.includes('pw-in-url-9'));
  assert.deepEqual(loadConfig({ SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }).registry.auth, { username: 'u', password: 'p' });
});

test('the --print-config text lists every setting by origin, secrets redacted, and reads back as the same settings but the secrets', () => {
  const path = file('secret.env', 'KAFKA_SASL_PASSWORD=file-secret-123\nPOOL_SIZE=3\n');
  const resolved = resolveSettings({
    MYSQL_PASSWORD: 'env-secret-456', RDKAFKA_SSL_KEYSTORE_PASSWORD: 'ks-secret-789', RDKAFKA_SSL_KEY_PEM: 'inline-key-pem-000',
    DISCOUNT_CATEGORY: 'Home & Garden # not a comment',
  }, path);
  const text = formatSettings(resolved);
  for (const secret of ['file-secret-123', 'env-secret-456', 'ks-secret-789', 'inline-key-pem-000']) assert.ok(!text.includes(secret), `${secret} is redacted`);
  assert.match(text, /^#KAFKA_SASL_PASSWORD=\*\*\*$/m, 'a secret is commented out');
  assert.match(text, /^#MYSQL_PASSWORD=\*\*\*$/m);
  assert.match(text, /^# from the environment\n(?:.*\n)*?DISCOUNT_CATEGORY="Home & Garden # not a comment"$/m);
  assert.match(text, /^# defaults\n(?:.*\n)*?KAFKA_BROKERS=127\.0\.0\.1:9092$/m);
  assert.match(text, /^KAFKA_SSL_KEY_PASSWORD=""$/m, 'an empty secret shows as empty');
  for (const key of Object.keys(DEFAULTS)) assert.match(text, new RegExp(`^#?${key}=`, 'm'));
  // Saved and used as the config file (nothing in the environment), it gives the same settings but the secrets.
  const saved = file('saved.env', text);
  const again = resolveSettings({}, saved);
  for (const [key, value] of Object.entries(resolved.values)) {
    if (text.includes(`#${key}=***`)) assert.equal(again.values[key], DEFAULTS[key as keyof typeof DEFAULTS], `${key}: left to be written in`);
    else assert.equal(again.values[key], value, key);
  }
  const placeholder = file('placeholder.env', 'KAFKA_SASL_PASSWORD=***\n');
  assert.throws(() => resolveSettings({}, placeholder), /KAFKA_SASL_PASSWORD=\*\*\* in .* is the placeholder --print-config writes for a secret/);
});

test('MySQL TLS: MySQL\'s --ssl-mode names, a CA only where it is checked, and the options both MySQL accounts get', async () => {
  const { mysqlOptions } = await import('../../../src/mysql.js');
  fails({ MYSQL_SSL_MODE: 'preferred' }, /^MYSQL_SSL_MODE="preferred": expected one of disabled, required, verify_ca, verify_identity$/);
  fails({ MYSQL_SSL_CA: pem }, /^MYSQL_SSL_CA is set but MYSQL_SSL_MODE=DISABLED does not check certificates; set MYSQL_SSL_MODE=VERIFY_CA or VERIFY_IDENTITY$/);
  fails({ MYSQL_SSL_MODE: 'REQUIRED', MYSQL_SSL_CA: pem }, /^MYSQL_SSL_CA is set but MYSQL_SSL_MODE=REQUIRED does not check/);
  fails({ MYSQL_SSL_MODE: 'verify_ca', MYSQL_SSL_CA: join(dir, 'nope.pem') }, /^MYSQL_SSL_CA=".*nope\.pem" cannot be read \(ENOENT\)/);
  assert.equal(loadConfig({}).mysql.tls, undefined, 'plain by default');
  assert.equal(mysqlOptions(loadConfig({}), 'pipeline').ssl, undefined);
  const verify = loadConfig({ MYSQL_SSL_MODE: 'verify-identity', MYSQL_SSL_CA: pem });
  assert.deepEqual(verify.mysql.tls, { mode: 'verify_identity', ca: pem });
  assert.deepEqual(mysqlOptions(verify, 'admin').ssl, { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', rejectUnauthorized: true, verifyIdentity: true });
  assert.deepEqual(mysqlOptions(loadConfig({ MYSQL_SSL_MODE: 'REQUIRED' }), 'pipeline').ssl, { rejectUnauthorized: false, verifyIdentity: false });
});
