/**
 * The source daemon under faults: a second daemon with the same identity, schema changes, a lost MySQL
 * connection, a silent (half-open) binlog connection, an unreachable registry at start. Each ends with nothing lost and nothing doubled.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RowDataPacket } from 'mysql2';
import { config, forward, freePort, freezableForward, freshId } from './helpers.js';
import { changesOnly, readTopic, startSource, stopSource, streamingSource, waitCaughtUp, waitFor, type Landed } from './source-helpers.js';

async function insertRows(admin: import('mysql2/promise').Connection, n: number, tag: string): Promise<number[]> {
  const ids = Array.from({ length: n }, () => freshId());
  await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.map((id) => [id, tag, 'Toys', 1.25])]);
  return ids;
}

function assertOncePerId(landed: Landed[], ids: number[]): void {
  const counts = new Map<string, number>();
  for (const l of changesOnly(landed)) counts.set(l.key, (counts.get(l.key) ?? 0) + 1);
  const wrong = ids.filter((id) => counts.get(String(id)) !== 1).map((id) => `${id}×${counts.get(String(id)) ?? 0}`);
  assert.deepEqual(wrong, [], 'every inserted id exactly once');
}

test('a second daemon with the same identity fences the first, which exits 3; nothing is doubled', async (t) => {
  const { env, admin, source: first } = await streamingSource(t);
  const before = await insertRows(admin, 200, 'fence-before');
  await waitCaughtUp(env, admin);

  const second = startSource(env);
  t.after(() => stopSource(second, 'SIGKILL'));
  await waitFor('the second daemon to resume', async () => second.output().includes('resuming from checkpoint'), 60_000);
  const after = await insertRows(admin, 200, 'fence-after');
  assert.equal(await first.exited, 3, 'the older daemon exits with code 3');
  assert.match(first.output(), /taken over by|fenced/);
  await waitCaughtUp(env, admin);
  assert.equal(second.proc.exitCode, null, 'the newer daemon keeps running');
  assertOncePerId(await readTopic(env.KAFKA_TOPIC), [...before, ...after]);
  assert.equal(await stopSource(second), 0);
});

test('a lost binlog connection restarts from the checkpoint without loss or duplicates', async (t) => {
  const { env, admin, source } = await streamingSource(t);
  const ids = await insertRows(admin, 300, 'reconnect-1');
  await waitCaughtUp(env, admin);
  const [threads] = await admin.query<RowDataPacket[]>(
    "SELECT id FROM information_schema.processlist WHERE user = ? AND command LIKE 'Binlog Dump%'", [config.mysql.user]);
  assert.ok(threads.length >= 1, 'the daemon has a binlog dump connection');
  for (const th of threads) await admin.query(`KILL ${Number(th.id)}`);
  ids.push(...(await insertRows(admin, 300, 'reconnect-2')));
  await waitFor('the daemon to restart from its checkpoint', async () => source.output().includes('restarting from the last checkpoint'), 30_000);
  ids.push(...(await insertRows(admin, 300, 'reconnect-3')));
  await waitCaughtUp(env, admin);
  assertOncePerId(await readTopic(env.KAFKA_TOPIC), ids);
  assert.equal(await stopSource(source), 0);
});

test('a binlog connection gone silent (half-open network) is noticed by its missing heartbeats and reopened; nothing lost or doubled', async (t) => {
  const port = await freePort();
  const network = await freezableForward(port, config.mysql.host, config.mysql.port);
  t.after(() => network.close());
  const { env, admin, source } = await streamingSource(t, { MYSQL_PORT: String(port), BINLOG_HEARTBEAT_SECONDS: '1' });
  const ids = await insertRows(admin, 100, 'heartbeat-1');
  await waitCaughtUp(env, admin);
  // Idle for four periods: the server's heartbeats alone keep a quiet connection trusted.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  assert.doesNotMatch(source.output(), /binlog connection silent/, 'heartbeats arrive while nothing changes');
  network.freeze();
  ids.push(...(await insertRows(admin, 100, 'heartbeat-2')));
  await waitFor('the silent connection to be noticed', async () => /binlog connection silent for [\d.]+ s/.test(source.output()), 30_000);
  ids.push(...(await insertRows(admin, 100, 'heartbeat-3')));
  await waitCaughtUp(env, admin);
  assertOncePerId(await readTopic(env.KAFKA_TOPIC), ids);
  assert.equal(await stopSource(source), 0);
});

test('an unreachable registry at start is retried with a clear message, then events flow', async (t) => {
  // A port with nothing behind it until the test opens a forwarder to the real registry.
  const port = await freePort();
  const real = new URL(config.registry.url);
  const { env, admin, source } = await streamingSource(t, { SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}${real.pathname}` });
  const ids = await insertRows(admin, 50, 'registry-down');
  await waitFor('a retry naming the registry', async () => /schema registry unreachable at .*retrying/.test(source.output()), 30_000);
  assert.equal(source.proc.exitCode, null, 'still running, not crash-looping');

  const forwarder = await forward(port, real.hostname, Number(real.port));
  t.after(() => forwarder.close());
  ids.push(...(await insertRows(admin, 50, 'registry-up')));
  await waitCaughtUp(env, admin, 120_000);
  assertOncePerId(await readTopic(env.KAFKA_TOPIC), ids);
  assert.equal(await stopSource(source), 0);
});

test('ADD COLUMN makes a new compatible schema version; DROP COLUMN price stops with exit 4, nothing lost', async (t) => {
  const { env, admin, source } = await streamingSource(t);
  t.after(async () => {
    const fix = await (await import('./helpers.js')).adminConnection();
    const [cols] = await fix.query<RowDataPacket[]>("SHOW COLUMNS FROM product");
    const names = cols.map((c) => c.Field as string);
    if (!names.includes('price')) await fix.query('ALTER TABLE product ADD COLUMN price FLOAT AFTER category');
    if (names.includes('stock')) await fix.query('ALTER TABLE product DROP COLUMN stock');
    await fix.end();
  });
  const ids = await insertRows(admin, 20, 'schema-v1');
  await admin.query('ALTER TABLE product ADD COLUMN stock INT NULL');
  const id2 = freshId();
  await admin.query("INSERT INTO product (id, name, category, price, stock) VALUES (?, 'Kite', 'Toys', 9.5, 12)", [id2]);
  ids.push(id2);
  await waitCaughtUp(env, admin);
  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC));
  const v1 = landed.find((l) => l.key === String(ids[0]))!;
  const v2 = landed.find((l) => l.key === String(id2))!;
  assert.notEqual(v1.schemaId, v2.schemaId, 'a new schema version after ADD COLUMN');
  assert.equal(v2.value!.stock, 12);
  assert.equal(v1.value!.stock, undefined, 'older records were written without the column');
  const versions = (await (await fetch(`${config.registry.url}/subjects/${env.KAFKA_TOPIC}-value/versions`)).json()) as number[];
  assert.equal(versions.length, 2);

  const last = freshId();
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'Last before the drop', 'Toys', 3)", [last]);
  await admin.query('ALTER TABLE product DROP COLUMN price');
  await admin.query("INSERT INTO product (id, name, category) VALUES (?, 'No price', 'Toys')", [freshId()]);
  assert.equal(await source.exited, 4, 'exit code 4 for an incompatible table change');
  assert.match(source.output(), /no longer has column price/);
  const kept = changesOnly(await readTopic(env.KAFKA_TOPIC));
  assert.equal(kept.filter((l) => l.key === String(last)).length, 1, 'the change before the drop was committed once');
  assertOncePerId(kept, ids);
});

test('a Kafka broker restart mid-stream: the daemon resumes, every change exactly once', { timeout: 300_000 }, async (t) => {
  const { spawnSync } = await import('node:child_process');
  const stack = (action: 'up' | 'down') => {
    const res = spawnSync('bash', [new URL(`../../scripts/stack/${action}.sh`, import.meta.url).pathname, 'kafka'], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
  };
  t.after(() => stack('up'));
  const { env, admin, source } = await streamingSource(t);
  const ids = await insertRows(admin, 500, 'kafka-before');
  stack('down');
  ids.push(...(await insertRows(admin, 500, 'kafka-down')));
  stack('up');
  ids.push(...(await insertRows(admin, 500, 'kafka-after')));
  await waitCaughtUp(env, admin, 180_000);
  assertOncePerId(await readTopic(env.KAFKA_TOPIC), ids);
  assert.equal(source.proc.exitCode, null, 'the daemon rode out the restart');
  assert.equal(await stopSource(source), 0);
});
