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
import { config, forward, freePort, freshId } from './helpers.js';
import { startCommand } from './process.js';
import { changesOnly, isolatedSource, readTopic, startSource, stopSource, streamingSource, waitCaughtUp, waitFor } from './source-helpers.js';

/** The registry's bare address: Apicurio answers there too, but with 404 for every Confluent API path. */
const bareRegistry = new URL(config.registry.url).origin;

test('MySQL up late after a clean stop: the source retries as the owner it is, never "fenced", then streams', async (t) => {
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
  await waitCaughtUp(env, admin);
  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC));
  assert.deepEqual(ids.map((id) => landed.filter((l) => l.key === String(id)).length), [1, 1], 'each change once');
  assert.equal(await stopSource(second), 0);
});

test('SIGTERM during the back-off after a failed start stops the source at once, saying so', async (t) => {
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

test('a registry URL without its API path: every command stops at start with exit 2 naming SCHEMA_REGISTRY_URL', async (t) => {
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

test('a 404 from a registry without the API is a configuration error, never poison; an unknown id is poison', async () => {
  const body = Buffer.from([0x02]);
  const wrong = new Decoder(new Registry(bareRegistry));
  await assert.rejects(wrong.decode(frame(1, body)), (err) => err instanceof RegistryConfigError && !(err instanceof PoisonError));
  await assert.rejects(new Registry(bareRegistry).check(), RegistryConfigError);

  const right = new Decoder(new Registry(config.registry.url));
  await new Registry(config.registry.url).check();
  await assert.rejects(right.decode(frame(2_000_000_000, body)), PoisonError);
});
