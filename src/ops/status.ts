/**
 * What `npm run status` reports: the source's checkpoint against the binlog head, the group's offsets against
 * the topic's end, and what the output directory holds. Each part is read on its own, so one unreachable
 * service leaves the others reported (with the part's error).
 */
import Kafka from 'node-rdkafka';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { connectMysql } from '../mysql.js';
import type { ConnectionOptions } from 'mysql2';
import type { Config } from '../config.js';
import { connectClient, disconnectWithin, endReader, partitionsOf, readToEnd } from '../kafka/client.js';
import { kafkaError } from '../kafka/errors.js';
import { readCheckpoint, type Checkpoint } from '../source/checkpoint.js';
import { MARK_FILE, readMark, type MarkJson } from '../pool/mark-file.js';
import { readManifest, readOtherManifests } from '../pool/segment-manifest.js';
import { closedKey, isClosedOutput, isDeadLetterOutput, parseSegment } from '../pool/segment-name.js';
import { histogramQuantile, parseHistogram } from './histogram.js';
import { describeCaptured } from '../source/capture/describe.js';
import { CaptureFilter, tableId } from '../source/capture/filter.js';
import { topicOf } from '../source/capture/tables.js';
import { tableFolder } from '../pool/table-outputs.js';

export interface BinlogFile {
  name: string;
  size: number;
}

export interface SourceStatus {
  id: string;
  checkpoint: (Omit<Checkpoint, 'snapshot'> & { snapshotRows?: number }) | null;
  head: { file: string; pos: number } | null;
  /** Binlog bytes between the checkpoint and the head, across files; null when unknown. */
  bytesBehind: number | null;
  /** Age of the checkpoint's binlog position (its last transaction's time) when behind, 0 when at the head. */
  secondsBehind: number | null;
  error?: string;
}

export interface PartitionStatus {
  partition: number;
  /** Offset after the last record (including transaction markers). */
  end: number;
  /** The group's committed offset; null when it has none (it would start from the earliest). */
  committed: number | null;
  /** end minus committed (or minus the earliest offset): offsets, counting transaction markers. */
  lag: number;
  /**
   * Records the group has still to write, transaction markers excluded, counted by reading them: always where the
   * lag is at most COUNT_BELOW offsets (a caught-up partition's lag is its last transaction's marker), everywhere
   * with --count; null where not counted.
   */
  pending: number | null;
}

/** Partitions at most this many offsets behind are read to count their records: cheap, and exact where it matters. */
export const COUNT_BELOW = 5000;

export interface GroupStatus {
  group: string;
  topic: string;
  partitions: PartitionStatus[];
  /** Offsets behind, transaction markers included. */
  lag: number;
  /** Records still to write: exact when every partition was counted, else counted ones plus the others' offset lag. */
  pending: number;
  pendingExact: boolean;
  error?: string;
}

export interface OutputStatus {
  dir: string;
  /** Segments being written. */
  open: Array<{ file: string; lines: number; bytes: number }>;
  /** Complete files a loader may take: closed segments (plain or gzip) and files of the one-file layout. */
  closed: { files: number; bytes: number; lines: number };
  lines: number;
  deadLetters: number;
  /** The completeness mark (`_complete.json`), when the pool has written one here. */
  complete?: MarkJson;
  error?: string;
}

/** What the running supervisor's /metrics says about end-to-end latency (cumulative since it started). */
export interface PoolLatencyStatus {
  url: string | null;
  /** Lines observed; null when the endpoint could not be asked. */
  lines: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  error?: string;
}

/** What is captured: the table's columns now, and the value schema the source registered last. */
export interface CaptureStatus {
  table: string;
  columns: Array<{ name: string; type: string }>;
  subject: string;
  version: number | null;
  schemaId: number | null;
  error?: string;
}

