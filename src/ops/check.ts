/**
 * `cdc check`: everything the pipeline needs, asked once without streaming anything: the database (account,
 * binlog settings), each captured table (readable, keyed), Kafka (brokers, credentials, the topic), the registry and the output directory.
 * Each gets a verdict and the reason; nothing is created or changed.
 */
import { existsSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Kafka from 'node-rdkafka';
import type mysql from 'mysql2/promise';
import type { ConnectionOptions } from 'mysql2';
import { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { rdkafkaOptions } from '../config/kafka.js';
import { connectClient, disconnectWithin, partitionsOf } from '../kafka/client.js';
import { connectMysql } from '../mysql.js';
import { preflight } from '../source/preflight.js';
import { describeCaptured } from '../source/capture/describe.js';
import { CaptureFilter, tableId } from '../source/capture/filter.js';
import { topicOf } from '../source/capture/tables.js';

export interface Verdict {
  what: string;
  ok: boolean;
  detail: string;
}

async function verdict(what: string, probe: () => Promise<string>): Promise<Verdict> {
  try {
    return { what, ok: true, detail: await probe() };
  } catch (err) {
    return { what, ok: false, detail: (err as Error).message.split('\n')[0]! };
  }
}

async function database(config: Config, options: ConnectionOptions): Promise<string> {
  const facts = await preflight(options);
  const conn: mysql.Connection = await connectMysql(options);
  try {
    const [meta] = await conn.query<Array<{ v: string } & mysql.RowDataPacket>>('SELECT @@binlog_row_metadata AS v').catch(() => [[{ v: 'unknown' }]] as never);
    const rowMetadata = meta[0]?.v ?? 'unknown';
    return `${facts.flavor} at ${config.mysql.host}:${config.mysql.port} as ${config.mysql.user}: binlog ROW with FULL images, ` +
      // preflight has refused anything but FULL; an older server without the setting shows "unknown".
      `row metadata ${rowMetadata}, binlog at ${facts.end.file}:${facts.end.pos}`;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

/**
 * One verdict per captured table: the account can read it (SELECT is what snapshots and backfills need; the
 * binlog needs no grant per table), it has a primary key (or KEYLESS_TABLES allows none), the seed's has its
 * key column id. A table CAPTURE_TABLES names without a pattern must exist and be readable: the account sees only
 * tables it has a grant on, so a missing one is named with the GRANT that fixes it.
 */
async function tables(config: Config, options: ConnectionOptions): Promise<Verdict[]> {
  const conn: mysql.Connection = await connectMysql(options);
  try {
    const filter = new CaptureFilter(config.capture.include, config.capture.exclude);
    const described = await describeCaptured(conn, filter);
    const seen = new Set(described.map((d) => tableId(d.ref)));
    const out: Verdict[] = [];
    for (const name of config.capture.include.filter((p) => !/[*?]/.test(p) && filter.matches(...splitId(p)))) {
      if (seen.has(name)) continue;
      out.push({ what: `table ${name}`, ok: false, detail: `not found, or ${config.mysql.user} has no SELECT on it: ` +
        `GRANT SELECT ON ${name.replace(/^([^.]+)\.(.+)$/, '`$1`.`$2`')} TO '${config.mysql.user}'@'<host>' (or leave it out of CAPTURE_TABLES)` });
    }
    for (const d of described) {
      const id = tableId(d.ref);
      out.push(await verdict(`table ${id}`, async () => {
        const seed = d.ref.db === config.capture.seed.db && d.ref.table === config.capture.seed.table;
        if (seed && d.keyColumns.join() !== 'id') throw new Error(`the seed's table needs the primary key id, which keys its topic; it has (${d.keyColumns.join(', ')})`);
        if (d.keyColumns.length === 0 && config.capture.keyless === 'refuse') {
          throw new Error('no primary key: give it one, leave it out with CAPTURE_EXCLUDE, or set KEYLESS_TABLES=partition-zero');
        }
        await conn.query(`SELECT 1 FROM \`${d.ref.db.replace(/`/g, '``')}\`.\`${d.ref.table.replace(/`/g, '``')}\` LIMIT 1`);
        const topic = topicOf(config.capture, config.kafka.topic, d.ref);
        return `${d.columns.length} columns, key ${d.keyColumns.length ? `(${d.keyColumns.join(', ')})` : 'none (whole row, partition 0)'}, topic ${topic}`;
      }));
    }
    if (out.length === 0) out.push({ what: 'tables', ok: false, detail: `no table ${config.mysql.user} can read matches CAPTURE_TABLES=${config.capture.include.join(',')}` });
    return out;
  } finally {
    await conn.end().catch(() => undefined);
  }
}

function splitId(id: string): [string, string] {
  return [id.slice(0, id.indexOf('.')), id.slice(id.indexOf('.') + 1)];
}

async function kafka(config: Config): Promise<string> {
  const client = await connectClient(
    new Kafka.Producer({ ...rdkafkaOptions(config.kafka), 'allow.auto.create.topics': false } as Kafka.ProducerGlobalConfig),
    'connecting to Kafka', config.kafka, 10_000);
  try {
    const found = await partitionsOf(client, config.kafka.topic, 10_000);
    const topic = found.length === 0
      ? `topic ${config.kafka.topic} does not exist yet (the source creates it with ${config.kafka.partitions} partitions)`
      : found.length === config.kafka.partitions
        ? `topic ${config.kafka.topic} has its ${found.length} partitions`
        : (() => { throw new Error(`topic ${config.kafka.topic} has ${found.length} partitions, KAFKA_PARTITIONS says ${config.kafka.partitions}`); })();
    return `brokers ${config.kafka.brokers} answer (${config.kafka.security.protocol}); ${topic}`;
  } finally {
    await disconnectWithin(client, 10_000);
  }
}

async function registry(config: Config): Promise<string> {
  await new Registry(config.registry).check();
  return `${config.registry.url} serves the Confluent API`;
}

async function output(config: Config): Promise<string> {
  const dir = resolve(config.pool.outputDir);
  if (existsSync(dir)) {
    await access(dir, constants.W_OK).catch(() => { throw new Error(`${dir} is not writable by this user; fix its permissions or OUTPUT_DIR`); });
    return `${dir} is writable`;
  }
  // Not there yet: the pool creates it, in the nearest directory that exists.
  let parent = dirname(dir);
  while (!existsSync(parent)) parent = dirname(parent);
  await access(parent, constants.W_OK).catch(() => { throw new Error(`${dir} does not exist and ${parent} is not writable; create it or fix OUTPUT_DIR`); });
  return `${dir} does not exist yet; the pool creates it in ${parent}`;
}

export async function runChecks(config: Config, mysqlOptions: ConnectionOptions): Promise<Verdict[]> {
  const [db, k, r, o, t] = await Promise.all([
    verdict('database', () => database(config, mysqlOptions)),
    verdict('kafka', () => kafka(config)),
    verdict('registry', () => registry(config)),
    verdict('output', () => output(config)),
    tables(config, mysqlOptions).catch((err: Error) => [{ what: 'tables', ok: false, detail: err.message.split('\n')[0]! }]),
  ]);
  return [db, ...(db.ok ? t : []), k, r, o];
}

export function formatVerdicts(verdicts: Verdict[]): string {
  const width = Math.max(...verdicts.map((v) => v.what.length));
  return `${verdicts.map((v) => `${v.ok ? 'ok  ' : 'FAIL'}  ${v.what.padEnd(width)}  ${v.detail}`).join('\n')}\n`;
}
