/**
 * `cdc check`: everything the pipeline needs, asked once without streaming anything: the database (account,
 * binlog settings, the table), Kafka (brokers, credentials, the topic), the registry and the output directory.
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
    const [cols] = await conn.query<Array<{ name: string; key: string } & mysql.RowDataPacket>>(
      'SELECT COLUMN_NAME AS name, COLUMN_KEY AS `key` FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [config.mysql.database, config.mysql.table]);
    if (cols.length === 0) throw new Error(`table ${config.mysql.database}.${config.mysql.table} not found, or ${config.mysql.user} may not read it; check MYSQL_DATABASE, MYSQL_TABLE and the grants`);
    if (!cols.some((c) => c.name === 'id' && c.key === 'PRI')) throw new Error(`${config.mysql.table} has no primary key column id, which keys the topic`);
    // Reading the table is what the snapshot and backfill do.
    await conn.query(`SELECT id FROM \`${config.mysql.table}\` LIMIT 1`);
    const [meta] = await conn.query<Array<{ v: string } & mysql.RowDataPacket>>('SELECT @@binlog_row_metadata AS v').catch(() => [[{ v: 'unknown' }]] as never);
    const rowMetadata = meta[0]?.v ?? 'unknown';
    return `${facts.flavor} at ${config.mysql.host}:${config.mysql.port} as ${config.mysql.user}: binlog ROW with FULL images, ` +
      // preflight has refused anything but FULL; an older server without the setting shows "unknown".
      `row metadata ${rowMetadata}, ` +
      `${config.mysql.database}.${config.mysql.table} with ${cols.length} columns, binlog at ${facts.end.file}:${facts.end.pos}`;
  } finally {
    await conn.end().catch(() => undefined);
  }
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
  return Promise.all([
    verdict('database', () => database(config, mysqlOptions)),
    verdict('kafka', () => kafka(config)),
    verdict('registry', () => registry(config)),
    verdict('output', () => output(config)),
  ]);
}

export function formatVerdicts(verdicts: Verdict[]): string {
  const width = Math.max(...verdicts.map((v) => v.what.length));
  return `${verdicts.map((v) => `${v.ok ? 'ok  ' : 'FAIL'}  ${v.what.padEnd(width)}  ${v.detail}`).join('\n')}\n`;
}
