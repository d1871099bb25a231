/**
 * Which tables are captured: CAPTURE_TABLES names or patterns (`shop.product`, `shop.*`, `shop.order_*`), minus
 * CAPTURE_EXCLUDE. `*` matches any run of characters within a name and `?` one character; the dot between the
 * database and the table is literal. Names compare as MySQL compares them on Linux: case-sensitively. Pure.
 */

export interface TableRef {
  db: string;
  table: string;
}

export const tableId = (t: TableRef): string => `${t.db}.${t.table}`;

export class CaptureFilter {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(readonly includeText: string[], readonly excludeText: string[]) {
    this.include = includeText.map(compile);
    this.exclude = excludeText.map(compile);
  }

  matches(db: string, table: string): boolean {
    const id = `${db}.${table}`;
    return this.include.some((r) => r.test(id)) && !this.exclude.some((r) => r.test(id));
  }

  /** The databases a pattern can match (for listing tables): null when a pattern's database part has a wildcard. */
  databases(): string[] | null {
    const dbs = new Set<string>();
    for (const p of this.includeText) {
      const db = p.slice(0, p.indexOf('.'));
      if (/[*?]/.test(db)) return null;
      dbs.add(db);
    }
    return [...dbs];
  }
}

/** A `db.table` pattern; the caller has checked its form with `patternProblem`. */
function compile(pattern: string): RegExp {
  const escaped = pattern.split('').map((ch) => (ch === '*' ? '[^.]*' : ch === '?' ? '[^.]' : ch.replace(/[\\^$+.()|[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${escaped}$`);
}

/** Why a CAPTURE_TABLES / CAPTURE_EXCLUDE entry is not a `db.table` pattern, or undefined when it is. */
export function patternProblem(pattern: string): string | undefined {
  const parts = pattern.split('.');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return `${JSON.stringify(pattern)} is not db.table (a pattern may use * and ?)`;
  if (/[`'"\s]/.test(pattern)) return `${JSON.stringify(pattern)} holds quotes or spaces; write the names as they are, without quoting`;
  return undefined;
}