/** One captured table: its topic, schema, what the group has still to write of it, what its folder holds. */
export interface TableStatus {
  table: string;
  topic: string;
  seed: boolean;
  columns: number;
  version: number | null;
  schemaId: number | null;
  /** Records of its topic still to write (see GroupStatus.pending) and whether that is exact. */
  pending: number | null;
  pendingExact: boolean;
  /** Offsets behind, transaction markers included. */
  lag: number | null;
  dir: string;
  lines: number | null;
  openFiles: number;
  closedFiles: number;
  error?: string;
}

export interface StatusReport {
  at: string;
  /** The seed's table (MYSQL_DATABASE.MYSQL_TABLE), in detail. */
  capture: CaptureStatus;
  /** Every captured table, the seed's first, in brief. */
  tables: TableStatus[];
  source: SourceStatus;
  group: GroupStatus;
  output: OutputStatus;
  latency: PoolLatencyStatus;
}

/**
 * Binlog bytes from a position to the end of the last file. A checkpoint file the server no longer has
 * (purged) gives null: the distance is unknown, and the source will fall back to a snapshot.
 */
export function bytesBehind(position: { file: string; pos: number }, logs: BinlogFile[]): number | null {
  const at = logs.findIndex((l) => l.name === position.file);
  if (at < 0) return null;
  return Math.max(0, logs[at]!.size - position.pos) + logs.slice(at + 1).reduce((n, l) => n + l.size, 0);
}

export async function sourceStatus(config: Config, mysqlOptions: ConnectionOptions, nowMs = Date.now()): Promise<SourceStatus> {
  const status: SourceStatus = { id: config.source.id, checkpoint: null, head: null, bytesBehind: null, secondsBehind: null };
  const problems: string[] = [];
  try {
    const found = await readCheckpoint(config.kafka, config.source.checkpointTopic, config.source.id);
    if (found) {
      const { snapshot, ...plain } = found;
      status.checkpoint = { ...plain, ...(snapshot ? { snapshotRows: snapshot.rows } : {}) };
    }
  } catch (err) {
    problems.push(`checkpoint: ${(err as Error).message}`);
  }
  try {
    const conn = await connectMysql(mysqlOptions);
    try {
      const [rows] = await conn.query<Array<{ Log_name: string; File_size: number | string } & mysql.RowDataPacket>>('SHOW BINARY LOGS');
      const logs = rows.map((r) => ({ name: r.Log_name, size: Number(r.File_size) }));
      const last = logs[logs.length - 1];
      if (last) status.head = { file: last.name, pos: last.size };
      if (status.checkpoint) {
        status.bytesBehind = bytesBehind(status.checkpoint, logs);
        if (status.bytesBehind === 0) status.secondsBehind = 0;
        else if (status.bytesBehind !== null && status.checkpoint.tsMs > 0) status.secondsBehind = Math.max(0, Math.round((nowMs - status.checkpoint.tsMs) / 1000));
      }
    } finally {
      await conn.end().catch(() => undefined);
    }
  } catch (err) {
    problems.push(`binlog: ${(err as Error).message}`);
  }
  if (problems.length > 0) status.error = problems.join('; ');
  return status;
}

type Consumer = Kafka.KafkaConsumer;

function connect(config: Config, group: string, extra: Record<string, unknown> = {}): Promise<Consumer> {
  return connectClient(endReader(config.kafka, group, { 'client.id': 'status', 'enable.partition.eof': false, ...extra }), 'connecting to Kafka', config.kafka, 20_000);
}

