/**
 * Which captured tables a DDL statement of the binlog touches: CREATE, DROP, RENAME (or ALTER … RENAME) and
 * TRUNCATE. Column changes need nothing here: the next TableMap shows the new columns. Pure.
 */
import type { TableRef } from './filter.js';

export type TableDdl =
  | { kind: 'create'; table: TableRef }
  | { kind: 'drop'; tables: TableRef[] }
  | { kind: 'rename'; pairs: Array<{ from: TableRef; to: TableRef }> }
  | { kind: 'truncate'; table: TableRef };

const NAME = '(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)';
const QUALIFIED = `${NAME}(?:\\s*\\.\\s*${NAME})?`;

function unquote(s: string): string {
  return s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s;
}

function ref(db: string, a: string, b: string | undefined): TableRef {
  return b === undefined ? { db, table: unquote(a) } : { db: unquote(a), table: unquote(b) };
}

/** Comments and the leading MariaDB/MySQL executable-comment wrappers stripped. */
function clean(statement: string): string {
  return statement.replace(/\/\*(?![!M])[\s\S]*?\*\//g, ' ').replace(/\/\*M?!\d*\s*([\s\S]*?)\*\//g, '$1').trim();
}

/** `db`: the statement's default database (the binlog's Query event carries it). */
export function parseTableDdl(statement: string, db: string): TableDdl | undefined {
  const s = clean(statement);
  let m = new RegExp(`^CREATE\\s+(?:OR\\s+REPLACE\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${QUALIFIED}`, 'i').exec(s);
  if (m) return { kind: 'create', table: ref(db, m[1]!, m[2]) };
  m = /^DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\s\S]+?)(?:\s+(?:RESTRICT|CASCADE))?\s*$/i.exec(s);
  if (m) return { kind: 'drop', tables: names(m[1]!, db) };
  m = /^RENAME\s+TABLES?\s+([\s\S]+)$/i.exec(s);
  if (m) {
    const pairs = m[1]!.split(/,(?=(?:[^`]*`[^`]*`)*[^`]*$)/).map((pair) => {
      const p = new RegExp(`^\\s*${QUALIFIED}\\s+TO\\s+${QUALIFIED}\\s*$`, 'i').exec(pair);
      return p ? { from: ref(db, p[1]!, p[2]), to: ref(db, p[3]!, p[4]) } : undefined;
    });
    if (pairs.every((p) => p !== undefined)) return { kind: 'rename', pairs: pairs as Array<{ from: TableRef; to: TableRef }> };
    return undefined;
  }
  m = new RegExp(`^ALTER\\s+(?:ONLINE\\s+|IGNORE\\s+)*TABLE\\s+${QUALIFIED}[\\s\\S]*?\\bRENAME\\s+(?:TO\\s+|AS\\s+)?${QUALIFIED}\\s*$`, 'i').exec(s);
  if (m && !/\bRENAME\s+(?:COLUMN|INDEX|KEY)\b/i.test(s)) return { kind: 'rename', pairs: [{ from: ref(db, m[1]!, m[2]), to: ref(db, m[3]!, m[4]) }] };
  m = new RegExp(`^TRUNCATE\\s+(?:TABLE\\s+)?${QUALIFIED}`, 'i').exec(s);
  if (m) return { kind: 'truncate', table: ref(db, m[1]!, m[2]) };
  return undefined;
}

function names(list: string, db: string): TableRef[] {
  const out: TableRef[] = [];
  const re = new RegExp(QUALIFIED, 'g');
  for (const m of list.matchAll(re)) out.push(ref(db, m[1]!, m[2]));
  return out;
}
