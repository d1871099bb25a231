/**
 * The GTIDs committed so far, carried from transaction to transaction: MariaDB's position (per replication
 * domain, the GTID of the last transaction) or MySQL's executed GTID set (uuid:1-N,…). A file/position start
 * gives zongji nothing to seed its GTID tracking with, so the source keeps them itself, seeded from the
 * checkpoint (or, on MariaDB, BINLOG_GTID_POS at the start).
 */
import { GtidSet } from '@vlasky/zongji';

export type GtidPosition = Map<number, string>;

/** A transaction's GTID as zongji gives it: MySQL's 'uuid:gno' text, MariaDB's parts. */
export type TxGtid = string | { domainId: number; serverId: number; seqNo: number | bigint };

export interface GtidTracker {
  add(gtid: TxGtid): void;
  text(): string;
}

/** The tracker for this server's kind, seeded from `text`; undefined when `text` is none of its form. */
export function gtidTracker(flavor: 'mariadb' | 'mysql', text: string | null | undefined): GtidTracker | undefined {
  if (flavor === 'mariadb') {
    const position = parseMariadbPosition(text);
    return position && {
      add: (gtid) => { if (typeof gtid === 'object') advance(position, gtid); },
      text: () => formatPosition(position),
    };
  }
  if (text === null || text === undefined) return undefined;
  let set: GtidSet;
  try {
    set = GtidSet.parse(text.replace(/\s/g, ''));
  } catch {
    return undefined;
  }
  return {
    add: (gtid) => { if (typeof gtid === 'string') set.add(gtid); },
    text: () => set.toString(),
  };
}

const MARIADB_POSITION = /^\s*(\d+-\d+-\d+(\s*,\s*\d+-\d+-\d+)*)?\s*$/;

/** The position in `text` (MariaDB's `0-1-100,1-2-7` form; empty is the empty position), or undefined when it is not one. */
export function parseMariadbPosition(text: string | null | undefined): GtidPosition | undefined {
  if (text === null || text === undefined || !MARIADB_POSITION.test(text)) return undefined;
  const position: GtidPosition = new Map();
  for (const gtid of text.split(',').map((g) => g.trim()).filter(Boolean)) position.set(Number(gtid.split('-')[0]), gtid);
  return position;
}

/** The position after a committed transaction with this GTID ({domainId, serverId, seqNo} as zongji gives it). */
export function advance(position: GtidPosition, gtid: { domainId?: number; serverId?: number; seqNo?: number | bigint }): void {
  if (gtid.domainId === undefined || gtid.serverId === undefined || gtid.seqNo === undefined) return;
  position.set(gtid.domainId, `${gtid.domainId}-${gtid.serverId}-${String(gtid.seqNo)}`);
}

export function formatPosition(position: GtidPosition): string {
  return [...position.keys()].sort((a, b) => a - b).map((d) => position.get(d)!).join(',');
}
