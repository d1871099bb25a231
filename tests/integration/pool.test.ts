/**
 * The consumer pool against the real stack, over one topic of ~100k changes written by the real source daemon.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Kafka from 'node-rdkafka';
import { adminConnection, config, uniqueName } from './helpers.js';
import { countLines, readOutput, startPool, stopPool, type FileLine } from './pool-helpers.js';
import { changesOnly, readTopic, startSource, stopSource, waitCaughtUp, waitFor, isolatedSource, type Landed } from './source-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let topic = '';
let expected = new Map<string, Landed>();

before(async () => {
  const env = isolatedSource();
  const admin = await adminConnection();
  const source = startSource(env);
  await waitFor('the daemon to start streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  await new Promise<void>((resolve, reject) => {
    const gen = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '40000', '--updates', '50000',
      '--deletes', '10000', '--tx-size', '200'], { cwd: root, stdio: 'ignore' });
    gen.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited ${code}`))));
  });
  await waitCaughtUp(env, admin, 300_000);
  await stopSource(source);
  await admin.end();
  topic = env.KAFKA_TOPIC;
  expected = new Map(changesOnly(await readTopic(topic)).map((l) => [`${l.partition}:${l.offset}`, l]));
});

function poolEnv(extra: Record<string, string> = {}) {
  return { KAFKA_TOPIC: topic, KAFKA_GROUP: uniqueName('pool'), OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'pool-')), ...extra };
}

async function waitForLines(dir: string, n: number, timeoutMs = 300_000): Promise<FileLine[]> {
  await waitFor(`${n} lines in ${dir}`, async () => countLines(dir) >= n, timeoutMs);
  return readOutput(dir);
}

function assertExactlyOnce(lines: FileLine[]): void {
  const seen = new Set<string>();
  for (const { line } of lines) {
    const k = `${line._meta.partition}:${line._meta.offset}`;
    assert.ok(!seen.has(k), `offset ${k} written twice`);
    assert.ok(expected.has(k), `offset ${k} is not a change on the topic`);
    seen.add(k);
  }
  const missing = [...expected.keys()].filter((k) => !seen.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} offsets missing`);
}

test('five consumers write every change once, transformed right, partitions disjoint, key order kept', { timeout: 600_000 }, async (t) => {
  assert.ok(expected.size >= 99_000, `the topic holds ${expected.size} changes`);
  const env = poolEnv();
  const pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const lines = await waitForLines(env.OUTPUT_DIR, expected.size);
  assert.equal(await stopPool(pool), 0, 'SIGTERM stops the pool with exit 0');
  assert.equal(lines.length, expected.size, 'tombstones are not written');
  assertExactlyOnce(lines);

  const files = new Set(lines.map((l) => l.file));
  for (const f of files) assert.match(f, /^consumer-[1-5]\.jsonl$/);
  assert.ok(files.size >= 3, `only ${[...files].join(', ')} got work: the group did not share the partitions`);
  t.diagnostic(`${files.size} of 5 consumers wrote lines`);
  // Ownership is disjoint: a partition may move once the group settles (cooperative-sticky, staggered joins),
  // but the offset ranges its consumers wrote never overlap.
  const spans = new Map<number, Map<string, { min: number; max: number }>>();
  for (const { file, line } of lines) {
    const byFile = spans.get(line._meta.partition) ?? new Map<string, { min: number; max: number }>();
    const span = byFile.get(file) ?? { min: Infinity, max: -Infinity };
    span.min = Math.min(span.min, line._meta.offset);
    span.max = Math.max(span.max, line._meta.offset);
    byFile.set(file, span);
    spans.set(line._meta.partition, byFile);
  }
  for (const [p, byFile] of spans) {
    const ordered = [...byFile.entries()].sort((a, b) => a[1].min - b[1].min);
    for (let i = 1; i < ordered.length; i++) {
      assert.ok(ordered[i - 1]![1].max < ordered[i]![1].min,
        `partition ${p}: ${ordered[i - 1]![0]} and ${ordered[i]![0]} wrote overlapping offset ranges`);
    }
  }
  const moved = [...spans.values()].filter((m) => m.size > 1).length;
  t.diagnostic(`${moved} of ${spans.size} partitions changed consumer while the group settled`);

  const lastOffset = new Map<string, number>();
  for (const { file, line } of lines) {
    const k = `${file}:${line.id}`;
    assert.ok(line._meta.offset > (lastOffset.get(k) ?? -1), `key ${line.id} out of order in ${file}`);
    lastOffset.set(k, line._meta.offset);

    const source = expected.get(`${line._meta.partition}:${line._meta.offset}`)!.value!;
    assert.equal(line.id, source.id);
    assert.equal(line.op, source.op);
    assert.equal(line.name, source.name);
    assert.equal(line.category, source.category === null ? null : String(source.category).toUpperCase());
    if (source.price === null) {
      assert.equal(line.list_price, null, 'NULL price stays null');
      continue;
    }
    assert.equal(Math.fround(line.list_price!), source.price, 'list price is the stored float32');
    if (line.category === 'ELECTRONICS') {
      const want = Math.round(Number((line.list_price! * 90).toFixed(6))) / 100;
      assert.equal(line.price, want, `10 % off ${line.list_price}`);
      assert.equal(line.discount_percent, 10);
    } else {
      assert.equal(line.price, line.list_price);
    }
  }
});

test('kill -9 of the supervisor five times: no offset duplicated or missing (libuv pool left at 4 threads)', { timeout: 600_000 }, async (t) => {
  // Small batches: many fsync + commit rounds, so the five kills land while there is still work to do.
  const env = poolEnv({ UV_THREADPOOL_SIZE: '4', POOL_BATCH: '20' });
  let pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const atKill: number[] = [];
  for (let kill = 0; kill < 5; kill++) {
    await waitFor('the pool to make progress', async () => countLines(env.OUTPUT_DIR) > (atKill.at(-1) ?? 0) + 1500, 120_000);
    await sleep(Math.random() * 500);
    pool.proc.kill('SIGKILL');
    await pool.exited;
    atKill.push(countLines(env.OUTPUT_DIR));
    pool = startPool(env);
  }
  t.diagnostic(`killed with ${atKill.join(', ')} lines written`);
  assert.ok(atKill.at(-1)! < expected.size, 'the kills happened mid-consumption');
  const lines = await waitForLines(env.OUTPUT_DIR, expected.size);
  await sleep(2000); // anything extra (a duplicate) would show up now
  assert.equal(await stopPool(pool), 0);
  assertExactlyOnce(readOutput(env.OUTPUT_DIR));
  assert.ok(lines.length >= expected.size);
});

test('garbage in the topic goes to the dead-letter file with its reason; what follows is processed', { timeout: 300_000 }, async (t) => {
  const garbageTopic = uniqueName('garbage');
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': config.kafka.brokers });
  await new Promise<void>((resolve, reject) => admin.createTopic({ topic: garbageTopic, num_partitions: 1, replication_factor: 1 }, 30_000, (e) => (e ? reject(e) : resolve())));
  admin.disconnect();
  const good = [...expected.values()].slice(0, 3).map((l) => l.raw!);
  const bad: Array<[string, Buffer]> = [
    ['magic byte', Buffer.from('{"not":"avro"}')],
    ['unknown to the registry', Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4])],
    ['does not decode', Buffer.concat([good[0]!.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff])])],
  ];
  const producer = new Kafka.HighLevelProducer({ 'metadata.broker.list': config.kafka.brokers });
  await new Promise<void>((resolve, reject) => producer.connect({}, (e) => (e ? reject(e) : resolve())));
  const send = (value: Buffer) => new Promise<void>((resolve, reject) =>
    producer.produce(garbageTopic, 0, value, 'k', Date.now(), (e) => (e ? reject(e) : resolve())));
  await send(good[0]!);
  for (const [, value] of bad) await send(value);
  await send(good[1]!);
  await send(good[2]!);
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));

  const env = poolEnv({ KAFKA_TOPIC: garbageTopic, POOL_SIZE: '2' });
  const pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const lines = await waitForLines(env.OUTPUT_DIR, 3, 120_000);
  assert.equal(await stopPool(pool), 0);
  assert.deepEqual(lines.map((l) => l.line._meta.offset), [0, 4, 5], 'the good messages around the garbage are written');
  const dead = readOutput(env.OUTPUT_DIR, 'dead').map((d) => d.line as unknown as { reason: string; _meta: { offset: number }; value_base64: string });
  assert.deepEqual(dead.map((d) => d._meta.offset), [1, 2, 3]);
  bad.forEach(([reason, value], i) => {
    assert.match(dead[i]!.reason, new RegExp(reason));
    assert.equal(dead[i]!.value_base64, value.toString('base64'), 'the raw value is kept');
  });
});

test('a consumer killed inside the pool: the group rebalances, it rejoins, nothing lost or doubled', { timeout: 600_000 }, async (t) => {
  const env = poolEnv({ POOL_BATCH: '200' });
  const pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  await waitFor('consumption under way', async () => countLines(env.OUTPUT_DIR) > 5000, 120_000);
  pool.proc.kill('SIGUSR2');
  await waitFor('the recycled consumer to restart', async () => /consumer-1 failed: consumer-1 recycled/.test(pool.output()), 30_000);
  // The group rebalances: the other consumers take part (they may or may not keep consumer-1's partitions,
  // depending on whether it rejoins before the rebalance settles).
  const afterRecycle = () => pool.output().slice(pool.output().indexOf('recycling consumer-'));
  await waitFor('a rebalance among the other consumers', async () =>
    /"component":"consumer-[2-5]".*(assigned|revoked) partitions/.test(afterRecycle()), 60_000);
  await waitFor('consumer-1 to rejoin', async () => (pool.output().match(/"component":"consumer-1".*joined group/g) ?? []).length >= 2, 60_000);
  await waitForLines(env.OUTPUT_DIR, expected.size);
  await sleep(2000);
  assert.equal(await stopPool(pool), 0);
  assertExactlyOnce(readOutput(env.OUTPUT_DIR));
});

test('a second supervisor on the same output files waits for the lock, then exits 2 naming the holder; other instances share the directory', { timeout: 300_000 }, async (t) => {
  const env = poolEnv({ POOL_SIZE: '2' });
  const first = startPool(env);
  t.after(() => stopPool(first, 'SIGKILL'));
  await waitFor('the first supervisor to join', async () => /joined group/.test(first.output()), 60_000);
  const lockFile = join(env.OUTPUT_DIR, '.pool.lock');
  assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, first.proc.pid);

  const second = startPool(env);
  t.after(() => stopPool(second, 'SIGKILL'));
  const other = startPool({ ...env, POOL_INSTANCE: 'b' });
  t.after(() => stopPool(other, 'SIGKILL'));
  assert.equal(await second.exited, 2, second.output());
  assert.match(second.output(), new RegExp(`is written by another supervisor \\(pid ${first.proc.pid} on .*\\); give this one its own OUTPUT_DIR or POOL_INSTANCE`));
  assert.ok(!/joined group/.test(second.output()), 'it never consumed');
  assert.match(other.output(), /joined group/, 'a supervisor with its own POOL_INSTANCE runs beside it');

  assert.equal(await stopPool(first), 0);
  assert.ok(!existsSync(lockFile), 'a clean stop releases the lock');
  assert.equal(await stopPool(other), 0);
});
