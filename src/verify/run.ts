/**
 * `cdc verify`: MySQL read at one consistent snapshot against the state rebuilt from the output files, table by
 * table. Changes in flight are accounted for by waiting until the completeness mark (every change in segments)
 * has passed the snapshot's binlog position, so every change the snapshot sees is in the files; the files may also
 * hold later changes, so the keys found different are looked at again from a second snapshot once the mark has
 * passed that one too, and only keys different both times are reported.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import type { ParquetPlan } from '../codec/parquet-column.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { ConfigError, PipelineError } from '../errors.js';
import type { Logger } from '../log.js';
import { connectMysql } from '../mysql.js';
import { Decoder } from '../pool/decoder.js';
import { MARK_FILE, readMark, type PointJson } from '../pool/mark-file.js';
import { tableFolder } from '../pool/table-outputs.js';
import { ensureTopic } from '../sink/topics.js';
import { TxProducer } from '../sink/tx-producer.js';
import { TxWriter } from '../sink/tx-writer.js';
import { describeCaptured, type TableDescription } from '../source/capture/describe.js';
import { tableId } from '../source/capture/filter.js';
import { CapturedTables, type CapturedTable } from '../source/capture/tables.js';
import type { BinlogPosition } from '../source/checkpoint.js';
import { preflightFlavor } from '../source/preflight.js';
import { openConsistentSnapshot, readByKeys, type ChunkPlan, type CursorValue } from '../source/snapshot.js';
import { compareTable, type TableComparison } from './compare.js';
import { expectedLines, writeExpected } from './expected.js';
import { tableFiles } from './output-files.js';
import { repairKeys } from './repair.js';

export class VerifyError extends PipelineError {}

export interface TableVerdict extends Omit<TableComparison, 'repair' | 'extraKeys'> {
  table: string;
  folder: string;
  /** Keys different at the first look that were equal at the second: changed while the first was made. */
  settled: number;
  /** Rows written again by --repair. */
  repaired?: number;
  error?: string;
}

export interface VerifyReport {
  /** The first snapshot's binlog position. */
  snapshot: BinlogPosition;
  /** The completeness mark the comparison waited for (its open mark, at or past the snapshot). */
  mark: PointJson | null;
  tables: TableVerdict[];
  equal: boolean;
}

export interface VerifyOptions {
  table?: string;
  waitMs: number;
  repair: boolean;
  chunk: number;
  onRows?: (table: string, rows: number) => void;
}

const atOrPast = (p: PointJson | null, s: BinlogPosition) =>
  p !== null && (p.binlog_file > s.file || (p.binlog_file === s.file && p.binlog_pos >= s.pos));

