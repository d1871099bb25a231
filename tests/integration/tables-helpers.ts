/**
 * Several captured tables on their own: a seed table made like product (so the seed's profile is tested without
 * touching shop.product), other tables of a test's choosing, each readable by the pipeline's account, with
 * isolated topics (their own KAFKA_TOPIC and TOPIC_PREFIX), checkpoint, group and output directory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import type { MarkJson } from '../../src/pool/mark-file.js';
import { adminConnection, config, uniqueName } from './helpers.js';
import { waitFor } from './source-helpers.js';

export interface TablesEnv {
  env: Record<string, string>;
  admin: mysql.Connection;
  seed: string;
  /** The other tables' names, as the test asked for them (made unique). */
  tables: Record<string, string>;
  /** A table the test makes itself, dropped at the end with the others. */
  dropLater: (name: string) => void;
  outputDir: string;
  prefix: string;
}

/** `defs`: name → column definitions (the part inside CREATE TABLE's parentheses). */
export async function capturedTables(t: { after(fn: () => unknown): void }, defs: Record<string, string>, extra: Record<string, string> = {}): Promise<TablesEnv> {
  const admin = await adminConnection();
  const made: string[] = [];
  // One hook: the tables are dropped before the connection that drops them ends.
  t.after(async () => {
    for (const name of made) await admin.query(`DROP TABLE IF EXISTS \`${name}\``).catch(() => undefined);
    await admin.end();
  });
  const stem = uniqueName('tb').replace(/[^A-Za-z0-9_]/g, '_');
  const seed = `${stem}_seed`;
  const db = config.mysql.database;
  await admin.query(`CREATE TABLE \`${seed}\` LIKE product`);
  const tables: Record<string, string> = {};
  for (const [name, columns] of Object.entries(defs)) {
    tables[name] = `${stem}_${name}`;
    await admin.query(`CREATE TABLE \`${tables[name]}\` (${columns}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
  }
  for (const name of [seed, ...Object.values(tables)]) {
    await admin.query(`GRANT SELECT ON \`${db}\`.\`${name}\` TO '${config.mysql.user}'@'127.0.0.1', '${config.mysql.user}'@'localhost'`);
  }
  made.push(seed, ...Object.values(tables));
  const prefix = `${stem}_p`;
  const outputDir = mkdtempSync(join(tmpdir(), 'cdc-tables-'));
  const env = {
    MYSQL_TABLE: seed,
    CAPTURE_TABLES: [seed, ...Object.values(tables)].map((n) => `${db}.${n}`).join(','),
    KAFKA_TOPIC: `${stem}_seed_updates`, TOPIC_PREFIX: prefix, CHECKPOINT_TOPIC: `${stem}_ckpt`, SOURCE_ID: stem,
    KAFKA_GROUP: `${stem}_pool`, OUTPUT_DIR: outputDir, COLD_START: 'latest', LOG_LEVEL: 'info',
    ...extra,
  };
  return { env, admin, seed, tables, outputDir, prefix, dropLater: (name) => made.push(name) };
}

/** A table's topic and its folder under OUTPUT_DIR, as the pipeline names them. */
export function tableTopic(e: TablesEnv, table: string): string {
  return `${e.prefix}.${config.mysql.database}.${table}`;
}

export function tableDir(e: TablesEnv, table: string): string {
  return join(e.outputDir, `${config.mysql.database}.${table}`);
}

/** Waits until the completeness mark says every change up to `end` is in closed segments of `dir`. */
export async function closedUpTo(dir: string, end: { file: string; pos: number }, timeoutMs = 90_000): Promise<MarkJson> {
  return waitFor(`the closed mark at ${end.file}:${end.pos}`, async () => {
    let m: MarkJson;
    try {
      m = JSON.parse(readFileSync(join(dir, '_complete.json'), 'utf8')) as MarkJson;
    } catch {
      return undefined; // not written yet
    }
    const c = m.closed;
    return c !== null && (c.binlog_file > end.file || (c.binlog_file === end.file && c.binlog_pos >= end.pos)) ? m : undefined;
  }, timeoutMs);
}
