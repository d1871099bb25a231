/**
 * Mistakes and outages at start that used to take the pipeline or its output down: MySQL up late after a clean
 * stop (once a false "fenced" exit), and a registry URL missing its API path (once every message dead-lettered).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RegistryConfigError } from '../../src/codec/errors.js';
import { Registry } from '../../src/codec/registry.js';
import { frame } from '../../src/codec/wire.js';
import { Decoder, PoisonError } from '../../src/pool/decoder.js';
import { readCheckpoint } from '../../src/source/checkpoint.js';
import { config, forward, freePort, freshId } from './helpers.js';
import { startCommand } from './process.js';
import { binlogEnd, changesOnly, isolatedSource, readTopic, startSource, stopSource, streamingSource, waitCaughtUp, waitFor } from './source-helpers.js';

/** The registry's bare address: Apicurio answers there too, but with 404 for every Confluent API path. */
const bareRegistry = new URL(config.registry.url).origin;

test('MariaDB up late after a clean stop: the source retries without "fenced" or "taken over", then streams each change once', async (t) => {
  const { env, admin, source: first } = await streamingSource(t);
  const ids = [freshId()];
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'before the stop', 'Toys', 1)", [ids[0]]);
  await waitCaughtUp(env, admin);
  assert.equal(await stopSource(first), 0);

  // MySQL "down": a port with nothing behind it until the forwarder opens.
  const port = await freePort();
  const second = startSource({ ...env, MYSQL_PORT: String(port) });
  t.after(() => stopSource(second, 'SIGKILL'));
  await waitFor('two restarts while MySQL is away',
    async () => (second.output().match(/restarting from the last checkpoint/g) ?? []).length >= 2, 90_000);
  assert.equal(second.proc.exitCode, null, `still running; it said:\n${second.output().slice(-2000)}`);
  assert.doesNotMatch(second.output(), /taken over|FENCED/i);

  const forwarder = await forward(port, config.mysql.host, config.mysql.port);
  t.after(() => forwarder.close());
  await waitFor('the source to resume', async () => second.output().includes('resuming from checkpoint'), 90_000);
  ids.push(freshId());
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'after MySQL came up', 'Toys', 2)", [ids[1]]);
  const caught = await waitCaughtUp(env, admin);
  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC));
  assert.deepEqual(ids.map((id) => landed.filter((l) => l.key === String(id)).length), [1, 1], 'each change once');
  // A resumed source still knows its GTID position (zongji cannot seed one from a file/position start).
  const [[server]] = await admin.query<Array<{ g: string } & import('mysql2').RowDataPacket>>('SELECT @@gtid_binlog_pos AS g');
  assert.equal(caught.gtid, server!.g, 'the checkpoint carries the server\'s GTID position after a resume');
  assert.equal(await stopSource(second), 0);
});

test('SIGTERM during the back-off after a failed start stops the source within 5 s with exit 0, saying so', async (t) => {
  const port = await freePort();
  const source = startSource({ ...isolatedSource(), MYSQL_PORT: String(port) });
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('a restart with back-off', async () => source.output().includes('restarting from the last checkpoint'), 60_000);
  const asked = Date.now();
  source.proc.kill('SIGTERM');
  assert.equal(await source.exited, 0);
  assert.ok(Date.now() - asked < 5_000, 'within 5 s, not after the back-off');
  assert.match(source.output(), /stopped during the back-off/);
});

