/**
 * Moving the source's position on purpose, while its daemon is stopped: to the binlog's head, to a binlog file
 * and position, or back through a fresh snapshot (of all rows, or of rows changed since a time). The new
 * position is committed the way the daemon commits one (its transactional id, so a forgotten daemon is fenced),
 * and the daemon starts from it.
 */
import type mysql from 'mysql2/promise';
import type { ConnectionOptions } from 'mysql2';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { connectMysql } from '../mysql.js';
import { TxProducer } from '../sink/tx-producer.js';
import { TxWriter } from '../sink/tx-writer.js';
import { ensureTopic } from '../sink/topics.js';
import type { Checkpoint } from './checkpoint.js';
import { CheckpointStore } from './checkpoint-store.js';
import { gtidPositionAt, preflight } from './preflight.js';

export type MoveTarget =
  | { kind: 'head' }
  | { kind: 'position'; file: string; pos: number }
  | { kind: 'gtid'; gtid: string }
  | { kind: 'snapshot'; since: Date | null };

const FORMS = 'head, <binlog file>:<position> (such as mysql-bin.000042:1234), gtid:<domain>-<server>-<seq> (MariaDB), ' +
  'snapshot, or watermark:<ISO time>';

export function parseMoveTarget(text: string | undefined): MoveTarget {
  if (text === undefined) throw new UsageError(`--to is required: ${FORMS}`);
  if (text === 'head') return { kind: 'head' };
  if (text === 'snapshot') return { kind: 'snapshot', since: null };
  if (text.startsWith('watermark:')) {
    const at = text.slice('watermark:'.length);
    const ms = Date.parse(at);
    if (!/^\d{4}-\d\d-\d\d/.test(at) || Number.isNaN(ms)) throw new UsageError(`--to ${JSON.stringify(text)}: the watermark is not an ISO time such as 2026-01-31T12:00:00Z`);
    return { kind: 'snapshot', since: new Date(ms) };
  }
  const g = /^gtid:(\d+-\d+-\d+)$/.exec(text);
  if (g) return { kind: 'gtid', gtid: g[1]! };
  const m = /^([^:\s]+):(\d+)$/.exec(text);
  if (m) return { kind: 'position', file: m[1]!, pos: Number(m[2]) };
  throw new UsageError(`--to ${JSON.stringify(text)} is none of: ${FORMS}`);
}

/** Binlog readers connected with the pipeline's account: a running source daemon shows here. */
async function readersConnected(conn: mysql.Connection, user: string): Promise<string[]> {
  const [rows] = await conn.query<Array<{ id: number; host: string; time: number } & mysql.RowDataPacket>>(
    "SELECT ID AS id, HOST AS host, TIME AS time FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'", [user]);
  return rows.map((r) => `thread ${r.id} from ${r.host}, ${r.time} s`);
}

export interface MovePlan {
  from: Checkpoint | undefined;
  to: Checkpoint;
  readers: string[];
}

/** What the move would write, checked against the server; nothing is written. */
export async function planMove(config: Config, options: ConnectionOptions, target: MoveTarget, owner: string): Promise<MovePlan> {
  const store = new CheckpointStore({ kafka: config.kafka, topic: config.source.checkpointTopic, sourceId: config.source.id, owner });
  const [server, from] = await Promise.all([preflight(options), store.read()]);
  const conn = await connectMysql(options);
  let readers: string[];
  try {
    readers = await readersConnected(conn, config.mysql.user);
  } finally {
    await conn.end().catch(() => undefined);
  }
  const base = { tsMs: 0, changes: from?.changes ?? 0, writtenAtMs: Date.now(), owner };
  let to: Checkpoint;
  if (target.kind === 'head') to = { ...server.end, ...base };
  else if (target.kind === 'gtid') {
    if (server.flavor !== 'mariadb') throw new UsageError('gtid:<d-s-n> targets are MariaDB GTIDs; on MySQL move to a <file>:<position>');
    const after = await positionAfterGtid(options, server.binlogs, target.gtid);
    to = { ...after, gtid: await gtidPositionAt(options, 'mariadb', after), ...base };
  } else if (target.kind === 'position') {
    if (!server.binlogs.includes(target.file)) {
      throw new UsageError(`binlog ${target.file} is not on the server (it has ${server.binlogs[0]} to ${server.binlogs[server.binlogs.length - 1]})`);
    }
    if (target.file === server.end.file && target.pos > server.end.pos) throw new UsageError(`${target.file}:${target.pos} is beyond the binlog's end, ${server.end.pos}`);
    const gtid = await gtidPositionAt(options, server.flavor, target);
    to = { file: target.file, pos: target.pos, gtid, ...base };
  } else {
    // The daemon resumes "a snapshot in progress" from here: a fresh view, then streaming from this position.
    to = { ...server.end, ...base, snapshot: { since: target.since?.toISOString() ?? null, after: null, rows: 0 } };
  }
  return { from, to, readers };
}

