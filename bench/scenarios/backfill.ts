/**
 * `npm run backfill --full` of the whole table (topped up to at least `rows` rows first) into a fresh topic:
 * rows per second and peak memory.
 */
import type mysql from 'mysql2/promise';
import { config, isolatedEnv, waitFor } from '../lib/pipeline.js';
import { launch } from '../lib/procs.js';

export interface BackfillResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

export async function tableRows(admin: mysql.Pool): Promise<number> {
  const [[row]] = await admin.query<Array<{ n: number } & mysql.RowDataPacket>>(`SELECT COUNT(*) AS n FROM \`${config.mysql.table}\``);
  return Number(row!.n);
}

export async function backfillRun(opts: { root?: string; chunk?: number }): Promise<BackfillResult> {
  const env = isolatedEnv('backfill');
  const started = performance.now();
  const run = launch('backfill', env, ['--full', '--chunk', String(opts.chunk ?? 5000)], opts.root);
  const code = await waitFor('the backfill to finish', async () => (run.proc.exitCode !== null ? { code: run.proc.exitCode } : undefined), 1_800_000);
  const seconds = (performance.now() - started) / 1000;
  const m = /backfill done: (\d+) rows/.exec(run.output());
  if (code.code !== 0 || !m) throw new Error(`backfill exited ${code.code}: ${run.output().slice(-2000)}`);
  const rows = Number(m[1]);
  return { rows, seconds, rowsPerSecond: Math.round(rows / seconds), peakRssMiB: run.peakRssMiB(), cpuSeconds: run.cpuSeconds() };
}
