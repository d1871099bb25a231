/** Binlog rows events to change events (src/model/change.ts). Pure. */
import type { ChangeEvent, Op, SourceInfo } from '../model/change.js';

export type RowsKind = 'writerows' | 'updaterows' | 'deleterows';
type Row = Record<string, unknown>;
type UpdateRow = { before: Row; after: Row };

/**
 * One binlog rows event to change events. An update that changes the primary key becomes a delete of the
 * old key and an insert of the new one, so per-key history (and compaction) stays right for every key.
 * `firstRow` numbers the changes within their binlog transaction.
 */
export function rowsToChanges(
  kind: RowsKind,
  rows: ReadonlyArray<Row>,
  base: Omit<SourceInfo, 'row'>,
  firstRow: number,
  sameKey: (a: Row, b: Row) => boolean,
): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  for (const row of rows) {
    if (kind === 'writerows') out.push(change('c', row, base, firstRow + out.length));
    else if (kind === 'deleterows') out.push(change('d', row, base, firstRow + out.length));
    else {
      const { before, after } = row as UpdateRow;
      if (!sameKey(before, after)) {
        out.push(change('d', before, base, firstRow + out.length));
        out.push(change('c', after, base, firstRow + out.length));
      } else out.push(change('u', after, base, firstRow + out.length));
    }
  }
  return out;
}

/** One event; its source info spelled out (one object shape for all events, and no spread per row). */
function change(op: Op, row: Row, b: Omit<SourceInfo, 'row'>, index: number): ChangeEvent {
  return {
    op, row,
    source: { serverId: b.serverId, db: b.db, table: b.table, file: b.file, pos: b.pos, row: index, gtid: b.gtid, tsMs: b.tsMs, snapshot: b.snapshot },
  };
}