export async function runVerify(deps: { config: Config; mysql: mysql.ConnectionOptions; registry: Registry; logger: Logger }, o: VerifyOptions): Promise<VerifyReport> {
  const { config } = deps;
  const log = deps.logger.child({ component: 'verify' });
  const tables = new CapturedTables({
    capture: config.capture, registry: deps.registry, seedTopic: config.kafka.topic, partitions: config.kafka.partitions,
    ensureTopic: async () => undefined,
  });
  const decoder = new Decoder(deps.registry, { seedTopic: config.kafka.topic, rule: config.pool.discount });
  const scratch = await mkdtemp(join(tmpdir(), 'cdc-verify-'));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '256MB', temp_directory: join(scratch, 'duckdb') });
  const con = await db.connect();
  const conn = await connectMysql(deps.mysql);
  try {
    const flavor = await preflightFlavor(conn);
    let described = await describeCaptured(conn, tables.filter);
    if (o.table) {
      const all = described;
      described = described.filter((d) => tableId(d.ref) === o.table);
      if (described.length === 0) {
        throw new ConfigError(`--table ${o.table} is not a captured table the account can read; captured: ${all.map((d) => tableId(d.ref)).join(', ') || 'none'}`);
      }
    }
    const serverId = Number((await conn.query<Array<{ id: number } & mysql.RowDataPacket>>('SELECT @@server_id AS id'))[0][0]?.id ?? 0);
    const snapshot = await openConsistentSnapshot(conn, flavor);
    log.info(`snapshot at ${snapshot.file}:${snapshot.pos}; waiting for the files to be complete up to it`);
    const mark = await waitForMark(config.pool.outputDir, snapshot, o.waitMs);
    const verdicts: TableVerdict[] = [];
    const firsts: Array<{ d: TableDescription; table: CapturedTable; plan: ChunkPlan; linePlan: ParquetPlan; first: TableComparison }> = [];
    for (const d of described) {
      const id = tableId(d.ref);
      const folder = tableFolder(tables.topicOf(d.ref), config.kafka.topic, config.capture.topicPrefix);
      if (mark?.snapshotting?.includes(id)) {
        verdicts.push(blank(id, folder, 'its snapshot (added to CAPTURE_TABLES) is under way: its older rows are not all in the files yet; verify it once the snapshot is done'));
        continue;
      }
      if (d.keyColumns.length === 0) {
        verdicts.push(blank(id, folder, 'no primary key: rows cannot be told apart, so the table is not compared'));
        continue;
      }
      const { table, schemaId } = await tables.setShape(d.ref, d.columns, d.keyColumns);
      const linePlan = await decoder.planFor(table.encoder.topic, schemaId);
      const plan: ChunkPlan = { ref: d.ref, columns: d.columns, order: d.keyColumns, since: null };
      const expectedPath = join(scratch, `expected-${verdicts.length}.jsonl`);
      await writeExpected(expectedPath, { conn, table, plan, decoder, position: snapshot, serverId, chunk: o.chunk, onRows: (n) => o.onRows?.(id, n) });
      const dir = folder === '' ? config.pool.outputDir : join(config.pool.outputDir, folder);
      const files = await tableFiles(dir, scratch);
      const first = await compareTable(con, { plan: linePlan, keys: d.keyColumns, files, expectedPath });
      await con.run(`CREATE OR REPLACE TEMP TABLE recheck_${firsts.length} AS SELECT * FROM recheck`);
      firsts.push({ d, table, plan, linePlan, first });
      verdicts.push({ ...strip(first), table: id, folder, settled: 0 });
    }
    await conn.query('COMMIT');

    // A second look at what differed: a later snapshot, once the files are complete up to it too.
    if (firsts.some((f) => f.first.missing + f.first.extra + f.first.differing > 0)) {
      const again = await openConsistentSnapshot(conn, flavor);
      await waitForMark(config.pool.outputDir, again, o.waitMs);
      for (const [i, f] of firsts.entries()) {
        const bad = f.first.missing + f.first.extra + f.first.differing;
        if (bad === 0) continue;
        const id = tableId(f.d.ref);
        const verdict = verdicts.find((v) => v.table === id)!;
        const path = join(scratch, `recheck-${i}.jsonl`);
        await writeKeyed(path, conn, f, [...f.first.repair, ...f.first.extraKeys], again, serverId, decoder);
        const dir = verdict.folder === '' ? config.pool.outputDir : join(config.pool.outputDir, verdict.folder);
        await con.run(`CREATE OR REPLACE TEMP TABLE recheck AS SELECT * FROM recheck_${i}`);
        const second = await compareTable(con, { plan: f.linePlan, keys: f.d.keyColumns, files: await tableFiles(dir, scratch), expectedPath: path, recheck: true });
        const still = second.missing + second.extra + second.differing;
        Object.assign(verdict, {
          missing: second.missing, extra: second.extra, differing: second.differing, samples: second.samples,
          equal: verdict.rows - second.missing - second.differing, settled: bad - still,
        });
        f.first.repair = second.repair;
      }
      await conn.query('COMMIT');
    }

    if (o.repair && firsts.some((f) => f.first.repair.length > 0)) {
      await ensureTopic(config.kafka, { name: config.source.checkpointTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } });
      const producer = await TxProducer.connect({ kafka: config.kafka, transactionalId: `cdc-verify-${config.source.id}` });
      try {
        const writer = new TxWriter(producer);
        const position = await openConsistentSnapshot(conn, flavor);
        for (const f of firsts) {
          if (f.first.repair.length === 0) continue;
          const verdict = verdicts.find((v) => v.table === tableId(f.d.ref))!;
          verdict.repaired = await repairKeys({ conn, plan: f.plan, table: f.table, keys: f.first.repair, writer, position, serverId });
          log.info(`${verdict.table}: ${verdict.repaired} rows written again as r events`);
        }
        await conn.query('COMMIT');
      } finally {
        await producer.disconnect();
      }
    }
    const equal = verdicts.every((v) => !v.error && v.missing === 0 && v.extra === 0 && v.differing === 0 && v.duplicated === 0);
    return { snapshot, mark, tables: verdicts, equal };
  } finally {
    await conn.end().catch(() => undefined);
    con.closeSync();
    db.closeSync();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Waits until the open mark is at or past the position; the mark it saw. */
async function waitForMark(dir: string, position: BinlogPosition, waitMs: number): Promise<PointJson | null> {
  const deadline = Date.now() + waitMs;
  let mark: PointJson | null = null;
  for (;;) {
    mark = (await readMark(join(dir, MARK_FILE)))?.open ?? null;
    if (atOrPast(mark, position)) return mark;
    if (Date.now() >= deadline) {
      throw new VerifyError(`the files are not complete up to the snapshot (${position.file}:${position.pos}) after ${Math.round(waitMs / 1000)} s: ` +
        `${mark ? `the completeness mark is at ${mark.binlog_file}:${mark.binlog_pos}` : `there is no completeness mark in ${join(dir, MARK_FILE)}`}; ` +
        'run the source and the pool (npm run start), or give them longer with --wait <seconds>');
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The rows of these keys, read in the open snapshot, as expected lines. */
async function writeKeyed(path: string, conn: mysql.Connection, f: { table: CapturedTable; plan: ChunkPlan }, keys: CursorValue[][],
  position: BinlogPosition, serverId: number, decoder: Decoder): Promise<void> {
  const out = createWriteStream(path);
  for await (const rows of readByKeys(conn, f.plan, keys)) {
    const made = await expectedLines(rows, { ...f, decoder, position, serverId });
    if (made.lines.length > 0) out.write(`${made.lines.join('\n')}\n`);
  }
  out.end();
  await once(out, 'close');
}

function strip(c: TableComparison): Omit<TableComparison, 'repair' | 'extraKeys'> {
  const { repair: _r, extraKeys: _e, ...rest } = c;
  return rest;
}

function blank(table: string, folder: string, error?: string): TableVerdict {
  return {
    table, folder, rows: 0, equal: 0, missing: 0, extra: 0, differing: 0, duplicated: 0, lines: 0, settled: 0,
    samples: { missing: [], extra: [], differing: [] }, ...(error ? { error } : {}),
  };
}

