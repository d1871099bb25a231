/** A source and a pool on their own topic, group and directory, for the fault suite's cases. */
import type { TestContext } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import type { OutputLine } from '../../src/pool/transform.js';
import { adminConnection, uniqueName } from '../integration/helpers.js';
import { readOutput, startPool, stopPool, type RunningPool } from '../integration/pool-helpers.js';
import { isolatedSource, startSource, stopSource, waitFor, type SourceEnv } from '../integration/source-helpers.js';
import type { Running } from '../integration/process.js';

export interface FaultPipeline {
  admin: mysql.Connection;
  env: SourceEnv;
  poolEnv: { KAFKA_TOPIC: string; KAFKA_GROUP: string; OUTPUT_DIR: string } & Record<string, string>;
  source: Running;
  pool: RunningPool;
  /** Output lines of these ids, in file order per writer. */
  linesOf: (ids: number[]) => OutputLine[];
  /** Waits until `n` lines of these ids are written (and a little longer, so a duplicate would show). */
  waitLines: (ids: number[], n: number, what: string) => Promise<OutputLine[]>;
  restartSource: (extra?: Record<string, string>) => Promise<void>;
  /** Kills the pool (kill -9) and starts it again: its open segments are scanned at start. */
  killAndRestartPool: () => Promise<void>;
}

export async function faultPipeline(t: TestContext, extraPool: Record<string, string> = {}): Promise<FaultPipeline> {
  const admin = await adminConnection();
  await admin.query("SET time_zone = '+00:00'");
  const env = isolatedSource();
  const poolEnv: FaultPipeline['poolEnv'] = { KAFKA_TOPIC: env.KAFKA_TOPIC, KAFKA_GROUP: uniqueName('faults'), OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'faults-')), ...extraPool };
  const p: FaultPipeline = {
    admin, env, poolEnv,
    source: startSource(env),
    pool: startPool(poolEnv),
    linesOf: (ids) => {
      const want = new Set(ids);
      return readOutput(poolEnv.OUTPUT_DIR).map((l) => l.line).filter((l) => want.has(l.id));
    },
    waitLines: async (ids, n, what) => {
      await waitFor(what, async () => p.linesOf(ids).length >= n, 120_000)
        .catch((err: Error) => { throw new Error(`${err.message}\n${p.source.output().slice(-1500)}\n${p.pool.output().slice(-1500)}`); });
      await new Promise((r) => setTimeout(r, 300));
      return p.linesOf(ids);
    },
    restartSource: async (extra = {}) => {
      await stopSource(p.source);
      p.source = startSource({ ...env, ...extra });
      await waitFor('the source to stream again', async () => /resuming from checkpoint|starting at the binlog/.test(p.source.output()), 60_000);
    },
    killAndRestartPool: async () => {
      await stopPool(p.pool, 'SIGKILL');
      p.pool = startPool(poolEnv);
      await waitFor('the pool to join again', async () => /joined group/.test(p.pool.output()), 60_000)
        .catch((err: Error) => { throw new Error(`${err.message}\n${p.pool.output().slice(-1500)}`); });
    },
  };
  t.after(async () => {
    await stopSource(p.source, 'SIGKILL');
    await stopPool(p.pool, 'SIGKILL');
    await p.admin.end().catch(() => undefined); // a test may have replaced it (after a MariaDB restart)
  });
  await waitFor('the source to stream', async () => p.source.output().includes('starting at the binlog'), 60_000);
  await waitFor('the pool to join', async () => /joined group/.test(p.pool.output()), 60_000);
  return p;
}
