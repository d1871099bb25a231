/**
 * Backlogs for catch-up scenarios: a binlog backlog (the generator's workload written while nothing reads it)
 * and a topic backlog (that workload carried to a topic by the source).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import Kafka from 'node-rdkafka';
import { rdkafkaOptions } from '../../src/config/kafka.js';
import { ensureTopic } from '../../src/sink/topics.js';
import { encodeCheckpoint, readCheckpoint } from '../../src/source/checkpoint.js';
import type { BinlogRange } from '../scenarios/source-catchup.js';
import { config, kafkaOf, waitFor, type BenchEnv } from './pipeline.js';
import { ROOT } from './procs.js';

/**
 * The workload: 40 % inserts, 50 % updates, 10 % deletes, 500 changes per transaction (or only inserts,
 * to grow the table). Resolves with the number of changes the generator made.
 */
export async function generate(changes: number, txSize = 500, opts: { insertsOnly?: boolean } = {}): Promise<number> {
  return (await generateCounted(changes, txSize, opts)).changes;
}

/** generate(), with what the generator made of each kind. */
export async function generateCounted(changes: number, txSize = 500, opts: { insertsOnly?: boolean } = {}):
  Promise<{ changes: number; inserted: number; updated: number; deleted: number }> {
  const inserts = opts.insertsOnly ? changes : Math.round(changes * 0.4);
  const updates = opts.insertsOnly ? 0 : Math.round(changes * 0.5);
  const deletes = changes - inserts - updates;
  return new Promise((resolve, reject) => {
    // The compiled generator when there is one (the bench builds dist/ first): the source tree may change meanwhile.
    const entry = existsSync(join(ROOT, 'dist/cli/generate.js')) ? ['dist/cli/generate.js'] : ['--import', 'tsx', 'src/cli/generate.ts'];
    const gen = spawn(process.execPath, [...entry, '--rows', String(inserts), '--updates', String(updates),
      '--deletes', String(deletes), '--tx-size', String(txSize)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    gen.stdout.on('data', (d) => { out += d; });
    gen.on('exit', (code) => {
      // "generated N changes (I inserted, U updated, D deleted) …"
      const m = /generated (\d+) changes \((\d+) inserted, (\d+) updated, (\d+) deleted\)/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`generator exited ${code}: ${out}`));
      resolve({ changes: Number(m[1]), inserted: Number(m[2]), updated: Number(m[3]), deleted: Number(m[4]) });
    });
  });
}

export async function binlogEnd(admin: mysql.Pool): Promise<{ file: string; pos: number }> {
  const [rows] = await admin.query<Array<{ File: string; Position: number } & mysql.RowDataPacket>>('SHOW MASTER STATUS');
  return { file: rows[0]!.File, pos: Number(rows[0]!.Position) };
}

/** Resolves with the checkpoint's change counter once it has reached the binlog's end as it is now. */
export async function caughtUp(env: BenchEnv, admin: mysql.Pool, timeoutMs: number): Promise<number> {
  const end = await binlogEnd(admin);
  return waitFor(`the checkpoint to reach ${end.file}:${end.pos}`, async () => {
    const c = await readCheckpoint(config.kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID).catch(() => undefined);
    return c && (c.file > end.file || (c.file === end.file && c.pos >= end.pos)) ? c.changes : undefined;
  }, timeoutMs);
}

/**
 * Points a fresh source identity at a binlog position, as if a daemon had committed it: each run of a catch-up
 * scenario drains the same binlog range. Written with a plain producer (nothing else writes the new key).
 */
export async function seedCheckpoint(env: BenchEnv, position: { file: string; pos: number; gtid: string | null }): Promise<void> {
  const kafka = kafkaOf(env);
  await ensureTopic(kafka, { name: env.KAFKA_TOPIC, partitions: kafka.partitions });
  await ensureTopic(kafka, { name: env.CHECKPOINT_TOPIC, partitions: 1, config: { 'cleanup.policy': 'compact' } });
  const producer = new Kafka.Producer({ ...rdkafkaOptions(kafka), dr_cb: true } as Kafka.ProducerGlobalConfig);
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    const delivered = new Promise<void>((resolve, reject) => producer.once('delivery-report', (err) => (err ? reject(err) : resolve())));
    producer.setPollInterval(10);
    producer.produce(env.CHECKPOINT_TOPIC, 0, encodeCheckpoint({ ...position, tsMs: 0, changes: 0, writtenAtMs: Date.now(), owner: 'bench' }), Buffer.from(env.SOURCE_ID));
    await delivered;
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

/** MariaDB's GTID position now (for peers that position by GTID). */
export async function gtidNow(admin: mysql.Pool): Promise<string> {
  const [rows] = await admin.query<Array<{ g: string } & mysql.RowDataPacket>>('SELECT @@gtid_binlog_pos AS g');
  return rows[0]!.g;
}

/**
 * The binlog range a catch-up drains: the one a command line gives (a range an earlier run printed, JSON), else a
 * new backlog of the workload written now.
 */
export async function backlogRange(admin: mysql.Pool, changes: number, given?: string): Promise<BinlogRange> {
  if (given) return JSON.parse(given) as BinlogRange;
  const start = { ...(await binlogEnd(admin)), gtid: await gtidNow(admin) };
  process.stdout.write(`building a binlog backlog of ${changes} changes…\n`);
  const generated = await generate(changes);
  return { start, end: await binlogEnd(admin), changes: generated };
}
