/**
 * Operating the pipeline: /metrics after a small run, npm run status against independently read offsets with
 * the pool stopped, /readyz across a Kafka restart, and no secret in any log line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Kafka as KafkaJs, logLevel } from 'kafkajs';
import { partitionFor } from '../../src/model/partitioner.js';
import { adminConnection, config, freshId, uniqueName } from './helpers.js';
import { get, metricsPort, metricSum, readiness, runStatus, scrape, statusJson } from './ops-helpers.js';
import { countLines, startPool, stopPool } from './pool-helpers.js';
import { startCommand, stopCommand } from './process.js';
import { binlogEnd, isolatedSource, startSource, stopSource, waitCaughtUp, waitFor } from './source-helpers.js';

function poolEnv(topic: string, extra: Record<string, string> = {}) {
  return { KAFKA_TOPIC: topic, KAFKA_GROUP: uniqueName('ops-group'), OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'cdc-ops-')), POOL_SIZE: '3', ...extra };
}

async function insertRows(ids: number[]): Promise<void> {
  const admin = await adminConnection();
  try {
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [chunk.map((id) => [id, `ops ${id}`, 'toys', 9.5])]);
    }
  } finally {
    await admin.end();
  }
}

async function updateRows(ids: number[]): Promise<void> {
  const admin = await adminConnection();
  try {
    for (const id of ids) await admin.query('UPDATE product SET price = price + 1 WHERE id = ?', [id]);
  } finally {
    await admin.end();
  }
}

test('/metrics counts a small run; status matches the real lag with the pool stopped; a caught-up pool shows no lag', async (t) => {
  const env = isolatedSource({ SOURCE_METRICS_PORT: '0' });
  const pool = poolEnv(env.KAFKA_TOPIC, { POOL_METRICS_PORT: '0' });
  const statusEnv = { ...env, ...pool };
  const source = startSource(env);
  t.after(() => stopSource(source));
  const sourcePort = await metricsPort(source);
  await waitFor('the source ready', async () => (await readiness(sourcePort)).status === 200, 90_000);
  let consumers = startPool(pool);
  t.after(() => stopPool(consumers));
  const poolPort = await metricsPort(consumers);

  const ids = Array.from({ length: 200 }, () => freshId());
  await insertRows(ids);
  await updateRows(ids.slice(0, 100));
  const n = 300;
  await waitFor(`${n} lines`, async () => countLines(pool.OUTPUT_DIR) === n, 120_000);

  const src = await scrape(sourcePort);
  assert.equal(metricSum(src, 'cdc_source_changes_read_total'), n);
  assert.equal(metricSum(src, 'cdc_source_changes_produced_total', { op: 'c' }), 200);
  assert.equal(metricSum(src, 'cdc_source_changes_produced_total', { op: 'u' }), 100);
  assert.equal(metricSum(src, 'cdc_source_changes_committed_total'), n);
  assert.ok(metricSum(src, 'cdc_source_transactions_total', { outcome: 'committed' })! >= 1);
  assert.ok(metricSum(src, 'cdc_source_binlog_position_bytes')! > 0);
  assert.ok(metricSum(src, 'cdc_source_milliseconds_behind_source')! >= 0);
  assert.ok(metricSum(src, 'process_resident_memory_bytes')! > 10_000_000, 'RSS is reported');
  assert.equal(metricSum(src, 'cdc_source_ready'), 1);
  await waitFor('librdkafka statistics with the lag', async () => metricSum(await scrape(poolPort), 'cdc_pool_consumer_lag') !== undefined, 30_000);
  const pl = await scrape(poolPort);
  assert.equal(metricSum(pl, 'cdc_pool_lines_written_total'), n);
  assert.equal(metricSum(pl, 'cdc_pool_end_to_end_latency_seconds_count'), n, 'one latency observation per line');
  assert.ok(metricSum(pl, 'cdc_pool_end_to_end_latency_seconds_sum')! > 0);
  assert.equal(metricSum(pl, 'cdc_pool_dead_letters_total'), 0);
  assert.ok(metricSum(pl, 'cdc_pool_rebalances_total', { kind: 'assigned' })! >= 1);
  assert.equal(metricSum(pl, 'cdc_pool_assigned_partitions'), config.kafka.partitions, 'every partition held by someone');
  assert.ok(metricSum(pl, 'process_resident_memory_bytes')! > 10_000_000);
  assert.deepEqual(await readiness(poolPort), { status: 200, body: { ready: true } });
  assert.equal((await get(poolPort, '/healthz')).status, 200);

  // The pool stops; changes keep coming. The group's lag is now what status must show.
  assert.equal(await stopPool(consumers), 0);
  const later = ids.slice(100);
  await updateRows(later);
  const admin = await adminConnection();
  try {
    await waitCaughtUp(env, admin);
  } finally {
    await admin.end();
  }
  const report = await statusJson(statusEnv, ['--count']);
  const kafka = new KafkaJs({ brokers: config.kafka.brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await kafka.connect();
  try {
    const ends = await kafka.fetchTopicOffsets(env.KAFKA_TOPIC);
    const [committed] = await kafka.fetchOffsets({ groupId: pool.KAFKA_GROUP, topics: [env.KAFKA_TOPIC] });
    const expectedPending = new Map<number, number>();
    for (const id of later) {
      const p = partitionFor(Buffer.from(String(id)), config.kafka.partitions);
      expectedPending.set(p, (expectedPending.get(p) ?? 0) + 1);
    }
    assert.equal(report.group.partitions.length, config.kafka.partitions);
    for (const row of report.group.partitions) {
      const end = Number(ends.find((e) => e.partition === row.partition)!.high);
      const done = Number(committed!.partitions.find((c) => c.partition === row.partition)!.offset);
      assert.equal(row.end, end, `partition ${row.partition} end offset`);
      assert.equal(row.committed, done, `partition ${row.partition} committed offset`);
      assert.equal(row.lag, end - done, `partition ${row.partition} lag`);
      assert.equal(row.pending, expectedPending.get(row.partition) ?? 0, `partition ${row.partition}: records not yet consumed`);
    }
  } finally {
    await kafka.disconnect();
  }
  assert.equal(report.group.pending, later.length, 'every change made while the pool was stopped is pending, nothing else');
  assert.equal(report.output.lines, n);
  assert.equal(report.output.deadLetters, 0);
  assert.equal(report.source.bytesBehind, 0);
  assert.equal(report.source.secondsBehind, 0);
  assert.equal(report.source.checkpoint?.changes, n + later.length);
  const head = await (async () => { const a = await adminConnection(); try { return await binlogEnd(a); } finally { await a.end(); } })();
  assert.deepEqual(report.source.head, head);
  const table = await runStatus(statusEnv, []);
  assert.equal(table.code, 0, table.stderr);
  // The table counts records still to write, transaction markers excluded, without --count (the lag is small).
  assert.match(table.stdout, new RegExp(`^ +total +${later.length}$`, 'm'));
  assert.doesNotMatch(table.stdout, /<=/);
  assert.match(table.stdout, new RegExp(`lines ${n}, dead letters 0`));

  // Back up: the pool drains the lag; once idle it commits past the transaction markers, so lag reads 0.
  consumers = startPool(pool);
  const restartedPort = await metricsPort(consumers);
  await waitFor(`${n + later.length} lines`, async () => countLines(pool.OUTPUT_DIR) === n + later.length, 120_000);
  const drained = await waitFor('lag 0 on every partition', async () => {
    const r = await statusJson(statusEnv);
    return r.group.partitions.every((p) => p.lag === 0) ? r : undefined;
  }, 60_000);
  assert.equal(drained.group.lag, 0);
  assert.equal(drained.output.lines, n + later.length);
  assert.match(drained.latency.error ?? '', /POOL_METRICS_PORT is off or 0/);
  const latency = (await statusJson({ ...statusEnv, POOL_METRICS_PORT: String(restartedPort) })).latency;
  assert.equal(latency.lines, later.length, 'the restarted supervisor observed the lines it wrote');
  assert.ok(latency.p50Ms !== null && latency.p99Ms !== null && latency.p99Ms >= latency.p50Ms, JSON.stringify(latency));
});

test('/readyz turns not-ready while Kafka is stopped and ready again after it restarts', async (t) => {
  const env = isolatedSource({ SOURCE_METRICS_PORT: '0' });
  const pool = poolEnv(env.KAFKA_TOPIC, { POOL_METRICS_PORT: '0' });
  const source = startSource(env);
  t.after(() => stopSource(source));
  const consumers = startPool(pool);
  t.after(() => stopPool(consumers));
  const ports = { source: await metricsPort(source), pool: await metricsPort(consumers) };
  for (const [name, port] of Object.entries(ports)) {
    await waitFor(`${name} ready`, async () => (await readiness(port)).status === 200, 90_000);
  }
  const stack = (action: 'up' | 'down') => {
    const res = spawnSync('bash', [new URL(`../../scripts/stack/${action}.sh`, import.meta.url).pathname, 'kafka'], { encoding: 'utf8' });
    assert.equal(res.status, 0, `stack ${action} kafka: ${res.stderr}`);
  };
  t.after(() => stack('up'));
  stack('down');
  for (const [name, port] of Object.entries(ports)) {
    const r = await waitFor(`${name} not ready`, async () => {
      const s = await readiness(port);
      return s.status === 503 ? s : undefined;
    }, 90_000);
    assert.equal(r.body.ready, false);
    assert.ok(r.body.reasons!.some((why) => /kafka/i.test(why)), `${name} says why: ${r.body.reasons!.join('; ')}`);
    assert.equal((await get(port, '/healthz')).status, 200, `${name} is alive all the same`);
  }
  stack('up');
  for (const [name, port] of Object.entries(ports)) {
    let last: unknown;
    await waitFor(`${name} ready again`, async () => {
      last = await readiness(port);
      return (last as { status: number }).status === 200;
    }, 180_000).catch((err: Error) => {
      const log = (name === 'source' ? source : consumers).output().split('\n').slice(-15).join('\n');
      throw new Error(`${err.message}; last /readyz ${JSON.stringify(last)}; log tail:\n${log}`);
    });
  }
  // And it is not only a flag: a change made now flows through.
  await insertRows([freshId()]);
  await waitFor('the change after the restart lands', async () => countLines(pool.OUTPUT_DIR) === 1, 120_000);
});

test('no secret appears in any log line: SASL run, wrong SASL password, wrong MySQL password, status, --print-config', async (t) => {
  const saslPort = process.env.STACK_KAFKA_SASL_PORT ?? '9094';
  const saslPassword = 'cdc-sasl-local'; // scripts/stack/lib.sh
  const mysqlPassword = config.mysql.password;
  const wrongSasl = 'wrong-sasl-secret-31337';
  const wrongMysql = 'wrong-mysql-secret-4242';
  const sasl = {
    KAFKA_BROKERS: `127.0.0.1:${saslPort}`, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_USERNAME: 'cdc',
    KAFKA_SASL_PASSWORD: saslPassword, LOG_LEVEL: 'debug',
  };
  const env = { ...isolatedSource(), ...sasl };
  const pool = { ...poolEnv(env.KAFKA_TOPIC), ...sasl };
  const logs: string[] = [];

  const source = startSource(env);
  t.after(() => stopSource(source));
  const consumers = startPool(pool);
  t.after(() => stopPool(consumers));
  await waitFor('source streaming over SASL', async () => /resuming from checkpoint|starting at the binlog's end/.test(source.output()), 90_000);
  const ids = Array.from({ length: 20 }, () => freshId());
  await insertRows(ids);
  await waitFor('20 lines over SASL', async () => countLines(pool.OUTPUT_DIR) === 20, 120_000);
  const status = await runStatus({ ...env, ...pool }, []);
  assert.equal(status.code, 0, status.stderr);
  logs.push(status.stdout, status.stderr);
  const printed = await runStatus({ ...env, ...pool }, ['--print-config']);
  assert.match(printed.stdout, /^#KAFKA_SASL_PASSWORD=\*\*\*$/m, "the secret commented out, its value never printed");
  logs.push(printed.stdout, printed.stderr);
  assert.equal(await stopPool(consumers), 0);
  assert.equal(await stopSource(source), 0);
  logs.push(source.output(), consumers.output());

  // A wrong SASL password: the clients fail to authenticate and say so, without the password.
  const denied = startCommand('src/cli/source.ts', { ...env, KAFKA_SASL_PASSWORD: wrongSasl });
  await waitFor('the authentication failure logged', async () => /authentication/i.test(denied.output()), 90_000);
  await stopCommand(denied);
  logs.push(denied.output());
  // A wrong MySQL password: exit 2, the account named, the password not.
  const refused = startCommand('src/cli/source.ts', { ...env, MYSQL_PASSWORD: wrongMysql });
  assert.equal(await refused.exited, 2, refused.output());
  assert.match(refused.output(), /refused cdc/);
  logs.push(refused.output());

  // Secrets of one to three characters, live: scrubbed wherever they stand alone in a line.
  const shortSasl = 'Zq';
  const shortMysql = 'k9!';
  const deniedShort = startCommand('src/cli/source.ts', { ...env, KAFKA_SASL_PASSWORD: shortSasl });
  await waitFor('the short password\'s authentication failure logged', async () => /authentication/i.test(deniedShort.output()), 90_000);
  await stopCommand(deniedShort);
  logs.push(deniedShort.output());
  const printedShort = await runStatus({ ...env, ...pool, KAFKA_SASL_PASSWORD: shortSasl, MYSQL_PASSWORD: shortMysql }, ['--print-config']);
  assert.match(printedShort.stdout, /^#KAFKA_SASL_PASSWORD=\*\*\*$/m);
  assert.match(printedShort.stdout, /^#MYSQL_PASSWORD=\*\*\*$/m);
  logs.push(printedShort.stdout, printedShort.stderr);
  const refusedShort = startCommand('src/cli/source.ts', { ...env, MYSQL_PASSWORD: shortMysql });
  assert.equal(await refusedShort.exited, 2, refusedShort.output());
  logs.push(refusedShort.output());

  const all = logs.join('\n');
  assert.ok(all.split('\n').length > 40, 'the logs searched are the real ones');
  for (const secret of [shortSasl, shortMysql]) {
    const alone = new RegExp(`(?<![A-Za-z0-9])${secret}(?![A-Za-z0-9])`);
    assert.doesNotMatch(all, alone, `a ${secret.length}-character secret stands in the logs`);
  }
  for (const component of ['source', 'pool', 'consumer-1']) assert.match(all, new RegExp(`"component":"${component}"`));
  assert.match(all, /"code":"KAFKA_AUTH".*Kafka refused the credentials/, 'the refused password was reported');
  for (const secret of [saslPassword, mysqlPassword, wrongSasl, wrongMysql]) {
    assert.ok(!all.includes(secret), `secret ${secret.slice(0, 3)}… appears in the logs`);
  }
});

/** The pipeline processes npm start runs (tsx may also start an esbuild service of its own: not counted). */
function childPids(pid: number): number[] {
  const res = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return res.stdout.split('\n').filter((l) => /(src\/cli\/(source|consumers)\.ts|dist\/cli\/(source|consumers)\.js)/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the start command runs source and pool; one SIGINT stops both cleanly; after its kill -9 both stop by themselves', async (t) => {
  const env = { ...isolatedSource(), ...poolEnv('') };
  env.KAFKA_TOPIC = env.SOURCE_ID;
  const first = startCommand('src/cli/start.ts', env);
  t.after(() => stopCommand(first, 'SIGKILL'));
  await waitFor('both children running', async () => /starting at the binlog's end/.test(first.output()) && /joined group/.test(first.output()), 90_000);
  const kids = childPids(first.proc.pid!);
  assert.equal(kids.length, 2, 'two child processes');
  await insertRows(Array.from({ length: 10 }, () => freshId()));
  await waitFor('10 lines', async () => countLines(env.OUTPUT_DIR) === 10, 120_000);
  assert.equal(await stopCommand(first, 'SIGINT'), 0, first.output());
  assert.match(first.output(), /source and consumers stopped cleanly/);
  assert.ok(kids.every((pid) => !alive(pid)), 'no child left');

  const second = startCommand('src/cli/start.ts', env);
  t.after(() => stopCommand(second, 'SIGKILL'));
  await waitFor('both children running again', async () => /resuming from checkpoint/.test(second.output()) && /joined group/.test(second.output()), 90_000);
  const again = childPids(second.proc.pid!);
  assert.equal(again.length, 2);
  second.proc.kill('SIGKILL');
  await waitFor('the orphans to stop by themselves', async () => again.every((pid) => !alive(pid)), 60_000);
  assert.equal(countLines(env.OUTPUT_DIR), 10, 'nothing written twice across the restart');
});

/** Every process below `pid`, from /proc. */
function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

test('SIGTERM to the npm process of `npm start` stops the compiled pipeline cleanly: no process left', async (t) => {
  const env = { ...isolatedSource(), ...poolEnv('') };
  env.KAFKA_TOPIC = env.SOURCE_ID;
  const npm = spawn('npm', ['start'], { env: { ...process.env, SOURCE_METRICS_PORT: 'off', POOL_METRICS_PORT: 'off', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  npm.stdout.on('data', (d) => { out += d; });
  npm.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
  t.after(() => { for (const pid of [npm.pid!, ...descendants(npm.pid!)]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } } });
  await waitFor('both children running', async () => /starting at the binlog's end/.test(out) && /joined group/.test(out), 120_000);
  const below = descendants(npm.pid!);
  const pipeline = below.filter((pid) => /dist\/cli\/(cdc|source|consumers)\.js/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')));
  assert.equal(pipeline.length, 3, `npm start runs the compiled cdc and its two children: ${below.length} processes below npm`);
  npm.kill('SIGTERM');
  assert.equal(await exited, 0, out.slice(-2000));
  assert.match(out, /source and consumers stopped cleanly/);
  await waitFor('every process below npm gone', async () => below.every((pid) => !alive(pid)), 30_000);
});
