/**
 * The timestamp-based initial load: every row with last_updated >= since (all rows with --full) as `r` events,
 * read from one consistent view in keyset chunks. Each chunk commits with its progress record, so a crash or
 * Ctrl-C resumes after the last whole chunk. Changes committed after the view began belong to the binlog
 * stream (npm run source), which is what keeps the two from missing late commits.
 */
import mysql from 'mysql2/promise';
import { connectMysql } from '../mysql.js';
import { ChangeEncoder } from '../codec/change-encoder.js';
import type { Registry } from '../codec/registry.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { ensureTopic } from '../sink/topics.js';
import { TxProducer } from '../sink/tx-producer.js';
import { readLatest } from './checkpoint.js';
import { preflightFlavor } from './preflight.js';
import { emitSnapshot } from './snapshot-emitter.js';
import { countRows, openConsistentSnapshot, tableColumns, type Cursor } from './snapshot.js';

export interface BackfillState {
  since: string | null;
  after: Cursor | null;
  rows: number;
  done: boolean;
  startedAtMs: number;
}

export interface BackfillResult {
  rows: number;
  resumed: boolean;
  stopped: boolean;
}

export async function runBackfill(deps: {
  config: Config;
  mysql: mysql.ConnectionOptions;
  registry: Registry;
  logger: Logger;
  since: Date | null;
  chunk: number;
  onProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}): Promise<BackfillResult> {
  const { config } = deps;
  const log = deps.logger.child({ component: 'backfill' });
  await deps.registry.check();
  await ensureTopic(config.kafka, { name: config.kafka.topic, partitions: config.kafka.partitions });
  await ensureTopic(config.kafka, { name: config.source.checkpointTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } });
  const key = `${config.source.id}.backfill`;
  // One backfill per source at a time: a second one fences the first.
  const producer = await TxProducer.connect({ kafka: config.kafka, transactionalId: `cdc-backfill-${config.source.id}` });
  const conn = await connectMysql(deps.mysql);
  try {
    const sinceText = deps.since ? deps.since.toISOString() : null;
    const found = await readLatest(config.kafka, config.source.checkpointTopic, key);
    const previous = found ? (JSON.parse(found.toString('utf8')) as BackfillState) : undefined;
    const resume = previous && !previous.done && previous.since === sinceText ? previous : undefined;
    const state: BackfillState = resume ?? { since: sinceText, after: null, rows: 0, done: false, startedAtMs: Date.now() };
    if (resume) log.info(`resuming the backfill since ${sinceText ?? 'the beginning'} after ${resume.rows} rows`, { after: resume.after });

    const flavor = await preflightFlavor(conn);
    const position = await openConsistentSnapshot(conn, flavor);
    const encoder = new ChangeEncoder(deps.registry, `${config.kafka.topic}-value`, config.mysql.table, config.kafka.partitions);
    await encoder.setColumns(await tableColumns(conn, config.mysql.database, config.mysql.table));
    const remaining = await countRows(conn, config.mysql.table, deps.since);
    const total = state.rows + remaining;
    log.info(`backfilling ${config.mysql.database}.${config.mysql.table} since ${sinceText ?? 'the beginning'}: about ${total} rows`, { binlog: position });
    const serverId = Number((await conn.query<Array<{ id: number } & mysql.RowDataPacket>>('SELECT @@server_id AS id'))[0][0]?.id ?? 0);

    const { rows, stopped } = await emitSnapshot({
      conn, db: config.mysql.database, table: config.mysql.table, serverId, position,
      since: deps.since, after: state.after, chunk: deps.chunk, rowsBefore: state.rows,
      producer, encoder, topic: config.kafka.topic,
      checkpoint: (after, n) => ({
        topic: config.source.checkpointTopic, key,
        value: Buffer.from(JSON.stringify({ ...state, after, rows: n } satisfies BackfillState)),
      }),
      onChunk: (n) => deps.onProgress?.(n, total),
      shouldStop: deps.shouldStop,
    });
    if (!stopped) {
      await producer.begin();
      await producer.send(config.source.checkpointTopic, 0, Buffer.from(JSON.stringify({ ...state, rows, done: true })), Buffer.from(key));
      await producer.commit();
    }
    return { rows, resumed: resume !== undefined, stopped };
  } finally {
    await conn.end().catch(() => undefined);
    await producer.disconnect();
  }
}