test('a registry URL without its API path: source, consumers, replay and backfill exit 2 naming SCHEMA_REGISTRY_URL, dead-lettering nothing', async (t) => {
  const output = await mkdtemp(join(tmpdir(), 'cdc-registry-url-'));
  const env = { SCHEMA_REGISTRY_URL: bareRegistry, OUTPUT_DIR: output, KAFKA_GROUP: `wrong-registry-${Date.now()}` };
  const commands: Array<[string, string[]]> = [
    ['src/cli/source.ts', []],
    ['src/cli/consumers.ts', []],
    ['src/cli/replay.ts', ['--from', 'earliest', '--output', join(output, 'replay')]],
    ['src/cli/backfill.ts', ['--full']],
  ];
  for (const [entry, args] of commands) {
    const run = startCommand(entry, { ...env, SOURCE_ID: `wrong-registry-${Date.now()}` }, args);
    t.after(() => run.proc.kill('SIGKILL'));
    // An unref'd timer: once the command has exited, it must not hold the test process for its full minute.
    const code = await Promise.race([run.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000).unref())]);
    assert.equal(code, 2, `${entry} exits 2; it said:\n${run.output().slice(-1500)}`);
    assert.match(run.output(), /SCHEMA_REGISTRY_URL/, `${entry} names the setting`);
    assert.doesNotMatch(run.output(), /dead-lettered|dead letters [1-9]/, `${entry} dead-letters nothing`);
  }
});

test('a 404 from a registry without the API is a configuration error, not poison; an unknown id is poison', async () => {
  const body = Buffer.from([0x02]);
  const rule = { category: 'X', percent: 0 };
  const wrong = new Decoder(new Registry(bareRegistry), { seedTopic: 't', rule });
  await assert.rejects(wrong.prepare([frame(1, body)]), (err) => err instanceof RegistryConfigError && !(err instanceof PoisonError));
  await assert.rejects(new Registry(bareRegistry).check(), RegistryConfigError);

  const right = new Decoder(new Registry(config.registry.url), { seedTopic: 't', rule });
  await new Registry(config.registry.url).check();
  const unknown = frame(2_000_000_000, body);
  await right.prepare([unknown]);
  assert.throws(() => right.decodeReady('t', unknown), PoisonError);
});

test('Kafka unreachable: status, backfill and replay fail within 10 s naming the brokers and KAFKA_BROKERS; source and consumers say so and wait', async (t) => {
  const port = await freePort();
  const output = await mkdtemp(join(tmpdir(), 'cdc-no-kafka-'));
  const env = { KAFKA_BROKERS: `127.0.0.1:${port}`, OUTPUT_DIR: output, KAFKA_GROUP: `no-kafka-${Date.now()}`, SOURCE_ID: `no-kafka-${Date.now()}` };
  const named = new RegExp(`Kafka unreachable: 127\\.0\\.0\\.1:${port} ECONNREFUSED; start the brokers or fix KAFKA_BROKERS`);
  const oneShot: Array<[string, string[], number]> = [
    ['src/cli/status.ts', [], 5_000],
    ['src/cli/backfill.ts', ['--full'], 10_000],
    ['src/cli/replay.ts', ['--from', 'earliest', '--output', join(output, 'replay')], 10_000],
  ];
  for (const [entry, args, within] of oneShot) {
    const asked = Date.now();
    const run = startCommand(entry, env, args);
    t.after(() => run.proc.kill('SIGKILL'));
    const code = await run.exited;
    assert.notEqual(code, 0, `${entry} fails`);
    assert.ok(Date.now() - asked < within, `${entry} answered in ${Date.now() - asked} ms`);
    assert.match(run.output(), named, `${entry} names the brokers and the setting:\n${run.output().slice(-800)}`);
    assert.doesNotMatch(run.output(), /^\s+at /m, `${entry}: no stack trace`);
  }
  for (const entry of ['src/cli/source.ts', 'src/cli/consumers.ts']) {
    const asked = Date.now();
    const run = startCommand(entry, env);
    t.after(() => run.proc.kill('SIGKILL'));
    await waitFor(`${entry} to say why`, async () => named.test(run.output()), 10_000);
    assert.ok(Date.now() - asked < 10_000);
    assert.equal(run.proc.exitCode, null, `${entry} waits for Kafka instead of exiting`);
    run.proc.kill('SIGTERM');
    assert.equal(await run.exited, 0, `${entry} stops cleanly:\n${run.output().slice(-800)}`);
  }
});