export async function groupStatus(config: Config, options: { count?: boolean; topic?: string } = {}): Promise<GroupStatus> {
  const topic = options.topic ?? config.kafka.topic;
  const status: GroupStatus = { group: config.pool.group, topic, partitions: [], lag: 0, pending: 0, pendingExact: true };
  let consumer: Consumer | undefined;
  try {
    // Joining nothing: a consumer with the group's id only reads its committed offsets, so a running pool is not disturbed.
    consumer = await connect(config, config.pool.group);
    const c = consumer;
    const ids = await partitionsOf(c, topic, 20_000);
    if (ids.length === 0) throw new Error(`topic ${topic} does not exist (yet)`);
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      c.committed(ids.map((partition) => ({ topic, partition })), 20_000, (e, t) => (e ? reject(kafkaError(`committed offsets of ${config.pool.group}`, e)) : resolve(t))));
    for (const partition of ids) {
      const marks = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
        c.queryWatermarkOffsets(topic, partition, 20_000, (e, o) => (e ? reject(kafkaError(`offsets of ${topic}/${partition}`, e)) : resolve(o))));
      const offset = committed.find((t) => t.partition === partition)?.offset;
      const has = typeof offset === 'number' && offset >= 0;
      const start = has ? offset : marks.lowOffset;
      const lag = Math.max(0, marks.highOffset - start);
      status.partitions.push({ partition, end: marks.highOffset, committed: has ? offset : null, lag, pending: lag === 0 ? 0 : null });
    }
    status.lag = status.partitions.reduce((n, p) => n + p.lag, 0);
    await countPending(config, topic, status.partitions.filter((p) => p.lag > 0 && (options.count || p.lag <= COUNT_BELOW)), committed);
    status.pending = status.partitions.reduce((n, p) => n + (p.pending ?? p.lag), 0);
    status.pendingExact = status.partitions.every((p) => p.pending !== null);
  } catch (err) {
    status.error = (err as Error).message;
  } finally {
    if (consumer) await disconnectWithin(consumer, 10_000);
  }
  return status;
}

/** Reads these partitions from the group's position to the end fixed above and counts the records (not markers). */
async function countPending(config: Config, topic: string, open: PartitionStatus[], committed: Kafka.TopicPartitionOffset[]): Promise<void> {
  if (open.length === 0) return;
  for (const p of open) p.pending = 0;
  const reader = await connect(config, `status-count-${process.pid}-${Date.now()}`, { 'enable.partition.eof': true });
  try {
    const byPartition = new Map(open.map((p) => [p.partition, p]));
    await readToEnd(reader, {
      from: open.map((p) => {
        const c = committed.find((t) => t.partition === p.partition)?.offset;
        return { topic, partition: p.partition, offset: typeof c === 'number' && c >= 0 ? c : p.end - p.lag };
      }),
      until: new Map(open.map((p) => [p.partition, p.end])),
      what: `reading ${topic}`, deadlineMs: 120_000, batch: 10_000,
    }, (m) => { byPartition.get(m.partition)!.pending! += 1; });
  } finally {
    await disconnectWithin(reader, 10_000);
  }
}

