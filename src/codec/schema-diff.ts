/** What changed between two Avro record schemas, in column terms, for a message a user can act on. */

interface RecordSchema {
  fields?: Array<{ name: string; type: unknown }>;
}

/** Avro's union `["null", T]` reads as `T (nullable)`. */
function typeText(type: unknown): string {
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    const inner = rest.length === 1 ? typeText(rest[0]) : rest.map(typeText).join(' | ');
    return rest.length < type.length ? `${inner} (nullable)` : inner;
  }
  if (type && typeof type === 'object') {
    const t = type as { type?: unknown; logicalType?: string };
    return t.logicalType ? `${String(t.type)} (${t.logicalType})` : typeText(t.type);
  }
  return String(type);
}

export function describeFieldChanges(before: RecordSchema, after: RecordSchema): string {
  const old = new Map((before.fields ?? []).map((f) => [f.name, typeText(f.type)]));
  const now = new Map((after.fields ?? []).map((f) => [f.name, typeText(f.type)]));
  const out: string[] = [];
  for (const [name, type] of now) {
    const was = old.get(name);
    if (was === undefined) out.push(`column ${name} added as ${type}`);
    else if (was !== type) out.push(`column ${name} changed from ${was} to ${type}`);
  }
  for (const name of old.keys()) if (!now.has(name)) out.push(`column ${name} removed`);
  return out.length > 0 ? out.join('; ') : 'no column differs';
}