test('MariaDB refusing the account or not answering: generate and backfill say which settings, no stack trace', async () => {
  const port = await freePort();
  const cases: Array<[string, string[], Record<string, string>, number, RegExp]> = [
    ['src/cli/generate.ts', ['--rows', '1'], { MYSQL_ADMIN_PASSWORD: 'wrong-password' }, 2, /refused shop_admin .*check MYSQL_ADMIN_USER and MYSQL_ADMIN_PASSWORD/],
    ['src/cli/backfill.ts', ['--full'], { MYSQL_PASSWORD: 'wrong-password' }, 2, /refused cdc .*check MYSQL_USER and MYSQL_PASSWORD/],
    ['src/cli/generate.ts', ['--rows', '1'], { MYSQL_PORT: String(port) }, 1, new RegExp(`MySQL unreachable at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); start it or fix MYSQL_HOST and MYSQL_PORT`)],
    ['src/cli/backfill.ts', ['--full'], { MYSQL_PORT: String(port) }, 1, /MySQL unreachable at .*ECONNREFUSED/],
  ];
  for (const [entry, args, env, exitCode, message] of cases) {
    const run = startCommand(entry, { ...env, SOURCE_ID: `mysql-mistake-${Date.now()}` }, args);
    assert.equal(await run.exited, exitCode, `${entry} ${JSON.stringify(env)}:\n${run.output().slice(-800)}`);
    assert.match(run.output(), message);
    assert.doesNotMatch(run.output(), /^\s+at /m, 'no stack trace');
  }
  const zero = startCommand('src/cli/generate.ts', {}, ['--rows', '1', '--rate', '0']);
  assert.equal(await zero.exited, 2);
  assert.match(zero.output(), /--rate must be more than 0/);
});

test('two sources with one SOURCE_SERVER_ID: one of them says which setting to change', async (t) => {
  const first = startSource({ ...isolatedSource(), SOURCE_SERVER_ID: '5499' });
  t.after(() => stopSource(first, 'SIGKILL'));
  await waitFor('the first source streaming', async () => first.output().includes('starting at the binlog'), 60_000);
  const second = startSource({ ...isolatedSource(), SOURCE_SERVER_ID: '5499' });
  t.after(() => stopSource(second, 'SIGKILL'));
  const said = /give each source daemon its own SOURCE_SERVER_ID/;
  await waitFor('one of them to name SOURCE_SERVER_ID', async () => said.test(first.output()) || said.test(second.output()), 60_000);
});

test('cdc check: every part ok on the stack; a wrong registry path and a down Kafka each get a FAIL with the reason', async () => {
  const good = startCommand('src/cli/check.ts', {}, []);
  assert.equal(await good.exited, 0, good.output());
  for (const part of ['settings', 'database', 'kafka', 'registry', 'output']) assert.match(good.output(), new RegExp(`^ok +${part} `, 'm'));
  assert.match(good.output(), /^ok +database +mariadb at .* binlog ROW with FULL images, row metadata FULL, binlog at /m);
  assert.match(good.output(), /^ok +table shop\.product +\d+ columns, key \(id\), topic product_updates$/m);

  const port = await freePort();
  const bad = startCommand('src/cli/check.ts', { SCHEMA_REGISTRY_URL: bareRegistry, KAFKA_BROKERS: `127.0.0.1:${port}` }, ['--json']);
  assert.equal(await bad.exited, 1);
  const report = JSON.parse(bad.output()) as { verdicts: Array<{ what: string; ok: boolean; detail: string }> };
  const by = new Map(report.verdicts.map((v) => [v.what, v]));
  assert.equal(by.get('database')?.ok, true);
  assert.equal(by.get('kafka')?.ok, false);
  assert.match(by.get('kafka')!.detail, /Kafka unreachable: .*fix KAFKA_BROKERS/);
  assert.equal(by.get('registry')?.ok, false);
  assert.match(by.get('registry')!.detail, /SCHEMA_REGISTRY_URL/);
});