async function countLines(path: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

export async function outputStatus(config: Config, dir = config.pool.outputDir): Promise<OutputStatus> {
  const status: OutputStatus = { dir, open: [], closed: { files: 0, bytes: 0, lines: 0 }, lines: 0, deadLetters: 0 };
  try {
    const names = (await readdir(dir)).sort();
    // Closed segments' line counts come from the manifest: status stays quick whatever the history.
    const known = Object.assign({}, ...[await readManifest(dir), ...await readOtherManifests(dir)].map((m) => m.closed)) as Record<string, { lines: number }>;
    // With OUTPUT_FORMAT=both a segment is two files: its lines count once.
    const counted = new Set<string>();
    for (const file of names) {
      const s = parseSegment(file);
      const isOpen = s?.state === 'open';
      if (!isOpen && !isClosedOutput(file)) continue;
      const bytes = (await stat(join(dir, file))).size;
      const key = s ? closedKey(s) : file;
      const entry = known[key];
      const again = !isOpen && counted.has(key);
      counted.add(key);
      const lines = again ? 0 : !isOpen && entry ? entry.lines : file.endsWith('.gz') || file.endsWith('.parquet') ? 0 : await countLines(join(dir, file));
      if (isOpen) status.open.push({ file, lines, bytes });
      else {
        status.closed.files++;
        status.closed.bytes += bytes;
        status.closed.lines += lines;
      }
      if (isDeadLetterOutput(file)) status.deadLetters += lines;
      else status.lines += lines;
    }
    const complete = await readMark(join(dir, MARK_FILE));
    if (complete) status.complete = complete;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    status.error = code === 'ENOENT' ? `${dir} does not exist yet (the pool has not run here)` : (err as Error).message;
  }
  return status;
}

const LATENCY = 'cdc_pool_end_to_end_latency_seconds';

/** The pool's end-to-end latency, from its own /metrics on this host (POOL_METRICS_PORT). */
export async function latencyStatus(config: Config): Promise<PoolLatencyStatus> {
  const port = config.ops.poolMetricsPort;
  if (port === null || port === 0) return { url: null, lines: null, p50Ms: null, p99Ms: null, error: 'POOL_METRICS_PORT is off or 0: nothing to ask' };
  const host = config.ops.metricsHost === '0.0.0.0' ? '127.0.0.1' : config.ops.metricsHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const buckets = parseHistogram(await res.text(), LATENCY);
    const lines = buckets.find((b) => !Number.isFinite(b.le))?.count ?? 0;
    const q = (x: number) => { const v = histogramQuantile(x, buckets); return v === null ? null : Math.round(v * 1000); };
    return { url, lines, p50Ms: q(0.5), p99Ms: q(0.99) };
  } catch (err) {
    return { url, lines: null, p50Ms: null, p99Ms: null, error: `no supervisor answering at ${url} (${(err as Error).message})` };
  }
}

