import { COUNT_BELOW, type StatusReport } from './status.js';

const ago = (ms: number, nowMs: number) => {
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
};

/** The one-screen table of `npm run status`. */
export function formatStatus(r: StatusReport): string {
  const now = Date.parse(r.at);
  const out: string[] = [`status at ${r.at}`, ''];
  const c = r.capture;
  out.push(`captured ${c.table}`);
  if (c.columns.length > 0) out.push(`  columns       ${c.columns.map((col) => `${col.name} ${col.type}`).join(', ')}`);
  out.push(`  value schema  ${c.subject} ${c.version === null ? 'not registered yet (the source registers it with the first change)' : `version ${c.version} (id ${c.schemaId})`}`);
  if (c.error) out.push(`  error         ${c.error}`);
  out.push('');
  if (r.tables.length > 1) {
    out.push(`tables (${r.tables.length} captured)`);
    const w = Math.max(5, ...r.tables.map((t) => t.table.length));
    const tw = Math.max(5, ...r.tables.map((t) => t.topic.length));
    out.push(`  ${'table'.padEnd(w)}  ${'topic'.padEnd(tw)}  ${'schema'.padEnd(12)}  ${'to write'.padStart(10)}  ${'lines'.padStart(10)}  files`);
    for (const t of r.tables) {
      const schema = t.version === null ? '-' : `v${t.version} (id ${t.schemaId})`;
      const toWrite = t.pending === null ? '?' : t.pendingExact ? String(t.pending) : `<=${t.pending}`;
      out.push(`  ${t.table.padEnd(w)}  ${t.topic.padEnd(tw)}  ${schema.padEnd(12)}  ${toWrite.padStart(10)}  ${String(t.lines ?? '?').padStart(10)}  ` +
        `${t.openFiles} open, ${t.closedFiles} closed${t.error ? `  (${t.error})` : ''}`);
    }
    out.push('');
  }
  const s = r.source;
  out.push(`source ${s.id}`);
  if (s.checkpoint) {
    const c = s.checkpoint;
    out.push(`  checkpoint    ${c.file}:${c.pos}${c.gtid ? `  gtid ${c.gtid}` : ''}`);
    out.push(`                written ${c.writtenAtMs ? ago(c.writtenAtMs, now) : 'at an unknown time'} by ${c.owner || 'unknown'}; ${c.changes} changes so far` +
      `${c.snapshotRows !== undefined ? `; snapshot in progress, ${c.snapshotRows} rows` : ''}`);
  } else if (!s.error?.includes('checkpoint:')) {
    out.push('  checkpoint    none yet (the source has not started, or not committed anything)');
  }
  if (s.head) out.push(`  binlog head   ${s.head.file}:${s.head.pos}`);
  if (s.checkpoint && s.head) {
    out.push(s.bytesBehind === null
      ? `  behind        unknown: ${s.checkpoint.file} is no longer on the server (the source falls back to a snapshot)`
      : `  behind        ${s.bytesBehind} bytes${s.secondsBehind !== null ? `, ${s.secondsBehind} s` : ''}`);
  }
  if (s.error) out.push(`  error         ${s.error}`);
  out.push('');

  const g = r.group;
  out.push(`group ${g.group} on ${g.topic}`);
  if (g.partitions.length > 0) {
    // "to write" is what a user asks (records, markers excluded); the offset lag is in --json.
    const toWrite = (pending: number | null, lag: number) => (pending === null ? `<=${lag}` : String(pending));
    out.push(`  ${'partition'.padStart(9)}  ${'end'.padStart(12)}  ${'committed'.padStart(12)}  ${'to write'.padStart(10)}`);
    for (const p of g.partitions) {
      out.push(`  ${String(p.partition).padStart(9)}  ${String(p.end).padStart(12)}  ${(p.committed === null ? '-' : String(p.committed)).padStart(12)}  ` +
        `${toWrite(p.pending, p.lag).padStart(10)}`);
    }
    out.push(`  ${'total'.padStart(9)}  ${''.padStart(12)}  ${''.padStart(12)}  ${(g.pendingExact ? String(g.pending) : `<=${g.pending}`).padStart(10)}`);
    if (!g.pendingExact) out.push(`  (<=: more than ${COUNT_BELOW} offsets behind, transaction markers among them, so not counted; --count reads every record)`);
  }
  if (g.error) out.push(`  error         ${g.error}`);
  out.push('');

  const o = r.output;
  out.push(`output ${o.dir}`);
  const width = Math.max(0, ...o.open.map((f) => f.file.length));
  for (const f of o.open) out.push(`  open    ${f.file.padEnd(width)}  ${String(f.lines).padStart(10)} lines  ${mib(f.bytes)}`);
  if (!o.error) {
    out.push(`  closed  ${o.closed.files} files, ${o.closed.lines} lines, ${mib(o.closed.bytes)}`);
    out.push(`  lines ${o.lines}, dead letters ${o.deadLetters}`);
    if (o.complete) {
      for (const state of ['closed', 'open'] as const) {
        const p = o.complete[state];
        const label = state === 'closed' ? 'complete in closed segments up to' : 'complete in segments up to       ';
        out.push(`  ${label} ${p ? `${p.binlog_file}:${p.binlog_pos}${p.gtid ? ` (GTID ${p.gtid})` : ''}, server time ${p.server_time ?? '(none: no change read since the source started or snapshotted)'}` : '(no mark yet)'}`);
      }
      out.push(`  (the mark in _complete.json, updated ${o.complete.updated_at})`);
    }
  }
  else out.push(`  error         ${o.error}`);
  out.push('');

  const l = r.latency;
  out.push('latency, binlog read to line fsynced (the running supervisor, since it started)');
  if (l.lines !== null && l.lines > 0) out.push(`  p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms over ${l.lines} lines`);
  else if (l.lines === 0) out.push('  no lines written since the supervisor started');
  if (l.error) out.push(`  ${l.error}`);
  return `${out.join('\n')}\n`;
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
