/**
 * The source alone catching up a binlog backlog: a fresh identity whose checkpoint is the backlog's start, timed
 * from process start until its checkpoint reaches the backlog's end. Also the rate after its first commit.
 */
import type mysql from 'mysql2/promise';
import { seedCheckpoint } from '../lib/backlog.js';
import { CheckpointTail } from '../lib/checkpoint-tail.js';
import { isolatedEnv, kafkaOf, waitFor } from '../lib/pipeline.js';
import { cpuDelta, launch, stackCpuSeconds } from '../lib/procs.js';

export interface CatchUpResult {
  changes: number;
  seconds: number;
  changesPerSecond: number;
  /** From the first committed transaction to the end: start-up (connections, schema registration) left out. */
  afterFirstCommitPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  /** CPU seconds the stack's services used meanwhile. */
  stackCpu: Record<string, number>;
  topic: string;
}

export interface BinlogRange {
  start: { file: string; pos: number; gtid: string | null };
  end: { file: string; pos: number };
  changes: number;
}

export async function sourceCatchUp(range: BinlogRange, opts: { root?: string; label: string; extraEnv?: Record<string, string>; admin: mysql.Pool }): Promise<CatchUpResult> {
  const env = isolatedEnv(`src_${opts.label}`, opts.extraEnv);
  await seedCheckpoint(env, range.start);
  const tail = await CheckpointTail.start(env.CHECKPOINT_TOPIC, env.SOURCE_ID, kafkaOf(env));
  const stackBefore = stackCpuSeconds();
  const started = performance.now();
  const source = launch('source', env, [], opts.root);
  try {
    await waitFor('the source to reach the backlog end', () => tail.reached(range.end), 900_000, [source]);
    const now = performance.now();
    const reached = tail.latest!;
    const seconds = (now - started) / 1000;
    const first = tail.firstChanges;
    const afterFirst = first ? (reached.changes - first.changes) / ((now - first.at) / 1000) : NaN;
    return {
      changes: reached.changes, seconds, changesPerSecond: Math.round(reached.changes / seconds), afterFirstCommitPerSecond: Math.round(afterFirst),
      peakRssMiB: source.peakRssMiB(), cpuSeconds: source.cpuSeconds(), stackCpu: cpuDelta(stackBefore, stackCpuSeconds()), topic: env.KAFKA_TOPIC,
    };
  } finally {
    await source.stop();
    await tail.stop();
  }
}
