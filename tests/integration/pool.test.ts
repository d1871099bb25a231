/**
 * The consumer pool against the real stack, over one topic of ~100k changes written by the real source daemon.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Kafka from 'node-rdkafka';
import { adminConnection, config, freePort, uniqueName } from './helpers.js';
import { isClosedOutput } from '../../src/pool/segment-name.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { record, tally } from '../faults/report.js';
import { assertEachChangeOnce, countLines, readOutput, startPool, stopPool, type FileLine, type RunningPool } from './pool-helpers.js';
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

/** Redelivered messages a running pool skipped as already written, from its metrics. */
async function skippedTotal(port: number): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...metrics.matchAll(/^cdc_pool_duplicates_skipped_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

function assertExactlyOnce(lines: FileLine[]): void {
  assertEachChangeOnce(lines, new Set(expected.keys()));
}

test('a five-consumer pool writes every change once, transformed right, with disjoint offset ranges per partition and key order kept', { timeout: 600_000 }, async (t) => {
  assert.ok(expected.size >= 99_000, `the topic holds ${expected.size} changes`);
  const env = poolEnv();
  const pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const lines = await waitForLines(env.OUTPUT_DIR, expected.size);
  assert.equal(await stopPool(pool), 0, 'SIGTERM stops the pool with exit 0');
  assert.equal(lines.length, expected.size, 'tombstones are not written');
  assertExactlyOnce(lines);

  const files = new Set(lines.map((l) => l.file));
  for (const f of files) assert.match(f, /^consumer-[1-5]$/);
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

test('POOL_WORKERS=2: the lines made on worker threads are the lines made on the consumers\' own thread, every change once', { timeout: 600_000 }, async (t) => {
  const byOffset = async (extra: Record<string, string>) => {
    const env = poolEnv(extra);
    const pool = startPool(env);
    t.after(() => stopPool(pool, 'SIGKILL'));
    const lines = await waitForLines(env.OUTPUT_DIR, expected.size);
    assert.equal(await stopPool(pool), 0);
    assertExactlyOnce(lines);
    return new Map(lines.map(({ line }) => [`${line._meta.partition}:${line._meta.offset}`, JSON.stringify(line)]));
  };
  const inPlace = await byOffset({ POOL_WORKERS: '0' });
  const onWorkers = await byOffset({ POOL_WORKERS: '2' });
  assert.equal(onWorkers.size, inPlace.size);
  for (const [at, line] of inPlace) assert.equal(onWorkers.get(at), line, `${at} differs`);
});

test('kill -9 of the supervisor five times: no offset duplicated or missing (libuv pool left at 4 threads)', { timeout: 600_000 }, async (t) => {
  // Small batches: many fsync + commit rounds, so the five kills land while there is still work to do.
  const env = poolEnv({ UV_THREADPOOL_SIZE: '4', POOL_BATCH: '20' });
  let pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const atKill: number[] = [];
  for (let kill = 0; kill < 5; kill++) {
    await waitFor('the pool to make progress', async () => countLines(env.OUTPUT_DIR) > (atKill.at(-1) ?? 0) + 1500, 120_000)
      .catch((err: Error) => {
        throw new Error(`${err.message}: ${countLines(env.OUTPUT_DIR)} of ${expected.size} lines, killed at ${atKill.join(', ')}\n${pool.output().slice(-3000)}`);
      });
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

test('a consumer recycled inside the pool (SIGUSR2): the group rebalances, it rejoins, nothing lost or doubled', { timeout: 600_000 }, async (t) => {
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

test('a second supervisor on the same output files exits 2 naming the holder without consuming; one with its own POOL_INSTANCE runs beside it', { timeout: 300_000 }, async (t) => {
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

/** Closed segments with their content hash, as a loader would see them. */
function closedSegments(dir: string): Map<string, string> {
  const seen = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => isClosedOutput(n))) {
    try {
      seen.set(f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex'));
    } catch {
      // deleted by nothing here; a race with the listing is not expected
    }
  }
  return seen;
}

test('segments: rotated and compressed under five kill -9s; closed segments unchanged at each kill; a restart reads at most 10 files, not the history', { timeout: 600_000 }, async (t) => {
  const env = poolEnv({ OUTPUT_SEGMENT_MIB: '1', OUTPUT_GZIP: 'true', POOL_BATCH: '200' });
  let pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const closed = new Map<string, string>();
  const remember = () => {
    for (const [f, hash] of closedSegments(env.OUTPUT_DIR)) {
      assert.equal(closed.get(f) ?? hash, hash, `closed segment ${f} changed`);
      closed.set(f, hash);
    }
  };
  const starts: Array<{ files: number; lines: number; written: number }> = [];
  for (let kill = 0; kill < 5; kill++) {
    // Each kill comes once some segment has closed, so a restart has history it must not read line by line.
    await waitFor('the pool to make progress', async () => countLines(env.OUTPUT_DIR) > (kill + 1) * 12_000 && closedSegments(env.OUTPUT_DIR).size > 0, 120_000);
    await sleep(Math.random() * 300);
    pool.proc.kill('SIGKILL');
    await pool.exited;
    remember();
    const written = countLines(env.OUTPUT_DIR);
    pool = startPool(env);
    await waitFor('the restart to index its output', async () => /read \d+ lines of \d+ files at start/.test(pool.output()), 60_000);
    const [, lines, files] = /read (\d+) lines of (\d+) files at start/.exec(pool.output())!;
    starts.push({ files: Number(files), lines: Number(lines), written });
  }
  t.diagnostic(`restarts read ${starts.map((s) => `${s.lines} of ${s.written} lines (${s.files} files)`).join('; ')}`);
  for (const s of starts) {
    assert.ok(s.files <= 10, `a start read ${s.files} files: at most each consumer's open line and dead-letter segments`);
    assert.ok(s.lines < s.written, 'a start does not read the history line by line');
  }
  await waitForLines(env.OUTPUT_DIR, expected.size);
  await sleep(2000); // anything extra (a duplicate) would show up now
  assert.equal(await stopPool(pool), 0);
  remember();
  const names = readdirSync(env.OUTPUT_DIR);
  assert.ok(closed.size >= 15, `${closed.size} closed segments`);
  assert.ok([...closed.keys()].every((f) => f.endsWith('.jsonl.gz') && names.includes(f)), 'closed segments are compressed and still there');
  assert.ok(!names.some((n) => n.endsWith('.gz.tmp') || /\.jsonl$/.test(n)), `no compression left half done: ${names.join(' ')}`);
  assertExactlyOnce(readOutput(env.OUTPUT_DIR));
  const manifest = JSON.parse(readFileSync(join(env.OUTPUT_DIR, '.segments.json'), 'utf8')) as { closed: Record<string, { lines: number }> };
  assert.equal(Object.keys(manifest.closed).length, closed.size, 'the manifest knows every closed segment');
});

test('segments: files of the one-file layout are history the pool skips, read once', { timeout: 600_000 }, async (t) => {
  const env = poolEnv();
  let pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  await waitFor('some lines', async () => countLines(env.OUTPUT_DIR) > 30_000, 120_000);
  assert.equal(await stopPool(pool), 0);
  // Turn the directory into what an earlier version left: one file per consumer, no manifest.
  const before = readOutput(env.OUTPUT_DIR);
  for (const f of readdirSync(env.OUTPUT_DIR)) rmSync(join(env.OUTPUT_DIR, f));
  const byWriter = new Map<string, string[]>();
  for (const { file, line } of before) byWriter.set(file, [...(byWriter.get(file) ?? []), JSON.stringify(line)]);
  for (const [writer, lines] of byWriter) writeFileSync(join(env.OUTPUT_DIR, `${writer}.jsonl`), `${lines.join('\n')}\n`);

  pool = startPool(env);
  await waitForLines(env.OUTPUT_DIR, expected.size);
  await sleep(2000);
  assert.equal(await stopPool(pool), 0);
  assert.match(pool.output(), new RegExp(`read ${before.length} lines of ${byWriter.size} files at start`), 'the old files were read once');
  assertExactlyOnce(readOutput(env.OUTPUT_DIR));
  pool = startPool(env);
  const third = pool;
  await waitFor('the second start to index', async () => /read \d+ lines of \d+ files at start/.test(third.output()), 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}; exit ${third.proc.exitCode} ${third.proc.signalCode}\n${third.output().slice(-3000)}`); });
  assert.equal(await stopPool(pool), 0);
  const [, lines] = /read (\d+) lines of \d+ files at start/.exec(pool.output())!;
  assert.equal(Number(lines), expected.size - before.length, 'the second start reads only the open segments, not the old files');
});

test('two supervisors on two directories with static membership: kill -9 and a quick restart write nothing twice', { timeout: 600_000 }, async (t) => {
  const group = uniqueName('static');
  const common = { KAFKA_TOPIC: topic, KAFKA_GROUP: group, POOL_SIZE: '2', POOL_BATCH: '50', POOL_STATIC_MEMBERSHIP: 'true', POOL_SESSION_TIMEOUT_MS: '45000' };
  const a = { ...common, POOL_INSTANCE: 'host-a', OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'pool-a-')) };
  const b = { ...common, POOL_INSTANCE: 'host-b', OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'pool-b-')) };
  let poolA = startPool(a);
  const poolB = startPool(b);
  t.after(async () => { await stopPool(poolA, 'SIGKILL'); await stopPool(poolB, 'SIGKILL'); });
  const total = () => countLines(a.OUTPUT_DIR) + countLines(b.OUTPUT_DIR);
  await waitFor('both supervisors to hold partitions', async () => /assigned partitions \[\d/.test(poolA.output()) && /assigned partitions \[\d/.test(poolB.output()), 90_000);
  const assignedToB = () => (poolB.output().match(/assigned partitions \[\d/g) ?? []).length;
  let bSettled = -1;
  for (let kill = 0; kill < 3; kill++) {
    await waitFor('progress', async () => countLines(a.OUTPUT_DIR) > (kill + 1) * 6000, 180_000);
    if (kill === 0) bSettled = assignedToB();
    await sleep(Math.random() * 200);
    poolA.proc.kill('SIGKILL');
    await poolA.exited;
    poolA = startPool(a);
  }
  await waitFor(`${expected.size} lines in the two directories`, async () => total() >= expected.size, 300_000);
  await sleep(3000);
  assert.equal(assignedToB(), bSettled, 'B was given none of A\'s partitions while A restarted');
  const both = [...readOutput(a.OUTPUT_DIR), ...readOutput(b.OUTPUT_DIR)];
  assertExactlyOnce(both);
  assert.equal(both.length, expected.size);
  assert.equal(await stopPool(poolA), 0);
  assert.equal(await stopPool(poolB), 0);
});

test('crash points: kill -9 after an append, after the fsync before the commit, and at each step of closing a segment', { timeout: 600_000 }, async (t) => {
  const env = poolEnv({ OUTPUT_SEGMENT_MIB: '1', OUTPUT_GZIP: 'true', POOL_BATCH: '100' });
  const points = ['pool.appended', 'pool.synced', 'segment.accounted', 'segment.compressed', 'segment.renamed'];
  // Once each in npm test (its 30 minutes); five times in npm run test:faults.
  const rounds = process.env.CDC_FAULTS_FULL === '1' ? 5 : 1;
  for (const point of points) {
    for (let round = 0; round < rounds; round++) {
      const nth = point.startsWith('pool.') ? 2 + Math.floor(Math.random() * 8) : 1;
      const crashing = startPool({ ...env, CDC_FAULT: `${point}:${nth}` });
      t.after(() => stopPool(crashing, 'SIGKILL'));
      await waitFor(`the pool to crash at ${point}`, async () => crashing.proc.signalCode !== null || crashing.proc.exitCode !== null, 120_000);
      assert.equal(crashing.proc.signalCode, 'SIGKILL', `${point} was reached: ${crashing.output().slice(-1500)}`);
    }
  }
  assert.ok(countLines(env.OUTPUT_DIR) < expected.size, 'the crashes happened mid-consumption');
  const port = await freePort();
  const pool = startPool({ ...env, POOL_METRICS_PORT: String(port) });
  t.after(() => stopPool(pool, 'SIGKILL'));
  await waitForLines(env.OUTPUT_DIR, expected.size);
  await sleep(2000);
  const skipped = await skippedTotal(port);
  assert.equal(await stopPool(pool), 0);
  assert.ok(skipped > 0, 'batches fsynced but never committed were redelivered, and skipped');
  t.diagnostic(`${skipped} redelivered messages skipped after the crashes`);
  const names = readdirSync(env.OUTPUT_DIR);
  assert.ok(!names.some((n) => n.endsWith('.gz.tmp') || /\.jsonl$/.test(n)), `closing finished for every segment: ${names.join(' ')}`);
  const lines = readOutput(env.OUTPUT_DIR);
  record({
    suite: 'crash points', fault: `pool: kill -9 at ${points.join(', ')} (${rounds} times each, under load)`,
    outcome: `restarted each time; ${skipped} redelivered messages skipped as already written; every segment closed or finished at the next start`,
    ...tally(lines.map((l) => `${l.line._meta.partition}:${l.line._meta.offset}`), expected.size),
  });
  assertExactlyOnce(lines);
});

test('crash points with OUTPUT_FORMAT=parquet: kill -9 after an append, after the fsync, after accounting a segment and after its Parquet file is written; every change once across Parquet files and open segments', { timeout: 600_000 }, async (t) => {
  const env = poolEnv({ OUTPUT_FORMAT: 'parquet', OUTPUT_SEGMENT_MIB: '1', POOL_BATCH: '100' });
  const points = ['pool.appended', 'pool.synced', 'segment.accounted', 'segment.parquet-written'];
  // Once each in npm test; five times in npm run test:faults.
  const rounds = process.env.CDC_FAULTS_FULL === '1' ? 5 : 1;
  for (const point of points) {
    for (let round = 0; round < rounds; round++) {
      const nth = point.startsWith('pool.') ? 2 + Math.floor(Math.random() * 8) : 1;
      const crashing = startPool({ ...env, CDC_FAULT: `${point}:${nth}` });
      t.after(() => stopPool(crashing, 'SIGKILL'));
      await waitFor(`the pool to crash at ${point}`, async () => crashing.proc.signalCode !== null || crashing.proc.exitCode !== null, 120_000);
      assert.equal(crashing.proc.signalCode, 'SIGKILL', `${point} was reached: ${crashing.output().slice(-1500)}`);
    }
  }
  const pool = startPool(env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const parquetKeys = async () => {
    const files = readdirSync(env.OUTPUT_DIR).filter((f) => f.endsWith('.parquet')).map((f) => `'${join(env.OUTPUT_DIR, f)}'`);
    if (files.length === 0) return [];
    const rows = (await db.runAndReadAll(`SELECT _meta."partition" AS p, _meta."offset" AS o, id, op FROM read_parquet([${files.join(', ')}])`)).getRowObjectsJS();
    return rows.map((r) => ({ key: `${Number(r.p)}:${Number(r.o)}`, id: Number(r.id), op: String(r.op) }));
  };
  await waitFor('every change in a Parquet file or an open segment', async () => (await parquetKeys()).length + countLines(env.OUTPUT_DIR) >= expected.size, 300_000);
  await sleep(2000);
  assert.equal(await stopPool(pool), 0);
  const names = readdirSync(env.OUTPUT_DIR);
  assert.ok(!names.some((n) => n.endsWith('.parquet.tmp') || /\.jsonl$/.test(n)), `closing finished for every segment, as Parquet: ${names.join(' ')}`);
  const inParquet = await parquetKeys();
  assert.ok(inParquet.length > 0, 'segments were closed into Parquet files');
  const all = [...inParquet.map((r) => r.key), ...readOutput(env.OUTPUT_DIR).map((l) => `${l.line._meta.partition}:${l.line._meta.offset}`)];
  record({
    suite: 'crash points', fault: `pool with OUTPUT_FORMAT=parquet: kill -9 at ${points.join(', ')} (${rounds} times each, under load)`,
    outcome: 'restarted each time; every accounted segment converted or finished at the next start; no .parquet.tmp left',
    ...tally(all, expected.size),
  });
  const seen = new Set(all);
  assert.equal(all.length, seen.size, 'no change twice');
  assert.deepEqual([...expected.keys()].filter((k) => !seen.has(k)), [], 'no change missing');
  for (const r of inParquet) assert.equal(r.id, Number(expected.get(r.key)!.value!.id), `${r.key}: the row is that change's`);
});

test('crash point mid-rebalance: supervisors sharing a directory, each killed while handing partitions to the next; the next skips what it wrote past its commit', { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-shared-'));
  // One message per batch (an fsync each) keeps the backlog from running out during the seconds a rebalance takes.
  const common = { KAFKA_TOPIC: topic, KAFKA_GROUP: uniqueName('revoking'), OUTPUT_DIR: dir, POOL_SIZE: '1', POOL_BATCH: '1' };
  // Twice in npm test; five times in npm run test:faults. Each newcomer takes half the partitions, so the one
  // running is revoked while it reads a backlog, and dies at the hand-off (CDC_FAULT=pool.revoking).
  const rounds = process.env.CDC_FAULTS_FULL === '1' ? 5 : 2;
  const running: RunningPool[] = [];
  t.after(async () => { for (const p of running) await stopPool(p, 'SIGKILL'); });
  const start = async (n: number, fault: boolean) => {
    const port = await freePort();
    const pool = startPool({ ...common, POOL_INSTANCE: `s${n}`, POOL_METRICS_PORT: String(port), ...(fault ? { CDC_FAULT: 'pool.revoking' } : { POOL_BATCH: '500' }) });
    running.push(pool);
    return { pool, port };
  };
  let current = await start(0, true);
  let skipped = 0;
  for (let round = 1; round <= rounds; round++) {
    const floor = countLines(dir);
    await waitFor(`s${round - 1} to write`, async () => countLines(dir) > floor + 1000, 180_000).catch((err: Error) => {
      throw new Error(`${err.message}; s${round - 1} (exit ${current.pool.proc.exitCode ?? current.pool.proc.signalCode}) said:\n${current.pool.output().slice(-3000)}`);
    });
    skipped += await skippedTotal(current.port);
    const next = await start(round, round < rounds);
    await waitFor(`s${round - 1} to die handing partitions to s${round}`, async () => current.pool.proc.exitCode !== null || current.pool.proc.signalCode !== null, 120_000);
    assert.equal(current.pool.proc.signalCode, 'SIGKILL', `s${round - 1} reached pool.revoking: ${current.pool.output().slice(-1500)}`);
    current = next;
  }
  assert.ok(countLines(dir) < expected.size, 'the crashes happened mid-consumption');
  await waitForLines(dir, expected.size);
  await sleep(2000);
  skipped += await skippedTotal(current.port);
  assert.equal(await stopPool(current.pool), 0);
  const lines = readOutput(dir);
  record({
    suite: 'crash points', fault: `pool: kill -9 at pool.revoking, mid-rebalance (${rounds} times, supervisors sharing a directory, under load)`,
    outcome: `each next supervisor took the partitions after the session timeout; ${skipped} messages the dead one wrote past its commit were skipped`,
    ...tally(lines.map((l) => `${l.line._meta.partition}:${l.line._meta.offset}`), expected.size),
  });
  assertExactlyOnce(lines);
  assert.ok(skipped > 0, 'lines written but not committed before the hand-off were redelivered, and skipped');
  t.diagnostic(`${skipped} redelivered messages skipped after ${rounds} crashes at the hand-off`);
});
