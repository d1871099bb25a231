/**
 * A column as the pipeline types it: parsed from MySQL's COLUMN_TYPE text (what INFORMATION_SCHEMA reports, and
 * what the binlog's FULL row metadata rebuilds), so the snapshot path and the binlog path describe a column with
 * the same words. Pure.
 */

export type ColumnKind =
  | 'tinyint' | 'smallint' | 'mediumint' | 'int' | 'bigint' | 'decimal' | 'float' | 'double' | 'bit'
  | 'date' | 'datetime' | 'timestamp' | 'time' | 'year'
  | 'char' | 'varchar' | 'text' | 'binary' | 'varbinary' | 'blob' | 'enum' | 'set' | 'json'
  | 'geometry' | 'uuid' | 'inet4' | 'inet6' | 'vector';

export interface ColumnSpec {
  name: string;
  /** COLUMN_TYPE normalised: lower case, no display width or zerofill ("int unsigned", "decimal(10,2)"). */
  type: string;
  kind: ColumnKind;
  unsigned: boolean;
  /** DECIMAL's precision and scale; BIT's width in `precision`. */
  precision: number;
  scale: number;
  /** Fractional-second digits of DATETIME, TIMESTAMP and TIME (0 to 6). */
  fsp: number;
  /** ENUM and SET members, in definition order. */
  values: string[];
}

export class UnknownColumnTypeError extends Error {}

const GEOMETRY = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon',
  'geometrycollection', 'geomcollection']);
const BLOBS = new Set(['tinyblob', 'blob', 'mediumblob', 'longblob']);
const TEXTS = new Set(['tinytext', 'text', 'mediumtext', 'longtext']);
const INTS = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

/**
 * `columnType`: COLUMN_TYPE (`int(11) unsigned`, `decimal(65,30)`, `enum('a','b')`, `datetime(6)`…). `charset`:
 * the column's character set, null for binary columns (BINARY, VARBINARY, BLOB have none; neither does a CHAR
 * declared with the binary charset).
 */
export function parseColumnType(name: string, columnType: string, charset: string | null): ColumnSpec {
  const raw = columnType.trim();
  const lower = raw.toLowerCase();
  const m = /^([a-z0-9_ ]+?)\s*(?:\((.*)\))?((?:\s+(?:unsigned|signed|zerofill|binary))*)\s*(?:\/\*.*\*\/)?\s*$/s.exec(
    // ENUM/SET members keep their case; everything else is matched lower case.
    /^(enum|set)\s*\(/i.test(raw) ? raw.replace(/^(enum|set)/i, (w) => w.toLowerCase()) : lower);
  if (!m) throw new UnknownColumnTypeError(`column ${name}: cannot read its type ${columnType}`);
  let base = m[1]!.trim().toLowerCase();
  const args = m[2] ?? '';
  const unsigned = /\bunsigned\b/.test(m[3] ?? '');
  if (base === 'integer') base = 'int';
  if (base === 'double precision' || base === 'real') base = 'double';
  if (base === 'bool' || base === 'boolean') base = 'tinyint';
  if (base === 'numeric' || base === 'dec' || base === 'fixed') base = 'decimal';
  const spec = (kind: ColumnKind, type: string, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({
    name, type, kind, unsigned: false, precision: 0, scale: 0, fsp: 0, values: [], ...extra,
  });
  const nums = args.split(',').map((s) => Number(s.trim()));
  if (INTS.has(base)) {
    return spec(base as ColumnKind, unsigned ? `${base} unsigned` : base, { unsigned });
  }
  switch (base) {
    case 'decimal': {
      const precision = args ? nums[0]! : 10;
      const scale = args && nums.length > 1 ? nums[1]! : 0;
      return spec('decimal', `decimal(${precision},${scale})${unsigned ? ' unsigned' : ''}`, { precision, scale, unsigned });
    }
    case 'float':
      // FLOAT(p) with p > 24 is a DOUBLE; MySQL reports it as double already.
      return spec('float', unsigned ? 'float unsigned' : 'float', { unsigned });
    case 'double':
      return spec('double', unsigned ? 'double unsigned' : 'double', { unsigned });
    case 'bit': {
      const width = args ? nums[0]! : 1;
      return spec('bit', `bit(${width})`, { precision: width });
    }
    case 'date': case 'year':
      return spec(base, base);
    case 'datetime': case 'timestamp': case 'time': {
      const fsp = args ? nums[0]! : 0;
      return spec(base, fsp > 0 ? `${base}(${fsp})` : base, { fsp });
    }
    case 'char': case 'varchar': {
      const text = charset !== null;
      const kind: ColumnKind = text ? base : base === 'char' ? 'binary' : 'varbinary';
      return spec(kind, `${kind}(${args || 1})`);
    }
    case 'binary': case 'varbinary':
      return spec(base, `${base}(${args || 1})`);
    case 'enum': case 'set':
      return spec(base, `${base}(${args})`, { values: parseMembers(args) });
    case 'json':
      return spec('json', 'json');
    case 'uuid': case 'inet4': case 'inet6':
      return spec(base, base);
    case 'vector':
      return spec('vector', `vector(${args})`, { precision: nums[0] ?? 0 });
  }
  if (TEXTS.has(base)) return charset === null ? spec('blob', base.replace('text', 'blob')) : spec('text', base);
  if (BLOBS.has(base)) return charset !== null ? spec('text', base.replace('blob', 'text')) : spec('blob', base);
  if (GEOMETRY.has(base)) return spec('geometry', base === 'geomcollection' ? 'geometrycollection' : base);
  throw new UnknownColumnTypeError(`column ${name}: type ${columnType} has no mapping; exclude the table or ask for the type`);
}

/** `'a','b''c'` → ['a', "b'c"]. */
function parseMembers(args: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < args.length) {
    while (i < args.length && args[i] !== "'") i++;
    if (i >= args.length) break;
    let value = '';
    for (i++; i < args.length; i++) {
      if (args[i] === "'" && args[i + 1] === "'") { value += "'"; i++; } else if (args[i] === "'") break;
      else value += args[i];
    }
    out.push(value);
    i++;
  }
  return out;
}
