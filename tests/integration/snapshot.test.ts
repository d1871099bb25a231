/**
 * Backfill, cold-start snapshot and the purged-binlog fallback against the real stack.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { RowDataPacket } from 'mysql2';
import type mysql from 'mysql2/promise';
import { adminConnection, freshIdRange } from './helpers.js';
import { isolatedSource, purgeOlderBinlogs, readTopic, startSource, stopSource, waitCaughtUp, waitFor, type Landed } from './source-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Distinct negative ids (the generator never makes those) no other test is given, inserted in bulk. */
async function insertMany(admin: mysql.Connection, n: number, name: string): Promise<number[]> {
  const ids = freshIdRange(n);
  // Only this reserved range: rows a stack kept from before ids were reserved may lie in it.
  await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[n - 1], ids[0]]);
  for (let i = 0; i < n; i += 5000) {
    const slice = ids.slice(i, i + 5000).map((id) => [id, name, 'Books', 3.5]);
    await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [slice]);
  }
  return ids;
}

async function serverNow(admin: mysql.Connection): Promise<Date> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT NOW(3) AS now');
  return rows[0]!.now as Date;
}

/** Applies the topic's events key by key, in partition order: the state a downstream reader would end with. */
function replay(events: Landed[]): Map<number, Record<string, unknown> | null> {
  const state = new Map<number, Record<string, unknown> | null>();
  for (const e of events) if (e.value) state.set(Number(e.key), e.value.op === 'd' ? null : e.value);
  return state;
}

async function assertStateMatchesTable(admin: mysql.Connection, state: Map<number, Record<string, unknown> | null>, ids: number[]): Promise<void> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT id, name, category, price, last_updated FROM product WHERE id IN (?)', [ids]);
  const table = new Map(rows.map((r) => [r.id as number, r]));
  for (const id of ids) {
    const want = table.get(id);
    const got = state.get(id);
    if (!want) {
      assert.ok(got === null || got === undefined, `id ${id} is gone from the table but alive on the topic`);
      continue;
    }
    assert.ok(got, `id ${id} is in the table but not on the topic`);
    assert.equal(got.name, want.name, `id ${id} name`);
    assert.equal(got.price, want.price === null ? null : Math.fround(want.price as number), `id ${id} price`);
    assert.equal(got.last_updated, (want.last_updated as Date).toISOString(), `id ${id} last_updated`);
  }
}

test('backfill of 200k rows: killed at a random chunk, rerun, every row exactly once, same-second rows across chunks', { timeout: 600_000 }, async (t) => {
  const admin = await adminConnection();
  t.after(() => admin.end());
  const env = isolatedSource();
  const since = new Date((await serverNow(admin)).getTime() - 1000);
  const ids = await insertMany(admin, 200_000, 'backfill-row');
  const [seconds] = await admin.query<RowDataPacket[]>('SELECT COUNT(DISTINCT last_updated) AS n FROM product WHERE id IN (?)', [ids]);
  // Small chunks: 800 Kafka transactions, so the kill lands well before the end.
  const args = ['--since', since.toISOString(), '--chunk', '250'];

  const killAt = 20_000 + Math.floor(Math.random() * 100_000);
  const run = () => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/backfill.ts', ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    return { p, out: () => out, exited: new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c))) };
  };
  const a = run();
  // The run takes ~15 s in 800 transactions; kill it at a random moment after its first chunks.
  await waitFor('the backfill to start', async () => /backfilling shop/.test(a.out()), 60_000);
  await sleep(killAt / 25);
  a.p.kill('SIGKILL');
  await a.exited;
  assert.doesNotMatch(a.out(), /backfill done/, 'the first run was killed before it finished');
  const b = run();
  assert.equal(await b.exited, 0, b.out());
  assert.match(b.out(), /resuming the backfill since/);
  assert.match(b.out(), /backfill done: \d+ rows \(resumed\)/);

  const mine = new Set(ids.map(String));
  const events = (await readTopic(env.KAFKA_TOPIC)).filter((l) => mine.has(l.key));
  const counts = new Map<string, number>();
  for (const e of events) {
    assert.equal(e.value!.op, 'r');
    assert.equal((e.value!.source as { snapshot: boolean }).snapshot, true);
    counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  }
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice.slice(0, 5), [], `${twice.length} rows emitted twice`);
  assert.equal(counts.size, ids.length, `${ids.length - counts.size} rows missing`);
  assert.ok(Number(seconds[0]!.n) < ids.length / 250, `${seconds[0]!.n} distinct seconds for ${ids.length / 250} chunks: boundaries fall inside a second`);
  await admin.query('DELETE FROM product WHERE id IN (?)', [ids]);
});

