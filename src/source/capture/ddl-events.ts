/**
 * What the source does with a DDL statement on a captured table: CREATE needs nothing (the table's first TableMap
 * announces it), DROP and RENAME away end a table's capture (its topic and files stay), a table renamed into
 * CAPTURE_TABLES is captured from the rename on, TRUNCATE is told (the binlog has no row events for it).
 */
import type { Counter } from 'prom-client';
import type { Logger } from '../../log.js';
import { parseTableDdl } from './ddl.js';
import { tableId, type TableRef } from './filter.js';
import type { CapturedTables } from './tables.js';

export interface DdlContext {
  tables: CapturedTables;
  /** The captured tables the next checkpoint lists. */
  captured: Set<string>;
  log: Logger;
  truncates: Counter<'table'>;
}

export function onTableDdl(db: string, statement: string, c: DdlContext): void {
  const ddl = parseTableDdl(statement, db);
  if (!ddl) return;
  const { tables, captured, log } = c;
  const forget = (t: TableRef, why: string) => {
    if (!tables.captures(t.db, t.table) && !tables.get(t)) return;
    tables.forget(t);
    captured.delete(tableId(t));
    log.warn(`${why} ${tableId(t)}: its capture ends here; its topic and files stay as they are`);
  };
  switch (ddl.kind) {
    case 'drop':
      for (const t of ddl.tables) forget(t, 'dropped');
      return;
    case 'rename':
      for (const { from, to } of ddl.pairs) {
        forget(from, `renamed to ${tableId(to)}:`);
        if (tables.captures(to.db, to.table)) {
          log.warn(`table ${tableId(to)} (renamed from ${tableId(from)}) matches CAPTURE_TABLES: captured from here on, on its own topic; ` +
            `its rows from before the rename are on ${tables.topicOf(from)} (npm run backfill -- --table ${tableId(to)} loads them onto its topic)`);
        }
      }
      return;
    case 'truncate':
      if (tables.captures(ddl.table.db, ddl.table.table)) {
        log.warn(`TRUNCATE of captured table ${tableId(ddl.table)}: the binlog has no row events for it, so no deletes reach ` +
          `${tables.topicOf(ddl.table)} or the files; its rows before it stay there (cdc_source_truncates_total counts these)`);
        c.truncates.inc({ table: tableId(ddl.table) });
      }
      return;
    case 'create':
      if (tables.captures(ddl.table.db, ddl.table.table)) log.info(`table ${tableId(ddl.table)} created; captured from its first change on`);
  }
}
