/**
 * The seed design as a benchmark peer: bench/peers/python/poller.py drains a backlog already written to the
 * table, on a fresh topic, until idle. Measured: its rate, memory and CPU, and what of the workload it never
 * delivers.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import mysql from 'mysql2/promise';
import Kafka from 'node-rdkafka';
import { loadConfig } from '../../src/config.js';
import { rdkafkaOptions } from '../../src/config/kafka.js';
import { unframe } from '../../src/codec/wire.js';
import { mysqlOptions } from '../../src/mysql.js';
import { ensurePythonEnv } from '../lib/python.js';
import { cpuSeconds } from '../lib/procs.js';

const POLLER = fileURLToPath(new URL('./python/poller.py', import.meta.url));
const SEED_SCHEMA = fileURLToPath(new URL('../../schemas/product-seed.avsc', import.meta.url));
const PARTITIONS = 10;

/**
 * Every change of the workload should reach the topic as one event; the poller sends at most one event per
 * row per poll, the row as it is then, and nothing for a deleted row. So:
 * - missedDeletes = deletes: a poller never sees a delete.
 * - missedUpdates = workloadChanges − deletes − events, counting the events of rows changed up to `until`:
 *   inserts and updates that produced no event of their own, because later changes of the row collapsed them
 *   into one, or the row was skipped (same-second rows behind the watermark), or deleted before a poll read it.
 *   0 at least (other writers' rows in the window would count as events).
 * - missedTotal = missedUpdates + missedDeletes.
 * - staleFinalRows: of the rows changed in the window (since < last_updated <= until) and of the ids on the topic,
 *   those whose last value on the topic is not the table's row now: never sent (notOnTopic), sent with other
 *   values (differs), or sent but deleted since (deletedButOnTopic). A reader of the topic gets these wrong
 *   for good; rows deleted before the poller sent them are not among them (missedDeletes counts those).
 */
export interface PollerResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  afterFirstRowPerSecond: number;
  peakRssMiB: number;
  cpuSeconds: number;
  /** Of the workload's changes: how many reached the topic as the row's final state vs never delivered. */
  missedUpdates: number;
  missedDeletes: number;
  missedTotal: number;
  workloadChanges: number;
  staleFinalRows: number;
  stale: { notOnTopic: number; differs: number; deletedButOnTopic: number };
}

interface PollerSummary {
  rows: number;
  seconds: number;
  afterFirstRowSeconds: number;
  cpuSeconds: number;
}

interface Product {
  id: number;
  name: string;
  category: string;
  price: number;
  lastUpdatedMs: number;
}

export interface PollerOptions {
  since: Date;
  /** When the workload ended: rows changed later (other writers) are left out of the counts. Default: no bound. */
  until?: Date;
  workloadChanges: number;
  deletes: number;
  /** Rows per poll (the seed's LIMIT). */
  batch?: number;
  idleSeconds?: number;
  /** The poller is killed after this long (default 10 min). */
  timeoutMs?: number;
  log?: (s: string) => void;
}

export async function pollerCatchUp(opts: PollerOptions): Promise<PollerResult> {
  const log = opts.log ?? (() => undefined);
  const config = loadConfig();
  const python = await ensurePythonEnv(log);
  const topic = `bench_seed_poller_${process.pid}_${Date.now().toString(36)}`;
  log(`poller: draining rows changed after ${opts.since.toISOString()} to ${topic}`);
  const child = spawn(python, [POLLER, '--topic', topic, '--table', config.mysql.table, '--since', opts.since.toISOString(), '--until-idle', String(opts.idleSeconds ?? 2),
    '--partitions', String(PARTITIONS), '--batch', String(opts.batch ?? 5000)], {
    env: {
      ...process.env, MYSQL_HOST: config.mysql.host, MYSQL_PORT: String(config.mysql.port), MYSQL_USER: config.mysql.user,
      MYSQL_PASSWORD: config.mysql.password, MYSQL_DATABASE: config.mysql.database, KAFKA_BROKERS: config.kafka.brokers,
      SCHEMA_REGISTRY_URL: config.registry.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  let peakRss = 0;
  let cpu = 0;
  const sample = () => {
    peakRss = Math.max(peakRss, ownRssMiB(child.pid!));
    cpu = Math.max(cpu, cpuSeconds(child.pid!));
  };
  const timer = setInterval(sample, 200);
  // librdkafka's flush waits for ever on a broker that is gone.
  const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  }).finally(() => { clearInterval(timer); clearTimeout(kill); });
  const last = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`poller.py exited ${code}:\n${out.slice(-3000)}`);
  const summary = JSON.parse(last) as PollerSummary;
  log(`poller: ${last}`);

  const onTopic = await readTopic(config, topic, opts.until?.getTime() ?? Infinity).finally(() => deleteTopic(config, topic));
  if (onTopic.messages !== summary.rows) log(`poller: ${onTopic.messages} messages on ${topic} but the poller counted ${summary.rows} rows`);
  const now = await tableSince(config, opts.since, opts.until, [...onTopic.last.keys()]);
  const stale = { notOnTopic: 0, differs: 0, deletedButOnTopic: 0 };
  for (const [id, row] of now) {
    const sent = onTopic.last.get(id);
    if (!sent) stale.notOnTopic++;
    else if (!sameProduct(sent, row)) stale.differs++;
  }
  for (const id of onTopic.last.keys()) if (!now.has(id)) stale.deletedButOnTopic++;

  const missedUpdates = Math.max(0, opts.workloadChanges - opts.deletes - onTopic.inWindow);
  return {
    rows: summary.rows,
    seconds: summary.seconds,
    rowsPerSecond: Math.round(summary.rows / summary.seconds),
    afterFirstRowPerSecond: Math.round(summary.rows / Math.max(summary.afterFirstRowSeconds, 1e-3)),
    peakRssMiB: Math.round(peakRss * 10) / 10,
    // The process's own getrusage too: /proc can no longer be read once it has exited.
    cpuSeconds: Math.max(cpu, summary.cpuSeconds),
    missedUpdates,
    missedDeletes: opts.deletes,
    missedTotal: missedUpdates + opts.deletes,
    workloadChanges: opts.workloadChanges,
    staleFinalRows: stale.notOnTopic + stale.differs + stale.deletedButOnTopic,
    stale,
  };
}

