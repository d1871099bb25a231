/**
 * MariaDB's GTID position, carried from transaction to transaction: for each replication domain, the GTID of
 * the last transaction committed. A file/position start gives zongji nothing to seed its GTID tracking with,
 * so the source keeps the position itself, seeded from the checkpoint (or BINLOG_GTID_POS at the start).
 */
export type GtidPosition = Map<number, string>;

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
