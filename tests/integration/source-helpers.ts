/** Running the real source daemon as a child process, and reading back what it committed. */
import { setTimeout as sleep } from 'node:timers/promises';
import Kafka from 'node-rdkafka';
import type { RowDataPacket } from 'mysql2';
import type mysql from 'mysql2/promise';
import { Registry } from '../../src/codec/registry.js';
import { fromValueRecord } from '../../src/codec/value-schema.js';
import { unframe } from '../../src/codec/wire.js';
import { readCheckpoint, type BinlogPosition, type Checkpoint } from '../../src/source/checkpoint.js';
import { binlogHead, serverVersion } from '../../src/source/server.js';
import { adminConnection, config, uniqueName } from './helpers.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCommand, stopCommand, type Running } from './process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SourceEnv {
  KAFKA_TOPIC: string;
  CHECKPOINT_TOPIC: string;
  SOURCE_ID: string;
  [key: string]: string;
}

/** A fresh topic, checkpoint topic and identity, so each test reads only its own daemon's output. */
export function isolatedSource(extra: Record<string, string> = {}): SourceEnv {
  const name = uniqueName('src').replace(/[^A-Za-z0-9_-]/g, '_');
  return { KAFKA_TOPIC: `${name}`, CHECKPOINT_TOPIC: `${name}_ckpt`, SOURCE_ID: name, COLD_START: 'latest', ...extra };
}

export type RunningSource = Running;

export function startSource(env: SourceEnv): RunningSource {
  return startCommand('src/cli/source.ts', { LOG_LEVEL: 'info', ...env });
}

export const stopSource = stopCommand;

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** Where the binlog ends now, on either server. */
export async function binlogEnd(admin: mysql.Connection): Promise<{ file: string; pos: number }> {
  const { file, pos } = await binlogEndWithGtids(admin);
  return { file, pos };
}

/** Where the binlog ends now, with the GTID position (MariaDB) or executed set (MySQL) there. */
export async function binlogEndWithGtids(admin: mysql.Connection): Promise<BinlogPosition> {
  return (await binlogHead(admin, await serverVersion(admin)))!;
}

/** Resolves once the daemon's committed checkpoint has reached the binlog's current end. */
export async function waitCaughtUp(env: SourceEnv, admin: mysql.Connection, timeoutMs = 120_000): Promise<Checkpoint> {
  const end = await binlogEnd(admin);
  return waitFor(`checkpoint at ${end.file}:${end.pos}`, async () => {
    const c = await readCheckpoint(config.kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID).catch(() => undefined);
    return c && (c.file > end.file || (c.file === end.file && c.pos >= end.pos)) ? c : undefined;
  }, timeoutMs);
}

export interface Landed {
  partition: number;
  offset: number;
  key: string;
  schemaId: number | null;
  /** Decoded with the writer schema, NULLs restored; null for a tombstone. */
  value: Record<string, unknown> | null;
  raw: Buffer | null;
}

/** Everything committed on the topic (read_committed), in partition-offset order. */
export async function readTopic(topic: string, registry = new Registry(config.registry.url)): Promise<Landed[]> {
  const consumer = new Kafka.KafkaConsumer({
    'metadata.broker.list': config.kafka.brokers, 'group.id': uniqueName('reader'), 'enable.auto.commit': false,
    'enable.partition.eof': true, 'isolation.level': 'read_committed',
  }, { 'auto.offset.reset': 'earliest' });
  await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    const meta = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
    const partitions = meta.topics.find((t) => t.name === topic)?.partitions.map((p) => p.id) ?? [];
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 0 })));
    const eof = new Set<number>();
    consumer.on('partition.eof', (p) => eof.add(p.partition));
    const out: Landed[] = [];
    const deadline = Date.now() + 120_000;
    while (eof.size < partitions.length) {
      if (Date.now() > deadline) throw new Error(`reading ${topic}: no end after 120 s`);
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))));
      for (const m of batch) {
        let value: Record<string, unknown> | null = null;
        let schemaId: number | null = null;
        if (m.value) {
          const { schemaId: id, body } = unframe(m.value);
          schemaId = id;
          value = fromValueRecord((await registry.typeOf(id)).fromBuffer(body) as Record<string, unknown>);
        }
        out.push({ partition: m.partition, offset: m.offset, key: m.key!.toString(), schemaId, value, raw: m.value ?? null });
      }
    }
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

export const changesOnly = (landed: Landed[]) => landed.filter((l) => l.value !== null);

/** A daemon on its own topics, streaming, with an admin connection; both cleaned up after the test. */
export async function streamingSource(t: { after(fn: () => unknown): void }, extra: Record<string, string> = {}) {
  const env = isolatedSource(extra);
  const admin = await adminConnection();
  t.after(() => admin.end());
  const source = startSource(env);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('the daemon to start streaming', async () => source.output().includes('starting at the binlog'), 60_000)
    .catch((err: Error) => { throw new Error(`${err.message}; the daemon said:\n${source.output().split('\n').slice(-20).join('\n')}`); });
  return { env, admin, source };
}

/** Runs `generate` with these arguments; resolves with what it printed. */
export function runGenerator(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`generator exited ${code}`))));
  });
}

/**
 * Makes every binlog the server has, but a fresh current one, purged: the checkpoint of a stopped source then
 * names a file that is gone.
 */
export async function purgeOlderBinlogs(admin: mysql.Connection): Promise<void> {
  await admin.query('FLUSH BINARY LOGS');
  await admin.query('FLUSH BINARY LOGS');
  // MariaDB silently keeps a file a binlog-dump thread is reading; the daemon is down, so any such thread is stale.
  const [dumps] = await admin.query<RowDataPacket[]>("SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'");
  for (const d of dumps) await admin.query(`KILL ${Number(d.id)}`).catch(() => undefined);
  await waitFor('killed binlog-dump threads to end', async () => {
    const [left] = await admin.query<RowDataPacket[]>("SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'");
    return left.length === 0;
  }, 30_000);
  const current = (await binlogEnd(admin)).file;
  // A file is kept until the server's binlog checkpoint has passed it, which lags a FLUSH: retry until it goes.
  await waitFor('every older binlog, the checkpoint\'s included, to be purged', async () => {
    await admin.query(`PURGE BINARY LOGS TO '${current}'`);
    const [logs] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
    return logs.length === 1 && logs[0]!.Log_name === current;
  }, 60_000);
}