test('move-source: refused while the daemon reads; a dry run writes nothing; to the head skips a backlog; to a snapshot re-reads the skipped rows', async (t) => {
  const { env, admin, source } = await streamingSource(t);
  const refused = startCommand('src/cli/move-source.ts', env, ['--to', 'head']);
  assert.equal(await refused.exited, 3, refused.output());
  assert.match(refused.output(), /stop the source daemon first/);
  assert.equal(await stopSource(source), 0);
  await waitFor('the stopped daemon\'s binlog connection to go', async () => {
    const [rows] = await admin.query<import('mysql2').RowDataPacket[]>(
      "SELECT 1 FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'", [config.mysql.user]);
    if (rows.length > 0) await admin.query('FLUSH LOGS'); // a stopped reader's dump thread ends at the next event
    return rows.length === 0;
  }, 30_000);

  const skipped = [freshId(), freshId()];
  await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [skipped.map((id) => [id, 'skipped by the move', 'Toys', 1])]);
  const [[last]] = await admin.query<Array<{ g: string } & import('mysql2').RowDataPacket>>('SELECT @@last_gtid AS g');
  const end = await binlogEnd(admin);
  const byGtid = startCommand('src/cli/move-source.ts', env, ['--to', `gtid:${last!.g}`, '--dry-run']);
  assert.equal(await byGtid.exited, 0, byGtid.output());
  assert.match(byGtid.output(), new RegExp(`moved +${end.file.replace(/\./g, '\\.')}:${end.pos} \\(gtid ${last!.g}\\)`), 'just after that transaction');
  const before = await readCheckpoint(config.kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID);
  const dry = startCommand('src/cli/move-source.ts', env, ['--to', 'head', '--dry-run']);
  assert.equal(await dry.exited, 0, dry.output());
  assert.match(dry.output(), /dry run: nothing written/);
  assert.deepEqual(await readCheckpoint(config.kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID), before);

  const head = startCommand('src/cli/move-source.ts', env, ['--to', 'head']);
  assert.equal(await head.exited, 0, head.output());
  const resumed = startSource(env);
  t.after(() => stopSource(resumed, 'SIGKILL'));
  await waitFor('the daemon to resume at the head', async () => resumed.output().includes('resuming from checkpoint'), 60_000);
  const after = freshId();
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'after the move', 'Toys', 1)", [after]);
  await waitCaughtUp(env, admin);
  const keys = new Set(changesOnly(await readTopic(env.KAFKA_TOPIC)).map((l) => l.key));
  assert.ok(keys.has(String(after)), 'a change after the move arrives');
  assert.ok(skipped.every((id) => !keys.has(String(id))), 'the backlog before the head was skipped');
  assert.equal(await stopSource(resumed), 0);

  const again = startCommand('src/cli/move-source.ts', env, ['--to', 'snapshot']);
  assert.equal(await again.exited, 0, again.output());
  const snapshotting = startSource(env);
  t.after(() => stopSource(snapshotting, 'SIGKILL'));
  await waitFor('the snapshot to finish', async () => snapshotting.output().includes('snapshot done'), 120_000);
  const reads = changesOnly(await readTopic(env.KAFKA_TOPIC)).filter((l) => l.value?.op === 'r').map((l) => l.key);
  assert.ok(skipped.every((id) => reads.includes(String(id))), 'the snapshot brought back the rows the move skipped');
  assert.equal(await stopSource(snapshotting), 0);
});

test('refused SASL credentials are named within seconds, by status and by the source (exit 2), not after librdkafka\'s 30 s', async () => {
  const env = {
    KAFKA_BROKERS: `127.0.0.1:${process.env.STACK_KAFKA_SASL_PORT ?? '9094'}`, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_USERNAME: 'cdc', KAFKA_SASL_PASSWORD: 'not-the-password-4242', SOURCE_ID: `sasl-wrong-${Date.now()}`,
  };
  for (const [entry, exitCode, within] of [['src/cli/status.ts', 1, 10_000], ['src/cli/source.ts', 2, 15_000]] as const) {
    const asked = Date.now();
    const run = startCommand(entry, env);
    assert.equal(await run.exited, exitCode, run.output().slice(-800));
    assert.ok(Date.now() - asked < within, `${entry} answered in ${Date.now() - asked} ms`);
    assert.match(run.output(), /Kafka refused the credentials .*check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM/);
    assert.ok(!run.output().includes('not-the-password-4242'), 'the password is not printed');
  }
});