/**
 * The process's own RSS, without its children: mysql-connector vforks `lsb_release` at connect, and a vforked
 * child shows its parent's RSS, which procs.ts's rssMiB would add a second time.
 */
function ownRssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function sameProduct(a: Product, b: Product): boolean {
  // FLOAT: the topic holds a float32, the table's value comes back as a double of its text form.
  return a.name === b.name && a.category === b.category && Math.fround(a.price) === Math.fround(b.price) && a.lastUpdatedMs === b.lastUpdatedMs;
}

/** The table's rows changed after `since` (up to `until`), and whichever of `ids` still exist, by id. */
async function tableSince(config: ReturnType<typeof loadConfig>, since: Date, until: Date | undefined, ids: number[]): Promise<Map<number, Product>> {
  const db = await mysql.createConnection(mysqlOptions(config, 'pipeline'));
  try {
    // The session in UTC, as the poller's: `since` is compared in the session's time zone.
    await db.query("SET time_zone = '+00:00'");
    const rows: Array<Record<string, unknown>> = [];
    const select = `SELECT id, name, category, price, last_updated FROM \`${config.mysql.table}\``;
    const [changed] = await db.query<mysql.RowDataPacket[]>(`${select} WHERE last_updated > ?${until ? ' AND last_updated <= ?' : ''}`, [since, until]);
    for (const r of changed) rows.push(r); // not push(...): a spread of 100k+ rows overflows the stack
    for (let i = 0; i < ids.length; i += 10_000) {
      const [found] = await db.query<mysql.RowDataPacket[]>(`${select} WHERE id IN (?)`, [ids.slice(i, i + 10_000)]);
      for (const r of found) rows.push(r);
    }
    return new Map(rows.map((r) => [Number(r.id), {
      id: Number(r.id), name: String(r.name), category: String(r.category), price: Number(r.price),
      lastUpdatedMs: (r.last_updated as Date).getTime(),
    }]));
  } finally {
    await db.end();
  }
}

/**
 * The last value per id on the topic (Confluent-framed Avro of the seed's Product) among messages whose row was
 * changed up to `untilMs`, how many those are, and the count of all messages.
 */
async function readTopic(config: ReturnType<typeof loadConfig>, topic: string, untilMs: number): Promise<{ messages: number; inWindow: number; last: Map<number, Product> }> {
  const type = avro.Type.forSchema(JSON.parse(readFileSync(SEED_SCHEMA, 'utf8')) as avro.Schema);
  const consumer = new Kafka.KafkaConsumer({
    ...rdkafkaOptions(config.kafka), 'group.id': `${topic}_reader`, 'enable.auto.commit': false, 'fetch.wait.max.ms': 10,
  } as Kafka.ConsumerGlobalConfig, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const remaining = new Map<number, number>();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const high = await new Promise<number>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, partition, 30_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))));
      if (high > 0) remaining.set(partition, high);
    }
    consumer.assign([...remaining.keys()].map((partition) => ({ topic, partition, offset: 0 })));
    const last = new Map<number, Product>();
    let messages = 0;
    let inWindow = 0;
    const deadline = Date.now() + 120_000;
    while (remaining.size > 0) {
      if (Date.now() > deadline) throw new Error(`reading ${topic}: partitions ${[...remaining.keys()].join(', ')} not read to their end within 120 s`);
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))));
      for (const m of batch) {
        messages++;
        const r = type.fromBuffer(unframe(m.value!).body) as { id: number; name: string; category: string; price: number; last_updated: string };
        const lastUpdatedMs = Date.parse(r.last_updated);
        if (lastUpdatedMs <= untilMs) {
          inWindow++;
          last.set(r.id, { id: r.id, name: r.name, category: r.category, price: r.price, lastUpdatedMs });
        }
        if (m.offset + 1 >= (remaining.get(m.partition) ?? Infinity)) remaining.delete(m.partition);
      }
    }
    return { messages, inWindow, last };
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

async function deleteTopic(config: ReturnType<typeof loadConfig>, topic: string): Promise<void> {
  const admin = Kafka.AdminClient.create(rdkafkaOptions(config.kafka) as Kafka.GlobalConfig);
  try {
    await new Promise<void>((resolve, reject) => admin.deleteTopic(topic, 30_000, (err) => (err ? reject(err) : resolve())));
  } finally {
    admin.disconnect();
  }
}
