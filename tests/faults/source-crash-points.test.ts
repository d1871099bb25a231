/**
 * The source crashed exactly where exactly-once is hardest, five times each under a running workload: after
 * producing a transaction's records but before its commit, right after a commit before the next read, and
 * between a backfill chunk's records and its commit, and between the purged-binlog fallback's reconciled deletes and
 * their commit. Every change is on the topic once, in order per key.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminConnection } from '../integration/helpers.js';
import { startCommand } from '../integration/process.js';
import { changesOnly, runGenerator, isolatedSource, purgeOlderBinlogs, readTopic, startSource, stopSource, streamingSource, waitCaughtUp, waitFor, type RunningSource } from '../integration/source-helpers.js';
import { record, tally } from './report.js';

const ROUNDS = 5;


async function crashed(r: RunningSource, what: string): Promise<void> {
  await waitFor(`the process to crash at ${what}`, async () => r.proc.signalCode !== null || r.proc.exitCode !== null, 120_000);
  assert.equal(r.proc.signalCode, 'SIGKILL', `${what} was reached: ${r.output().slice(-1500)}`);
}

for (const point of ['source.produced', 'source.committed'] as const) {
  test(`source: kill -9 at ${point}, ${ROUNDS} times under load: every change once, in order per key`, { timeout: 900_000 }, async (t) => {
    const started = await streamingSource(t, { SOURCE_BATCH_MAX: '500' });
    const { env, admin } = started;
    let source: RunningSource = started.source;
    t.after(() => stopSource(source, 'SIGKILL'));
    // About 30 s of writes: every round crashes while changes still arrive.
    const workload = runGenerator(['--rows', '20000', '--updates', '20000', '--deletes', '5000', '--tx-size', '50', '--rate', '1500']);
    await stopSource(source);
    for (let round = 0; round < ROUNDS; round++) {
      source = startSource({ ...env, SOURCE_BATCH_MAX: '500', CDC_FAULT: `${point}:${2 + Math.floor(Math.random() * 20)}` });
      await crashed(source, point);
    }
    source = startSource(env);
    const summary = await workload;
    const expected = Number(/generated (\d+) changes/.exec(summary)?.[1]);
    await waitCaughtUp(env, admin, 300_000);
    assert.equal(await stopSource(source), 0);

    const events = changesOnly(await readTopic(env.KAFKA_TOPIC));
    const coords = events.map((e) => {
      const s = e.value!.source as { file: string; pos: bigint | number; row: number };
      return { key: e.key, file: s.file, pos: Number(s.pos), row: s.row };
    });
    const counts = tally(coords.map((c) => `${c.file}:${c.pos}:${c.row}`), expected);
    record({
      suite: 'crash points', fault: `source: kill -9 at ${point} (${ROUNDS} times, while 1500 changes/s are written)`,
      outcome: point === 'source.produced' ? 'the open Kafka transaction is aborted by the next start (fenced); it resumes from the last committed checkpoint'
        : 'the committed transaction holds its checkpoint: the next start resumes after it, nothing is produced twice',
      ...counts,
    });
    assert.deepEqual(counts, { lost: 0, duplicated: 0 });
    const last = new Map<string, { file: string; pos: number; row: number }>();
    for (const c of coords) {
      const prev = last.get(c.key);
      if (prev) assert.ok(c.file > prev.file || (c.file === prev.file && (c.pos > prev.pos || (c.pos === prev.pos && c.row > prev.row))), `key ${c.key} went back`);
      last.set(c.key, c);
    }
  });
}

test(`backfill: kill -9 between a chunk's records and its commit, ${ROUNDS} times: every row once`, { timeout: 900_000 }, async (t) => {
  const admin = await adminConnection();
  t.after(() => admin.end());
  const env = isolatedSource();
  const [[now]] = await admin.query<Array<{ t: Date } & import('mysql2').RowDataPacket>>('SELECT UTC_TIMESTAMP() AS t');
  const since = new Date(new Date(now!.t).getTime() - 1000);
  const base = -2_110_000_000;
  const ids = Array.from({ length: 20_000 }, (_, i) => base - i);
  await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[ids.length - 1], ids[0]]);
  for (let i = 0; i < ids.length; i += 5000) {
    await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.slice(i, i + 5000).map((id) => [id, 'backfilled', 'Toys', 1])]);
  }
  const args = ['--since', since.toISOString(), '--chunk', '200'];
  for (let round = 0; round < ROUNDS; round++) {
    const run = startCommand('src/cli/backfill.ts', { ...env, CDC_FAULT: `snapshot.chunk:${2 + Math.floor(Math.random() * 10)}` }, args);
    await crashed(run, 'snapshot.chunk');
  }
  const finish = startCommand('src/cli/backfill.ts', env, args);
  assert.equal(await finish.exited, 0, finish.output().slice(-1500));
  const mine = new Set(ids.map(String));
  const events = (await readTopic(env.KAFKA_TOPIC)).filter((l) => mine.has(l.key));
  const counts = tally(events.map((e) => e.key), ids.length);
  record({
    suite: 'crash points', fault: `backfill: kill -9 between a chunk's records and its commit (${ROUNDS} times, 200-row chunks)`,
    outcome: 'the uncommitted chunk is aborted; each rerun resumes after the last committed chunk', ...counts,
  });
  assert.deepEqual(counts, { lost: 0, duplicated: 0 });
  await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[ids.length - 1], ids[0]]);
});

test(`purged-binlog fallback: kill -9 between reconciled deletes and their commit, ${ROUNDS} times: each delete once`, { timeout: 900_000 }, async (t) => {
  const base = -2_120_000_000;
  const ids = Array.from({ length: 3000 }, (_, i) => base - i);
  // Rows an earlier run left behind go before the source starts, so their deletes are not on this topic.
  const cleaner = await adminConnection();
  await cleaner.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[ids.length - 1], ids[0]]);
  await cleaner.end();
  const started = await streamingSource(t);
  const { env, admin } = started;
  await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.map((id) => [id, 'reconciled', 'Toys', 1])]);
  await waitCaughtUp(env, admin, 120_000);
  assert.equal(await stopSource(started.source), 0);
  // While the source is down: 1000 rows go, and the binlog that said so is purged. Only the fallback's
  // reconciliation can tell: ten transactions of 100 deletes.
  const gone = ids.slice(0, 1000);
  await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [gone[gone.length - 1], gone[0]]);
  await purgeOlderBinlogs(admin);
  let source: RunningSource | undefined;
  t.after(() => source && stopSource(source, 'SIGKILL'));
  for (let round = 0; round < ROUNDS; round++) {
    source = startSource({ ...env, SNAPSHOT_CHUNK: '100', CDC_FAULT: 'source.reconcile:2' });
    await crashed(source, 'source.reconcile');
  }
  source = startSource({ ...env, SNAPSHOT_CHUNK: '100' });
  await waitFor('the fallback to finish', async () => /snapshot done/.test(source!.output()), 120_000);
  const resumed = /reconciled deletes after the purged binlog: (\d+) keys/.exec(source.output());
  assert.ok(resumed && Number(resumed[1]) < gone.length, `each crash kept the deletes committed before it: ${resumed?.[0]}`);
  await waitCaughtUp(env, admin);
  assert.equal(await stopSource(source), 0);

  const mine = new Set(ids.map(String));
  const deletes = changesOnly(await readTopic(env.KAFKA_TOPIC)).filter((l) => mine.has(l.key) && l.value!.op === 'd').map((l) => l.key);
  const counts = tally(deletes, gone.length);
  const wrong = deletes.filter((k) => !gone.map(String).includes(k));
  record({
    suite: 'crash points', fault: `source: kill -9 at source.reconcile, during the purged-binlog fallback (${ROUNDS} times, 100-key delete transactions)`,
    outcome: 'the open delete transaction is aborted; the next start reads the deletes already committed and reconciles only the rest', ...counts,
  });
  assert.deepEqual(wrong, [], 'no delete for a row still in the table');
  assert.deepEqual(counts, { lost: 0, duplicated: 0 });
  await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[ids.length - 1], ids[0]]);
});
