import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULTS } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(await readFile(`${root}compose.yaml`, 'utf8'), { merge: true }) as {
  services: Record<string, {
    image?: string; build?: string; environment?: Record<string, string>; volumes?: string[]; ports?: string[];
    depends_on?: Record<string, { condition: string }>;
  }>;
};

test('docker compose accepts compose.yaml', (t) => {
  const probe = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('`docker compose` is not available on this machine (no compose plugin); structural checks below still run');
    return;
  }
  const res = spawnSync('docker', ['compose', '-f', `${root}compose.yaml`, 'config', '-q'], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
});

test('MySQL 8.4 runs with the project binlog settings and init scripts', () => {
  const mysql = compose.services.mysql!;
  assert.equal(mysql.image, 'mysql:8.4');
  assert.ok(mysql.volumes?.includes('./mysql-conf/cdc.cnf:/etc/mysql/conf.d/cdc.cnf:ro'));
  assert.ok(mysql.volumes?.includes('./mysql-conf/init:/docker-entrypoint-initdb.d:ro'));
  assert.equal(mysql.environment?.MYSQL_DATABASE, DEFAULTS.MYSQL_DATABASE);
});

test('Kafka is one KRaft node whose internal topics fit one broker', () => {
  const env = compose.services.kafka!.environment!;
  assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
  for (const key of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
    'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
    assert.equal(String(env[key]), '1', key);
  }
  assert.match(env.KAFKA_ADVERTISED_LISTENERS!, /EXTERNAL:\/\/127\.0\.0\.1:9092/);
});

test('published ports are loopback-only and match the application defaults', () => {
  const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
  for (const port of published) assert.match(port, /^127\.0\.0\.1:/, port);
  assert.ok(published.includes(`127.0.0.1:${DEFAULTS.MYSQL_PORT}:3306`));
  assert.ok(published.includes(`127.0.0.1:${DEFAULTS.KAFKA_BROKERS.split(':')[1]}:9092`));
  assert.ok(published.includes(`127.0.0.1:${new URL(DEFAULTS.SCHEMA_REGISTRY_URL).port}:8080`));
});

test('the pipeline services set only settings the application reads, pointing at the compose services', () => {
  for (const name of ['source', 'consumers']) {
    const service = compose.services[name]!;
    assert.equal(service.build, '.');
    const env = service.environment!;
    for (const key of Object.keys(env)) {
      assert.ok(key in DEFAULTS || key === 'OUTPUT_DIR', `${name}: ${key} is not a setting the application reads`);
    }
    assert.equal(env.MYSQL_HOST, 'mysql');
    assert.equal(env.KAFKA_BROKERS, 'kafka:19092');
    assert.equal(env.SCHEMA_REGISTRY_URL, 'http://schema-registry:8080/apis/ccompat/v7');
    for (const dep of Object.values(service.depends_on ?? {})) assert.equal(dep.condition, 'service_healthy');
  }
});
