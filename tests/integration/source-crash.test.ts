/**
 * Exactly-once under crashes: kill -9 of the source daemon at random moments of a 100k-change workload,
 * restarted each time. Afterwards every change is on the topic exactly once (read_committed), in binlog
 * order per key, and replaying the topic gives the table's state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2';
import { changesOnly, runGenerator, readTopic, startSource, stopSource, streamingSource, waitCaughtUp, waitFor, type RunningSource } from './source-helpers.js';



test('kill -9 five times during 100k changes: every change exactly once, in order per key', { timeout: 600_000 }, async (t) => {
  const started = await streamingSource(t, { SOURCE_BATCH_MAX: '2000' });
  const { env, admin } = started;
  let source: RunningSource = started.source;
  t.after(() => stopSource(source, 'SIGKILL'));

  const workload = runGenerator(['--rows', '40000', '--updates', '50000', '--deletes', '10000', '--tx-size', '100', '--rate', '8000']);
  let done = false;
  void workload.then(() => { done = true; }, () => { done = true; });
  let kills = 0;
  const resumedAt: number[] = [];
  while (kills < 5) {
    await sleep(800 + Math.random() * 1800);
    source.proc.kill('SIGKILL');
    await source.exited;
    kills++;
    source = startSource(env);
    const resumed = await waitFor('the restarted daemon to resume', async () => {
      const line = source.output().split('\n').find((l) => l.includes('resuming from checkpoint'));
      return line ? (JSON.parse(line) as { changes: number }).changes : undefined;
    }, 60_000);
    resumedAt.push(resumed);
  }
  const summary = await workload;
  t.diagnostic(`restarts resumed at ${resumedAt.join(', ')} changes`);
  const expected = Number(/generated (\d+) changes/.exec(summary)?.[1]);
  assert.ok(expected > 99_000, summary);
  // The kills hit a running stream: restarts resumed from checkpoints that advanced but were not yet at the end.
  const midStream = resumedAt.filter((n, i) => n > (resumedAt[i - 1] ?? 0) && n < expected);
  assert.ok(midStream.length >= 3, `resumed at ${resumedAt.join(', ')} of ${expected}`);

  await waitCaughtUp(env, admin, 300_000);
  assert.equal(await stopSource(source), 0);

  const events = changesOnly(await readTopic(env.KAFKA_TOPIC));
  const coords = events.map((e) => {
    const s = e.value!.source as { file: string; pos: bigint | number; row: number };
    return { file: s.file, pos: Number(s.pos), row: s.row };
  });
  const seen = new Set<string>();
  for (const c of coords) {
    const k = `${c.file}:${c.pos}:${c.row}`;
    assert.ok(!seen.has(k), `change ${k} landed twice`);
    seen.add(k);
  }
  assert.equal(events.length, expected, `expected ${expected} changes, found ${events.length} after ${kills} kills`);

  // Per key, in partition-offset order, the binlog coordinates only move forward.
  const lastByKey = new Map<string, { file: string; pos: number; row: number }>();
  events.forEach((e, i) => {
    const c = coords[i]!;
    const prev = lastByKey.get(e.key);
    if (prev) {
      const forward = c.file > prev.file || (c.file === prev.file && (c.pos > prev.pos || (c.pos === prev.pos && c.row > prev.row)));
      assert.ok(forward, `key ${e.key}: ${JSON.stringify(c)} after ${JSON.stringify(prev)}`);
    }
    lastByKey.set(e.key, c);
  });

  // Replaying the topic gives the table.
  const state = new Map<number, Record<string, unknown> | null>();
  for (const e of events) state.set(Number(e.key), e.value!.op === 'd' ? null : e.value!);
  const [rows] = await admin.query<RowDataPacket[]>('SELECT id, name, category, price FROM product WHERE id IN (?)', [[...state.keys()]]);
  const table = new Map(rows.map((r) => [r.id as number, r]));
  let compared = 0;
  for (const [id, v] of state) {
    const row = table.get(id);
    if (v === null) {
      assert.equal(row, undefined, `id ${id} deleted on the topic but in the table`);
      continue;
    }
    assert.ok(row, `id ${id} on the topic but not in the table`);
    assert.equal(v.name, row.name, `id ${id} name`);
    assert.equal(v.category, row.category, `id ${id} category`);
    assert.equal(Math.fround(v.price as number), Math.fround(row.price as number), `id ${id} price`);
    compared++;
  }
  assert.ok(compared > 30_000);
});