test('cold-start snapshot under concurrent writes: the topic replays to the table, no update before its snapshot row', { timeout: 600_000 }, async (t) => {
  const admin = await adminConnection();
  t.after(() => admin.end());
  // A small table keeps the snapshot short; TRUNCATE writes no row events, so no daemon of another test sees it.
  await admin.query('TRUNCATE TABLE product');
  const seed = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '50000', '--tx-size', '1000'], { cwd: root, stdio: 'ignore' });
  assert.equal(await new Promise((resolve) => seed.on('exit', resolve)), 0);

  const env = isolatedSource({ COLD_START: 'snapshot', SNAPSHOT_CHUNK: '2000' });
  const writes = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '20000', '--updates', '60000', '--deletes', '5000', '--tx-size', '50', '--rate', '12000'], { cwd: root, stdio: 'ignore' });
  const writesDone = new Promise((resolve) => writes.on('exit', resolve));
  await sleep(1500);
  const source = startSource(env);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('the snapshot to finish', async () => /snapshot done: \d+ rows/.test(source.output()), 300_000);
  assert.equal(await writesDone, 0);
  await waitCaughtUp(env, admin, 300_000);
  assert.equal(await stopSource(source), 0);

  const landed = await readTopic(env.KAFKA_TOPIC);
  const events = landed.filter((l) => l.value);
  const sawSnapshot = new Set<string>();
  for (const e of events) {
    if (e.value!.op === 'r') sawSnapshot.add(e.key);
    else if (!sawSnapshot.has(e.key)) {
      // A stream event before the key's snapshot row is only allowed for keys the snapshot never saw.
      assert.ok(!events.some((x) => x.key === e.key && x.value!.op === 'r' && x.offset > e.offset && x.partition === e.partition),
        `key ${e.key}: ${e.value!.op} arrived before its snapshot row`);
    }
  }
  const state = replay(events);
  const [all] = await admin.query<RowDataPacket[]>('SELECT id FROM product');
  const ids = [...new Set([...all.map((r) => r.id as number), ...state.keys()])];
  assert.ok(sawSnapshot.size > 40_000, `${sawSnapshot.size} rows in the snapshot`);
  await assertStateMatchesTable(admin, state, ids).catch((err: Error) => { throw new Error(`${err.message}; the daemon said:\n${source.output().slice(-4000)}`); });
});

test('a purged binlog: restart logs it, falls back to a watermark snapshot, and ends at the true state', { timeout: 600_000 }, async (t) => {
  const admin = await adminConnection();
  t.after(() => admin.end());
  const env = isolatedSource();
  let source = startSource(env);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('the daemon to start streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const before = await insertMany(admin, 300, 'before-purge');
  await waitCaughtUp(env, admin);
  assert.equal(await stopSource(source), 0);

  const whileDown = await insertMany(admin, 300, 'while-down');
  await admin.query("UPDATE product SET name = 'edited-while-down', price = 7.25 WHERE id IN (?)", [before.slice(0, 100)]);
  await admin.query('DELETE FROM product WHERE id IN (?)', [before.slice(100, 150)]);
  await purgeOlderBinlogs(admin);

  // Small chunks: the rows and the reconciled deletes go out in many bounded transactions.
  source = startSource({ ...env, SNAPSHOT_CHUNK: '20' });
  await waitFor('the fallback snapshot', async () => /snapshot done/.test(source.output()), 120_000)
    .catch((err: Error) => { throw new Error(`${err.message}\n${source.output().slice(-3000)}`); });
  assert.match(source.output(), /is no longer on the server \(purged or expired\): falling back to a snapshot of rows changed since/);
  assert.match(source.output(), /reconciled deletes after the purged binlog: 50 keys of shop\.product alive on \S+ are gone from the table \(3 transactions\)/);
  const after = await insertMany(admin, 100, 'after-restart');
  await waitCaughtUp(env, admin);
  assert.equal(await stopSource(source), 0);

  const ids = [...before, ...whileDown, ...after];
  const mine = new Set(ids.map(String));
  const state = replay((await readTopic(env.KAFKA_TOPIC)).filter((l) => mine.has(l.key)));
  await assertStateMatchesTable(admin, state, ids).catch((err: Error) => { throw new Error(`${err.message}; the daemon said:\n${source.output().slice(-4000)}`); });
  assert.equal(state.get(before[0]!)?.name, 'edited-while-down');
});
