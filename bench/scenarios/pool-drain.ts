/**
 * The pool alone: a topic backlog already written, a fresh group and output directory; lines per second from
 * the supervisor's start until every change has its line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LineCounter } from '../lib/line-counter.js';
import { launch } from '../lib/procs.js';
import type { BenchEnv } from '../lib/pipeline.js';

export interface DrainResult {
  lines: number;
  /** From the supervisor's start to the last line. */
  seconds: number;
  linesPerSecond: number;
  /** From the first line to the last: the rate once the group has formed. */
  steadyLinesPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
}

export async function drainPool(topicEnv: BenchEnv, expected: number, opts: { root?: string; label: string; extraEnv?: Record<string, string> }): Promise<DrainResult> {
  const outputDir = `${topicEnv.OUTPUT_DIR}-${opts.label}-${Date.now().toString(36)}`;
  const env = { ...topicEnv, KAFKA_GROUP: `${topicEnv.KAFKA_GROUP}_${opts.label}_${Date.now().toString(36)}`, OUTPUT_DIR: outputDir, ...opts.extraEnv };
  const started = performance.now();
  const pool = launch('consumers', env, [], opts.root);
  try {
    const counter = new LineCounter(outputDir);
    let firstLineAt = 0;
    const deadline = Date.now() + 600_000;
    while (counter.update() < expected) {
      if (firstLineAt === 0 && counter.lines > 0) firstLineAt = performance.now();
      if (pool.proc.exitCode !== null) throw new Error(`pool exited ${pool.proc.exitCode}: ${pool.output().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`pool drained ${counter.lines} of ${expected} lines in 600 s`);
      await sleep(firstLineAt === 0 ? 10 : 50);
    }
    const lines = counter.lines;
    const seconds = (performance.now() - started) / 1000;
    const cpu = pool.cpuSeconds();
    const steady = (performance.now() - firstLineAt) / 1000;
    return { lines, seconds, linesPerSecond: Math.round(lines / seconds), steadyLinesPerSecond: Math.round(lines / steady), peakRssMiB: pool.peakRssMiB(), cpuSeconds: cpu };
  } finally {
    await pool.stop();
  }
}
