/**
 * The stack's own promises: a second `stack:up` changes nothing, and `stack:down && stack:up` brings back the
 * same data. Runs last (files run one at a time) because it restarts every service.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { adminConnection, config, freshId, uniqueName } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const stackDir = process.env.STACK_DIR ?? `${root}.stack`;
const pidFiles = [`${stackDir}/mariadb/mysqld.pid`, `${stackDir}/kafka/kafka.pid`, `${stackDir}/registry/registry.pid`];

function run(script: string) {
  return spawnSync('bash', [`${root}scripts/stack/${script}`], { encoding: 'utf8' });
}
const pids = () => pidFiles.map((f) => readFileSync(f, 'utf8').trim());

test('stack:up on a healthy stack is a no-op', () => {
  const before = pids();
  const res = run('up.sh');
  assert.equal(res.status, 0, res.stderr);
  for (const service of ['mariadb', 'kafka', 'registry']) {
    assert.match(res.stderr, new RegExp(`${service}: already up`), `${service} was touched:\n${res.stderr}`);
  }
  assert.doesNotMatch(res.stderr, /starting|installing|resolving|fetching|formatting/);
  assert.deepEqual(pids(), before, 'no process was restarted');
});

test('stack:env prints the settings the application reads', () => {
  const res = run('env.sh');
  assert.equal(res.status, 0);
  const env = Object.fromEntries(res.stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  for (const key of ['MYSQL_HOST', 'MYSQL_PORT', 'MYSQL_USER', 'MYSQL_PASSWORD', 'MYSQL_DATABASE', 'KAFKA_BROKERS',
    'SCHEMA_REGISTRY_URL']) {
    assert.ok(env[key], `${key} missing`);
  }
  assert.equal(env.MYSQL_PORT, String(config.mysql.port), 'the stack and the application agree by default');
  assert.equal(env.KAFKA_BROKERS, config.kafka.brokers);
  assert.equal(env.SCHEMA_REGISTRY_URL, config.registry.url);
});

test('stack:down then stack:up, twice, keeps rows and schema ids', async () => {
  const id = freshId();
  const admin = await adminConnection();
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'Survivor', 'Home', 1.5)", [id]);
  await admin.end();
  const registry = new SchemaRegistry({ host: config.registry.url });
  const subject = uniqueName('stack-restart-value');
  const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: subject.replace(/\W/g, '_'), type: 'int' }] });
  const { id: schemaId } = await registry.register({ type: SchemaType.AVRO, schema }, { subject, compatibility: COMPATIBILITY.BACKWARD });

  for (let cycle = 1; cycle <= 2; cycle++) {
    const down = run('down.sh');
    assert.equal(down.status, 0, down.stderr);
    const status = run('status.sh');
    assert.equal(status.status, 1, 'status reports a stopped stack as not up');
    assert.equal((status.stdout.match(/ down /g) ?? []).length, 3, status.stdout);
    const up = run('up.sh');
    assert.equal(up.status, 0, up.stderr);
    const after = run('status.sh');
    assert.equal(after.status, 0, after.stdout);
    assert.equal((after.stdout.match(/ up /g) ?? []).length, 3, after.stdout);
  }

  const again = await adminConnection();
  const [rows] = await again.query<Array<{ name: string } & import('mysql2').RowDataPacket>>('SELECT name FROM product WHERE id = ?', [id]);
  await again.query('DELETE FROM product WHERE id = ?', [id]);
  await again.end();
  assert.equal(rows[0]?.name, 'Survivor');
  const res = await fetch(`${config.registry.url}/schemas/ids/${schemaId}`);
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(((await res.json()) as { schema: string }).schema), JSON.parse(schema));
});

// H2 writes a commit to disk up to a second later unless told otherwise: a registry killed in that second lost the
// schema id, and every message encoded with it became undecodable (seen in CI, then reproduced by this test).
test('a schema id registered just before the registry is killed -9 is still served after stack:up', async () => {
  const registry = new SchemaRegistry({ host: config.registry.url });
  const subject = uniqueName('stack-kill-value');
  const schema = JSON.stringify({ type: 'record', name: 'K', fields: [{ name: subject.replace(/\W/g, '_'), type: 'long' }] });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject, compatibility: COMPATIBILITY.BACKWARD });
  process.kill(Number(pids()[2]), 'SIGKILL');
  const up = run('up.sh');
  assert.equal(up.status, 0, up.stderr);
  // A kept-alive socket to the killed process may still be pooled: the first request on it fails, not the registry.
  const res = await fetch(`${config.registry.url}/schemas/ids/${id}`).catch(() => fetch(`${config.registry.url}/schemas/ids/${id}`));
  assert.equal(res.status, 200, `schema id ${id} was lost by the kill`);
});
