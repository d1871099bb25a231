/**
 * Start-up with history: how long a supervisor takes to join its group with N lines already in OUTPUT_DIR,
 * against an empty directory. The lines are written in the one-file-per-consumer layout of earlier versions, so
 * the first start over them is the one-time migration (every line read, the manifest written); the second start
 * is what every later restart costs.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopic } from '../../src/sink/topics.js';
import { config, type BenchEnv } from '../lib/pipeline.js';
import { launch } from '../lib/procs.js';

export interface HistoryStartResult {
  lines: number;
  gib: number;
  /** Spawn to every partition of the topic assigned to one of the consumers, seconds. */
  emptyJoinSeconds: number;
  migrationJoinSeconds: number;
  historyJoinSeconds: number;
  /** Spawn to every consumer subscribed (the output indexed, Kafka connected), seconds. */
  emptySubscribedSeconds: number;
  historySubscribedSeconds: number;
}

/** Lines shaped like the pool's, spread over 10 partitions and five consumer files. */
function writeOldLayout(dir: string, topic: string, lines: number): number {
  let bytes = 0;
  const fds = Array.from({ length: 5 }, (_, i) => openSync(join(dir, `consumer-${i + 1}.jsonl`), 'w'));
  const chunk: string[][] = fds.map(() => []);
  for (let i = 0; i < lines; i++) {
    const partition = i % 10;
    const line = `{"id":${i},"name":"Portable Copper Router ${i}","category":"ELECTRONICS","price":244.55,"list_price":271.72,` +
      `"discount_percent":10,"last_updated":"2026-11-22T04:16:40.000Z","op":"u","_meta":{"topic":"${topic}","partition":${partition},"offset":${Math.floor(i / 10)}}}\n`;
    const writer = chunk[partition % 5]!;
    writer.push(line);
    if (writer.length === 4096) {
      bytes += writeSync(fds[partition % 5]!, writer.join(''));
      writer.length = 0;
    }
  }
  chunk.forEach((writer, i) => { bytes += writeSync(fds[i]!, writer.join('')); });
  fds.forEach((fd) => closeSync(fd));
  return bytes;
}

async function joinSeconds(env: BenchEnv, dir: string, label: string): Promise<{ subscribed: number; assigned: number }> {
  const started = performance.now();
  const pool = launch('consumers', { ...env, OUTPUT_DIR: dir, KAFKA_GROUP: `${env.KAFKA_GROUP}_${label}` });
  try {
    const deadline = Date.now() + 600_000;
    let subscribed = 0;
    const assigned = () => new Set([...pool.output().matchAll(/assigned partitions \[([\d, ]+)\]/g)].flatMap((m) => m[1]!.split(', ')));
    while (assigned().size < config.kafka.partitions) {
      if (!subscribed && (pool.output().match(/joined group/g) ?? []).length >= 5) subscribed = (performance.now() - started) / 1000;
      if (pool.proc.exitCode !== null) throw new Error(`pool exited ${pool.proc.exitCode}: ${pool.output().slice(-1500)}`);
      if (Date.now() > deadline) throw new Error('the pool did not join its group within 600 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { subscribed: subscribed || (performance.now() - started) / 1000, assigned: (performance.now() - started) / 1000 };
  } finally {
    await pool.stop();
  }
}

export async function historyStart(env: BenchEnv, lines: number, log: (line: string) => void): Promise<HistoryStartResult> {
  await ensureTopic(config.kafka, { name: env.KAFKA_TOPIC, partitions: config.kafka.partitions });
  const empty = mkdtempSync(join(tmpdir(), 'bench-history-empty-'));
  const emptyJoin = await joinSeconds(env, empty, 'empty');
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'));
  log(`history: writing ${lines} lines of history`);
  const bytes = writeOldLayout(dir, env.KAFKA_TOPIC, lines);
  const migration = await joinSeconds(env, dir, 'migration');
  const restart = await joinSeconds(env, dir, 'restart');
  rmSync(dir, { recursive: true, force: true });
  return {
    lines, gib: bytes / 2 ** 30, emptyJoinSeconds: emptyJoin.assigned, migrationJoinSeconds: migration.assigned, historyJoinSeconds: restart.assigned,
    emptySubscribedSeconds: emptyJoin.subscribed, historySubscribedSeconds: restart.subscribed,
  };
}