/** Commits the planned checkpoint as the daemon would (fencing any instance still holding the transactional id). */
export async function applyMove(config: Config, plan: MovePlan): Promise<void> {
  await ensureTopic(config.kafka, {
    name: config.source.checkpointTopic, partitions: 1, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '60000' },
  });
  const producer = await TxProducer.connect({ kafka: config.kafka, transactionalId: `cdc-source-${config.source.id}` });
  try {
    const store = new CheckpointStore({ kafka: config.kafka, topic: config.source.checkpointTopic, sourceId: config.source.id, owner: plan.to.owner });
    await store.commitOnly(new TxWriter(producer), plan.to);
  } finally {
    await producer.disconnect();
  }
}

/**
 * Where the binlog stands just after the transaction with this MariaDB GTID: the file is found from each
 * file's starting GTID position (BINLOG_GTID_POS), then that file's events are read (SHOW BINLOG EVENTS).
 */
async function positionAfterGtid(options: ConnectionOptions, binlogs: string[], gtid: string): Promise<{ file: string; pos: number }> {
  const [domain, , seq] = gtid.split('-').map(Number) as [number, number, number];
  const conn = await connectMysql(options);
  try {
    // The last file whose start is before the GTID: BINLOG_GTID_POS(file, 4) is the position when it began.
    let file: string | undefined;
    for (const name of binlogs) {
      const [rows] = await conn.query<Array<{ g: string | null } & mysql.RowDataPacket>>('SELECT BINLOG_GTID_POS(?, 4) AS g', [name]);
      const atStart = (rows[0]?.g ?? '').split(',').find((p) => p.startsWith(`${domain}-`));
      const startSeq = atStart ? Number(atStart.split('-')[2]) : 0;
      if (startSeq < seq) file = name;
    }
    if (!file) throw new UsageError(`GTID ${gtid} is older than every binlog the server still has (${binlogs[0]} onwards)`);
    for (let offset = 0; ; offset += 10_000) {
      const [events] = await conn.query<Array<{ Event_type: string; Info: string; End_log_pos: number } & mysql.RowDataPacket>>(
        `SHOW BINLOG EVENTS IN ? LIMIT ${offset}, 10000`, [file]);
      if (events.length === 0) break;
      const at = events.findIndex((e) => e.Event_type === 'Gtid' && new RegExp(`GTID ${gtid}\\b`).test(e.Info));
      if (at < 0) continue;
      // The transaction ends at its Xid (or, for DDL, the statement itself).
      for (let i = at + 1; i < events.length; i++) {
        if (events[i]!.Event_type === 'Xid' || (events[i]!.Event_type === 'Query' && !/^BEGIN/i.test(events[i]!.Info))) {
          return { file, pos: Number(events[i]!.End_log_pos) };
        }
      }
      // A transaction cut by the page: its end is in the next page's events.
      const [rest] = await conn.query<Array<{ Event_type: string; Info: string; End_log_pos: number } & mysql.RowDataPacket>>(
        `SHOW BINLOG EVENTS IN ? LIMIT ${offset + events.length}, 1000`, [file]);
      const end = rest.find((e) => e.Event_type === 'Xid' || (e.Event_type === 'Query' && !/^BEGIN/i.test(e.Info)));
      if (end) return { file, pos: Number(end.End_log_pos) };
      break;
    }
    throw new UsageError(`GTID ${gtid} is not in ${file} (a GTID of another server, or not written yet)`);
  } finally {
    await conn.end().catch(() => undefined);
  }
}
