/**
 * The whole pipeline catching up a binlog backlog on this machine: a source (fresh identity, checkpoint at the
 * backlog's start) and a pool (fresh group and directory) started together, timed until every change has its
 * line. Peak memory of each process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { seedCheckpoint } from '../lib/backlog.js';
import { LineCounter } from '../lib/line-counter.js';
import { isolatedEnv } from '../lib/pipeline.js';
import { cpuDelta, launch, stackCpuSeconds } from '../lib/procs.js';
import type { BinlogRange } from './source-catchup.js';

export interface PipelineResult {
  changes: number;
  seconds: number;
  changesPerSecond: number;
  peakRssMiB: { source: number; pool: number };
  cpuSeconds: { source: number; pool: number };
  stackCpu: Record<string, number>;
}

export async function pipelineCatchUp(range: BinlogRange, opts: { root?: string; label: string; extraEnv?: Record<string, string> }): Promise<PipelineResult> {
  const env = isolatedEnv(`pipe_${opts.label}`, opts.extraEnv);
  await seedCheckpoint(env, range.start);
  const stackBefore = stackCpuSeconds();
  const started = performance.now();
  const source = launch('source', env, [], opts.root);
  const pool = launch('consumers', env, [], opts.root);
  try {
    const counter = new LineCounter(env.OUTPUT_DIR);
    const deadline = Date.now() + 1_200_000;
    while (counter.update() < range.changes) {
      for (const p of [source, pool]) {
        if (p.proc.exitCode !== null) throw new Error(`${p.name} exited ${p.proc.exitCode}: ${p.output().slice(-2000)}`);
      }
      if (Date.now() > deadline) throw new Error(`the pipeline wrote ${counter.lines} of ${range.changes} lines in 20 minutes`);
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      changes: counter.lines, seconds, changesPerSecond: Math.round(counter.lines / seconds),
      peakRssMiB: { source: source.peakRssMiB(), pool: pool.peakRssMiB() },
      cpuSeconds: { source: source.cpuSeconds(), pool: pool.cpuSeconds() },
      stackCpu: cpuDelta(stackBefore, stackCpuSeconds()),
    };
  } finally {
    await Promise.all([source.stop(), pool.stop()]);
  }
}
