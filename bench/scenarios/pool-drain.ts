/**
 * The pool alone: a topic backlog already written, a fresh group and output directory; lines per second from
 * the supervisor's start until every change has its line.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { countLines } from '../../tests/integration/pool-helpers.js';
import { launch, cpuSeconds } from '../lib/procs.js';
import type { BenchEnv } from '../lib/pipeline.js';

export interface DrainResult {
  lines: number;
  seconds: number;
  linesPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

export async function drainPool(topicEnv: BenchEnv, expected: number, opts: { root?: string; label: string; extraEnv?: Record<string, string> }): Promise<DrainResult> {
  const outputDir = `${topicEnv.OUTPUT_DIR}-${opts.label}-${Date.now().toString(36)}`;
  const env = { ...topicEnv, KAFKA_GROUP: `${topicEnv.KAFKA_GROUP}_${opts.label}_${Date.now().toString(36)}`, OUTPUT_DIR: outputDir, ...opts.extraEnv };
  const started = performance.now();
  const pool = launch('consumers', env, [], opts.root);
  try {
    let lines = 0;
    let lastBytes = -1;
    const deadline = Date.now() + 600_000;
    for (;;) {
      // Counting lines is costly: only when the files have grown.
      const bytes = totalBytes(outputDir);
      if (bytes !== lastBytes) {
        lastBytes = bytes;
        lines = countLines(outputDir);
        if (lines >= expected) break;
      }
      if (pool.proc.exitCode !== null) throw new Error(`pool exited ${pool.proc.exitCode}: ${pool.output().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`pool drained ${lines} of ${expected} lines in 600 s`);
      await sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pool.proc.pid!);
    return { lines, seconds, linesPerSecond: Math.round(lines / seconds), peakRssMiB: pool.peakRssMiB(), cpuSeconds: cpu };
  } finally {
    await pool.stop();
  }
}

function totalBytes(dir: string): number {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.jsonl')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}
