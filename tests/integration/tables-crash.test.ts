/**
 * Exactly-once with two captured tables under crashes: a workload of binlog transactions that each write both
 * tables, the source daemon killed (kill -9) five times during it, two of them at the crash points around its
 * commit, then the pool killed four times while it writes both tables' files, two of them at its crash points.
 * Every change is on its topic and in its files once, per-key order holds, and every transaction is whole: on
 * both topics, or (had it not committed) on neither.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2';
import { countLines, readOutput, startPool } from './pool-helpers.js';
import { readTopic, startSource, stopSource, waitCaughtUp, waitFor, type Landed, type RunningSource } from './source-helpers.js';
import { capturedTables, tableDir, tableTopic } from './tables-helpers.js';

const gtidOf = (l: Landed) => String(((l.value!.source ?? l.value!.__source) as { gtid: string }).gtid);
const coordsOf = (l: Landed) => {
  const s = (l.value!.source ?? l.value!.__source) as { file: string; pos: number | bigint; row: number };
  return { file: s.file, pos: Number(s.pos), row: s.row };
};

function assertOncePerChange(events: Landed[], what: string): void {
  const seen = new Set<string>();
  for (const e of events) {
    const c = coordsOf(e);
    const k = `${c.file}:${c.pos}:${c.row}`;
    assert.ok(!seen.has(k), `${what}: change ${k} landed twice`);
    seen.add(k);
  }
}

function assertForwardPerKey(events: Landed[], what: string): void {
  const last = new Map<string, { file: string; pos: number; row: number }>();
  for (const e of events) {
    const c = coordsOf(e);
    const prev = last.get(e.key);
    if (prev) {
      const forward = c.file > prev.file || (c.file === prev.file && (c.pos > prev.pos || (c.pos === prev.pos && c.row > prev.row)));
      assert.ok(forward, `${what} key ${e.key}: ${JSON.stringify(c)} after ${JSON.stringify(prev)}`);
    }
    last.set(e.key, c);
  }
}

test('two tables, transactions writing both, the source killed five times and the pool four (crash points among them): every change once, each transaction whole', { timeout: 900_000 }, async (t) => {
  const e = await capturedTables(t, { orders: 'id INT NOT NULL, region CHAR(2) NOT NULL, total DECIMAL(10,2) NOT NULL, PRIMARY KEY (id, region)' },
    { SOURCE_BATCH_MAX: '500' });
  const orders = e.tables.orders!;
  let source: RunningSource = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);

  let writing = true;
  let transactions = 0;
  const writer = (async () => {
    for (let k = 1; writing; k++) {
      await e.admin.beginTransaction();
      await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, ?, 'Home', 1.5)`, [k, `p${k}`]);
      await e.admin.query(`INSERT INTO \`${orders}\` VALUES (?, 'EU', ?), (?, 'US', ?)`, [k, k, k, k * 2]);
      if (k % 3 === 0) {
        await e.admin.query(`UPDATE \`${e.seed}\` SET price = price + 1 WHERE id = ?`, [k - 2]);
        await e.admin.query(`UPDATE \`${orders}\` SET total = total + 1 WHERE id = ?`, [k - 2]);
      }
      if (k % 7 === 0) {
        await e.admin.query(`DELETE FROM \`${e.seed}\` WHERE id = ?`, [k - 5]);
        await e.admin.query(`DELETE FROM \`${orders}\` WHERE id = ? AND region = 'US'`, [k - 5]);
      }
      await e.admin.commit();
      transactions++;
    }
  })();
  // Five kills: three at random moments, two at the crash points around the commit (records and checkpoint
  // produced, not committed; committed, not yet acknowledged to the batcher).
  const points = [undefined, 'source.produced:3', undefined, 'source.committed:4', undefined];
  for (const point of points) {
    if (point) {
      source.proc.kill('SIGTERM');
      await source.exited;
      source = startSource({ ...e.env, CDC_FAULT: point } as never);
      assert.equal(await source.exited, null, `killed at ${point}: ${source.output().slice(-500)}`);
    } else {
      await sleep(700 + Math.random() * 1300);
      source.proc.kill('SIGKILL');
      await source.exited;
    }
    source = startSource(e.env as never);
    await waitFor('the restarted daemon to resume', async () => source.output().includes('resuming from checkpoint'), 60_000);
  }
  writing = false;
  await writer;
  await waitCaughtUp(e.env as never, e.admin, 300_000);
  assert.equal(await stopSource(source), 0);
  t.diagnostic(`${transactions} transactions, each writing both tables`);

  const seedEvents = (await readTopic(e.env.KAFKA_TOPIC!)).filter((l) => l.value);
  const orderEvents = (await readTopic(tableTopic(e, orders))).filter((l) => l.value);
  assertOncePerChange(seedEvents, 'seed');
  assertOncePerChange(orderEvents, 'orders');
  assertForwardPerKey(seedEvents, 'seed');
  assertForwardPerKey(orderEvents, 'orders');
  // Whole: every transaction (GTID) that reached one topic reached the other, with all its changes.
  const count = (events: Landed[]) => { const m = new Map<string, number>(); for (const x of events) m.set(gtidOf(x), (m.get(gtidOf(x)) ?? 0) + 1); return m; };
  const seedTx = count(seedEvents);
  const orderTx = count(orderEvents);
  assert.equal(seedTx.size, transactions, 'every transaction is on the seed topic');
  assert.deepEqual([...seedTx.keys()].sort(), [...orderTx.keys()].sort(), 'the same transactions on both topics');
  for (const [gtid, n] of orderTx) assert.ok(n >= 2, `transaction ${gtid}: both order rows (${n} changes)`);

  // Replaying each topic gives its table.
  const [seedRows] = await e.admin.query<RowDataPacket[]>(`SELECT id, price FROM \`${e.seed}\``);
  const seedState = new Map<string, Record<string, unknown> | null>();
  for (const x of seedEvents) seedState.set(x.key, x.value!.op === 'd' ? null : x.value!);
  assert.equal([...seedState.values()].filter(Boolean).length, seedRows.length);
  for (const r of seedRows) assert.equal(Math.fround(Number(seedState.get(String(r.id))?.price)), Math.fround(Number(r.price)), `seed ${r.id}`);
  const [orderRows] = await e.admin.query<RowDataPacket[]>(`SELECT id, region, CAST(total AS CHAR) AS total FROM \`${orders}\``);
  const orderState = new Map<string, Record<string, unknown> | null>();
  for (const x of orderEvents) orderState.set(x.key, x.value!.__op === 'd' ? null : x.value!);
  assert.equal([...orderState.values()].filter(Boolean).length, orderRows.length);
  for (const r of orderRows) assert.ok(orderState.get(`[${r.id},"${r.region}"]`), `order ${r.id} ${r.region} on the topic`);

  // The pool, killed five times while it writes both tables' files: every offset of both topics in one line.
  let pool = startPool(e.env);
  t.after(() => pool.proc.kill('SIGKILL'));
  const total = seedEvents.length + orderEvents.length;
  // Four kills: two at random moments, two at the crash points between a batch's append and its fsync, and
  // between the fsync and the offset commit.
  const poolPoints = [undefined, 'pool.appended:3', 'pool.synced:3', undefined];
  for (const [kill, point] of poolPoints.entries()) {
    if (point) {
      pool.proc.kill('SIGKILL');
      await pool.exited;
      pool = startPool({ ...e.env, CDC_FAULT: point });
      assert.equal(await pool.exited, null, `killed at ${point}`);
    } else {
      await waitFor('the pool to write more', async () => countLines(e.outputDir) + countLines(tableDir(e, orders)) > (kill + 1) * total / 8, 120_000);
      pool.proc.kill('SIGKILL');
      await pool.exited;
    }
    pool = startPool(e.env);
  }
  await waitFor(`${total} lines`, async () => countLines(e.outputDir) + countLines(tableDir(e, orders)) >= total, 180_000)
    .catch((err: Error) => { throw new Error(`${err.message} (${countLines(e.outputDir)} + ${countLines(tableDir(e, orders))} written)\n${pool.output().slice(-4000)}`); });
  await sleep(1000);
  pool.proc.kill('SIGTERM');
  await pool.exited;
  const lines = [...readOutput(e.outputDir), ...readOutput(tableDir(e, orders))].map((l) => l.line._meta);
  const keys = lines.map((m) => `${m.topic}:${m.partition}:${m.offset}`);
  assert.equal(new Set(keys).size, keys.length, 'no offset written twice');
  const expected = new Set([
    ...seedEvents.map((x) => `${e.env.KAFKA_TOPIC}:${x.partition}:${x.offset}`),
    ...orderEvents.map((x) => `${tableTopic(e, orders)}:${x.partition}:${x.offset}`),
  ]);
  assert.deepEqual(keys.filter((k) => !expected.has(k)).slice(0, 5), [], 'every line is a change on its table\'s topic');
  assert.equal(keys.length, total, `every change in one line: ${keys.length} of ${total}`);
});
