/**
 * Commit-to-line latency: single-row INSERT transactions at a fixed rate through the running source and pool;
 * for each, the time from the commit's acknowledgement to its line appearing in a consumer file.
 */
import mysql from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputWatch } from '../lib/output-watch.js';
import { summarize, type Summary } from '../lib/stats.js';

export interface LatencyResult extends Summary {
  rate: number;
  /** What the writers achieved, changes/s. */
  achievedRate: number;
  written: number;
  /** Lines not seen within the grace period after writing stopped. */
  missing: number;
  /** Each process's CPU use while the rate ran, in % of one core. */
  cpu?: Record<string, string>;
}

export interface LatencyRun {
  mysql: mysql.PoolOptions;
  table: string;
  outputDir: string;
  rate: number;
  seconds: number;
}

const PROBE_IDS_BELOW = -2_000_001_000;

export async function measureLatency(run: LatencyRun): Promise<LatencyResult> {
  // Several single-row INSERTs per round trip (multiple statements, each its own autocommit transaction): the
  // writer must not be the busiest process on the machine. A row's commit time is when its round trip returns,
  // at most the few rows' execution time after its real commit, so latencies are, if anything, understated.
  const pool = mysql.createPool({ ...run.mysql, connectionLimit: 8, multipleStatements: true });
  const [[lowest]] = await pool.query<Array<{ min: number | null } & mysql.RowDataPacket>>(`SELECT MIN(id) AS min FROM \`${run.table}\``);
  // Below the tests' ids (down to -2e9) and below anything an interrupted run left: fresh ids. Deleted afterwards.
  const firstId = Math.min(PROBE_IDS_BELOW, Number(lowest?.min ?? 0) - 1000);
  const watch = new OutputWatch(run.outputDir);
  watch.start();
  const committed = new Map<number, number>();
  const total = Math.round(run.rate * run.seconds);
  const inFlight = new Set<Promise<void>>();
  const insert = `INSERT INTO \`${run.table}\` (id, name, category, price) VALUES (?, ?, ?, ?);`;
  const started = performance.now();
  try {
    let i = 0;
    while (i < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) * run.rate) / 1000) + 1);
      if (due <= i) {
        await sleep(Math.max(1, ((i * 1000) / run.rate) - (performance.now() - started)));
        continue;
      }
      const ids: number[] = [];
      const params: unknown[] = [];
      for (; i < due && ids.length < 50; i++) {
        const id = firstId - i;
        ids.push(id);
        params.push(id, `Latency probe ${i}`, i % 7 === 0 ? 'Electronics' : 'Garden', 9.99);
      }
      const p = pool.query(insert.repeat(ids.length), params)
        .then(() => { const now = performance.now(); for (const id of ids) committed.set(id, now); })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      // Writers that fall behind stall here rather than queue without bound.
      if (inFlight.size >= 16) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const wroteFor = (performance.now() - started) / 1000;
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline && [...committed.keys()].some((id) => !watch.seen.has(id))) await sleep(20);
    const latencies: number[] = [];
    let missing = 0;
    for (const [id, at] of committed) {
      const seen = watch.seen.get(id);
      if (seen === undefined) missing++;
      else latencies.push(Math.max(0, seen - at));
    }
    return { rate: run.rate, achievedRate: Math.round(committed.size / wroteFor), written: committed.size, missing, ...summarize(latencies) };
  } finally {
    // The probe rows go; their deletes pass through the pipeline before the next measurement starts.
    const linesBefore = watch.lines;
    const [res] = await pool.query<mysql.ResultSetHeader>(`DELETE FROM \`${run.table}\` WHERE id <= ? AND id > ?`, [firstId, firstId - total - 1]);
    const deadline = performance.now() + 60_000;
    while (watch.lines < linesBefore + res.affectedRows && performance.now() < deadline) {
      watch.scan();
      await sleep(50);
    }
    watch.stop();
    await pool.end();
  }
}