export async function captureStatus(config: Config, mysqlOptions: ConnectionOptions): Promise<CaptureStatus> {
  const subject = `${config.kafka.topic}-value`;
  const status: CaptureStatus = { table: `${config.mysql.database}.${config.mysql.table}`, columns: [], subject, version: null, schemaId: null };
  const problems: string[] = [];
  try {
    const conn = await connectMysql(mysqlOptions);
    try {
      const [rows] = await conn.query<Array<{ name: string; type: string } & mysql.RowDataPacket>>(
        'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [config.mysql.database, config.mysql.table]);
      status.columns = rows.map((r) => ({ name: r.name, type: r.type }));
      if (rows.length === 0) problems.push(`table ${status.table} not found (or not readable by ${config.mysql.user})`);
    } finally {
      await conn.end().catch(() => undefined);
    }
  } catch (err) {
    problems.push(`columns: ${(err as Error).message}`);
  }
  try {
    const headers: Record<string, string> = config.registry.auth
      ? { authorization: `Basic ${Buffer.from(`${config.registry.auth.username}:${config.registry.auth.password}`).toString('base64')}` } : {};
    const res = await fetch(`${config.registry.url}/subjects/${encodeURIComponent(subject)}/versions/latest`, { headers, signal: AbortSignal.timeout(3000) });
    if (res.ok) {
      const body = (await res.json()) as { id: number; version: number };
      status.version = body.version;
      status.schemaId = body.id;
    } else if (res.status !== 404) problems.push(`schema: the registry answered HTTP ${res.status}`);
  } catch (err) {
    problems.push(`schema: registry at ${config.registry.url} unreachable (${(err as Error).message})`);
  }
  if (problems.length > 0) status.error = problems.join('; ');
  return status;
}

/** The latest version and id of a subject, or nulls when it has none yet; throws what the registry answered otherwise. */
async function latestSchema(config: Config, subject: string): Promise<{ version: number | null; id: number | null }> {
  const headers: Record<string, string> = config.registry.auth
    ? { authorization: `Basic ${Buffer.from(`${config.registry.auth.username}:${config.registry.auth.password}`).toString('base64')}` } : {};
  const res = await fetch(`${config.registry.url}/subjects/${encodeURIComponent(subject)}/versions/latest`, { headers, signal: AbortSignal.timeout(3000) });
  if (res.status === 404) return { version: null, id: null };
  if (!res.ok) throw new Error(`the registry answered HTTP ${res.status}`);
  const body = (await res.json()) as { id: number; version: number };
  return { version: body.version, id: body.id };
}

/** Every captured table the account can read, in brief; the seed's from the detailed parts already read. */
export async function tablesStatus(config: Config, mysqlOptions: ConnectionOptions, seed: { group: GroupStatus; output: OutputStatus; capture: CaptureStatus },
  options: { count?: boolean } = {}): Promise<TableStatus[]> {
  const seedId = `${config.capture.seed.db}.${config.capture.seed.table}`;
  let ids: Array<{ id: string; columns: number }> = [];
  let problem: string | undefined;
  try {
    const conn = await connectMysql(mysqlOptions);
    try {
      ids = (await describeCaptured(conn, new CaptureFilter(config.capture.include, config.capture.exclude)))
        .map((d) => ({ id: tableId(d.ref), columns: d.columns.length }));
    } finally {
      await conn.end().catch(() => undefined);
    }
  } catch (err) {
    problem = (err as Error).message;
  }
  const seedRow: TableStatus = {
    table: seedId, topic: config.kafka.topic, seed: true, columns: seed.capture.columns.length, version: seed.capture.version, schemaId: seed.capture.schemaId,
    pending: seed.group.error ? null : seed.group.pending, pendingExact: seed.group.pendingExact, lag: seed.group.error ? null : seed.group.lag,
    dir: config.pool.outputDir, lines: seed.output.error ? null : seed.output.lines, openFiles: seed.output.open.length, closedFiles: seed.output.closed.files,
    ...(seed.group.error || seed.output.error ? { error: [seed.group.error, seed.output.error].filter(Boolean).join('; ') } : {}),
  };
  const others = await Promise.all(ids.filter((t) => t.id !== seedId).map(async (t): Promise<TableStatus> => {
    const [db, table] = [t.id.slice(0, t.id.indexOf('.')), t.id.slice(t.id.indexOf('.') + 1)];
    const topic = topicOf(config.capture, config.kafka.topic, { db, table });
    const dir = join(config.pool.outputDir, tableFolder(topic, config.kafka.topic, config.capture.topicPrefix));
    const problems: string[] = [];
    const schema = await latestSchema(config, `${topic}-value`).catch((err: Error) => { problems.push(`schema: ${err.message}`); return { version: null, id: null }; });
    const group = await groupStatus(config, { ...options, topic });
    const output = await outputStatus(config, dir);
    if (group.error && !/does not exist/.test(group.error)) problems.push(group.error);
    const written = output.error ? null : output.lines;
    return {
      table: t.id, topic, seed: false, columns: t.columns, version: schema.version, schemaId: schema.id,
      pending: group.error ? null : group.pending, pendingExact: group.pendingExact, lag: group.error ? null : group.lag,
      dir, lines: written ?? (/does not exist yet/.test(output.error ?? '') ? 0 : null), openFiles: output.open.length, closedFiles: output.closed.files,
      ...(problems.length > 0 ? { error: problems.join('; ') } : {}),
    };
  }));
  return [problem ? { ...seedRow, error: `listing the captured tables: ${problem}` } : seedRow, ...others];
}

export async function collectStatus(config: Config, mysqlOptions: ConnectionOptions, options: { count?: boolean } = {}): Promise<StatusReport> {
  // Each part gives up within a few seconds, so status answers quickly whatever is down.
  const quick = { ...mysqlOptions, connectTimeout: 3000 };
  const [capture, source, group, output, latency] = await Promise.all([
    captureStatus(config, quick), sourceStatus(config, quick), groupStatus(config, options), outputStatus(config), latencyStatus(config),
  ]);
  const tables = await tablesStatus(config, quick, { group, output, capture }, options);
  return { at: new Date().toISOString(), capture, tables, source, group, output, latency };
}
