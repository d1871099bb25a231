/**
 * Change events: what the source reads, before any encoding. Provenance (`source`) travels with each event;
 * the resumable position is kept apart, in the checkpoint.
 */
export type Op = 'c' | 'u' | 'd' | 'r';

export interface SourceInfo {
  serverId: number;
  db: string;
  table: string;
  file: string;
  pos: number;
  row: number;
  gtid: string | null;
  tsMs: number;
  snapshot: boolean;
}

export interface ChangeEvent {
  op: Op;
  /** The primary key, also the Kafka key. */
  id: number;
  /** The row after the change; for a delete, the row as it was. Column name → value as read. */
  row: Record<string, unknown>;
  source: SourceInfo;
}

export type RowsKind = 'writerows' | 'updaterows' | 'deleterows';
type UpdateRow = { before: Record<string, unknown>; after: Record<string, unknown> };

/**
 * One binlog rows event to change events. An update that changes the primary key becomes a delete of the
 * old key and an insert of the new one, so per-key history (and compaction) stays right for every key.
 * `firstRow` numbers the changes within their binlog transaction.
 */
export function rowsToChanges(
  kind: RowsKind,
  rows: ReadonlyArray<Record<string, unknown>>,
  base: Omit<SourceInfo, 'row'>,
  firstRow: number,
  keyColumn = 'id',
): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  const emit = (op: Op, row: Record<string, unknown>) => {
    out.push({ op, id: Number(row[keyColumn]), row, source: { ...base, row: firstRow + out.length } });
  };
  for (const row of rows) {
    if (kind === 'writerows') emit('c', row);
    else if (kind === 'deleterows') emit('d', row);
    else {
      const { before, after } = row as UpdateRow;
      if (before[keyColumn] !== after[keyColumn]) {
        emit('d', before);
        emit('c', after);
      } else emit('u', after);
    }
  }
  return out;
}
