/**
 * The timestamp-based initial load: every row of the captured tables (or one `--table`) whose watermark column
 * is at or after `since` (all rows with --full, and of a table without a watermark column) as `r` events, read
 * from one consistent view in keyset chunks. The seed's watermark is last_updated; others come from
 * WATERMARK_COLUMNS. Each chunk commits with its progress record, so a crash or Ctrl-C resumes after the last
 * whole chunk. Changes committed after the view began belong to the binlog stream (npm run source), which is what
 * keeps the two from missing late commits.
 */
import mysql from 'mysql2/promise';
import { connectMysql } from '../mysql.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { ensureTopic } from '../sink/topics.js';
import { TxProducer } from '../sink/tx-producer.js';
import { TxWriter } from '../sink/tx-writer.js';
import { readLatest } from './checkpoint.js';
import { describeCaptured, type TableDescription } from './capture/describe.js';
import { tableId } from './capture/filter.js';
import { CapturedTables } from './capture/tables.js';
import { preflightFlavor } from './preflight.js';
import { emitSnapshot } from './snapshot-emitter.js';
import { countRows, openConsistentSnapshot, type Cursor } from './snapshot.js';
import { chunkPlan, cursorFrom } from './start-plan.js';

export interface BackfillState {
  since: string | null;
  /** Tables of this backfill in order; the one being read, and where. Older states: the seed's table alone. */
  tables?: string[];
  table?: string;
  after: Cursor | { ts: string; id: number } | null;
  rows: number;
  done: boolean;
  startedAtMs: number;
}

export interface BackfillResult {
  rows: number;
  resumed: boolean;
  stopped: boolean;
  tables: string[];
}

export async function runBackfill(deps: {
  config: Config;
  mysql: mysql.ConnectionOptions;
  registry: Registry;
  logger: Logger;
  since: Date | null;
  chunk: number;
  /** Only this captured table ('db.table'). */
  table?: string;
  onProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}): Promise<BackfillResult> {
  const { config } = deps;
  const log = deps.logger.child({ component: 'backfill' });
  await deps.registry.check();
  await ensureTopic(config.kafka, { name: config.source.checkpointTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } });
  const key = `${config.source.id}.backfill`;
  const tables = new CapturedTables({
    capture: config.capture, registry: deps.registry, seedTopic: config.kafka.topic, partitions: config.kafka.partitions,
    ensureTopic: async (name) => { await ensureTopic(config.kafka, { name, partitions: config.kafka.partitions }); },
  });
  // One backfill per source at a time: a second one fences the first.
  const producer = await TxProducer.connect({ kafka: config.kafka, transactionalId: `cdc-backfill-${config.source.id}` });
  const writer = new TxWriter(producer);
  const conn = await connectMysql(deps.mysql);
  try {
    const sinceText = deps.since ? deps.since.toISOString() : null;
    const flavor = await preflightFlavor(conn);
    const position = await openConsistentSnapshot(conn, flavor);
    let described = await describeCaptured(conn, tables.filter);
    if (deps.table) {
      described = described.filter((d) => tableId(d.ref) === deps.table);
      if (described.length === 0) {
        throw new ConfigError(`--table ${deps.table} is not a captured table the account can read; captured: ` +
          `${(await describeCaptured(conn, tables.filter)).map((d) => tableId(d.ref)).join(', ') || 'none'} (CAPTURE_TABLES, CAPTURE_EXCLUDE)`);
      }
    }
    const ids = described.map((d) => tableId(d.ref));
    const found = await readLatest(config.kafka, config.source.checkpointTopic, key);
    const previous = found ? (JSON.parse(found.toString('utf8')) as BackfillState) : undefined;
    const seedId = tableId(config.capture.seed);
    const previousTables = previous?.tables ?? [seedId];
    const resume = previous && !previous.done && previous.since === sinceText && previousTables.join() === ids.join() ? previous : undefined;
    const state: BackfillState = resume ?? { since: sinceText, tables: ids, table: ids[0], after: null, rows: 0, done: false, startedAtMs: Date.now() };
    state.tables = ids;
    state.table ??= seedId;
    if (resume) log.info(`resuming the backfill since ${sinceText ?? 'the beginning'} after ${resume.rows} rows`, { table: state.table, after: resume.after });

    const plans = described.map((d) => chunkPlan(config, d, deps.since));
    let remaining = 0;
    for (const plan of plans.slice(Math.max(0, ids.indexOf(state.table)))) remaining += await countRows(conn, plan);
    const total = state.rows + remaining;
    log.info(`backfilling ${ids.join(', ') || 'no table'} since ${sinceText ?? 'the beginning'}: about ${total} rows`, { binlog: position });
    const serverId = Number((await conn.query<Array<{ id: number } & mysql.RowDataPacket>>('SELECT @@server_id AS id'))[0][0]?.id ?? 0);

    let rows = state.rows;
    for (let i = Math.max(0, ids.indexOf(state.table)); i < ids.length; i++) {
      const d: TableDescription = described[i]!;
      const current: BackfillState = ids[i] === state.table ? state : { ...state, table: ids[i], after: null };
      const { table } = await tables.setShape(d.ref, d.columns, d.keyColumns);
      const result = await emitSnapshot({
        conn, plan: plans[i]!, table, serverId, position, after: cursorFrom(current.after as never), chunk: deps.chunk, rowsBefore: rows,
        writer, tombstones: config.source.tombstones,
        checkpoint: (after, n) => ({ topic: config.source.checkpointTopic, key, value: Buffer.from(JSON.stringify({ ...current, after, rows: n } satisfies BackfillState)) }),
        onChunk: (n) => deps.onProgress?.(n, total),
        shouldStop: deps.shouldStop,
      });
      rows = result.rows;
      if (result.stopped) return { rows, resumed: resume !== undefined, stopped: true, tables: ids };
    }
    await writer.write([], { topic: config.source.checkpointTopic, key, value: Buffer.from(JSON.stringify({ ...state, rows, done: true })) });
    return { rows, resumed: resume !== undefined, stopped: false, tables: ids };
  } finally {
    await conn.end().catch(() => undefined);
    await producer.disconnect();
  }
}
