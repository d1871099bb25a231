/**
 * Spatial values. MySQL and MariaDB store a geometry as a 4-byte little-endian SRID followed by OGC WKB; the
 * pipeline carries the WKB (Avro bytes) and writes WKT into the lines. The SRID is not carried. Pure.
 */

/** The server's geometry bytes → WKB (the SRID prefix dropped). */
export function wkbFromMysql(value: Buffer): Buffer {
  if (value.length < 5) throw new Error(`a geometry value of ${value.length} bytes is too short to hold an SRID and WKB`);
  return value.subarray(4);
}

const NAMES: Record<number, string> = {
  1: 'POINT', 2: 'LINESTRING', 3: 'POLYGON', 4: 'MULTIPOINT', 5: 'MULTILINESTRING', 6: 'MULTIPOLYGON', 7: 'GEOMETRYCOLLECTION',
};

/** WKB → WKT, numbers printed as JavaScript prints doubles (the shortest text that reads back exactly). */
export function wktOf(wkb: Buffer): string {
  let at = 0;
  const u32 = (le: boolean) => { const v = le ? wkb.readUInt32LE(at) : wkb.readUInt32BE(at); at += 4; return v; };
  const f64 = (le: boolean) => { const v = le ? wkb.readDoubleLE(at) : wkb.readDoubleBE(at); at += 8; return v; };
  const point = (le: boolean) => `${num(f64(le))} ${num(f64(le))}`;
  const points = (le: boolean) => { const n = u32(le); const out: string[] = []; for (let i = 0; i < n; i++) out.push(point(le)); return out; };
  const rings = (le: boolean) => { const n = u32(le); const out: string[] = []; for (let i = 0; i < n; i++) out.push(`(${points(le).join(',')})`); return out; };
  const geometry = (): string => {
    const le = wkb[at] === 1;
    at += 1;
    const type = u32(le);
    const name = NAMES[type];
    if (!name) throw new Error(`WKB geometry type ${type} is not one of OGC's seven`);
    const many = (body: () => string): string[] => { const n = u32(le); const out: string[] = []; for (let i = 0; i < n; i++) out.push(body()); return out; };
    switch (type) {
      case 1: {
        const x = f64(le), y = f64(le);
        return Number.isNaN(x) && Number.isNaN(y) ? 'POINT EMPTY' : `POINT(${num(x)} ${num(y)})`;
      }
      case 2: { const p = points(le); return p.length ? `LINESTRING(${p.join(',')})` : 'LINESTRING EMPTY'; }
      case 3: { const r = rings(le); return r.length ? `POLYGON(${r.join(',')})` : 'POLYGON EMPTY'; }
      default: {
        const parts = many(() => {
          const inner = geometry();
          // Members of a MULTI* lose their own keyword in WKT: MULTIPOINT((1 2),(3 4)), as the servers write it.
          return type === 7 ? inner : inner.slice(inner.indexOf('('));
        });
        return parts.length ? `${name}(${parts.join(',')})` : `${name} EMPTY`;
      }
    }
  };
  return geometry();
}

function num(n: number): string {
  return Object.is(n, -0) ? '0' : String(n);
}
