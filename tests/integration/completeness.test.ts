/**
 * The completeness mark through the whole pipeline: while two tables take writes, every mark the pool publishes
 * is checked against the files at that moment (every transaction committed up to the mark's binlog position is
 * in closed segments, or in segments for the open mark), and OUTPUT_CLOSE_EVERY brings the closed mark to the end.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MarkJson, PointJson } from '../../src/pool/mark-file.js';
import { parseSegment } from '../../src/pool/segment-name.js';
import { startPool, stopPool } from './pool-helpers.js';
import { startCommand } from './process.js';
import { binlogEnd, startSource, stopSource, waitFor } from './source-helpers.js';
import { capturedTables, tableDir } from './tables-helpers.js';

interface Written { table: 'seed' | 'orders'; id: number; file: string; pos: number }

/** The ids of a table's folder, from closed segments only or from every segment (open ones up to their last whole line). */
function idsIn(dir: string, closedOnly: boolean): Set<number> {
  const ids = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return ids;
  }
  for (const name of names) {
    const s = parseSegment(name);
    if (!s || s.dead || s.state === 'gz-tmp' || s.state === 'gz' || (closedOnly && s.state !== 'closed')) continue;
    let text: string;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      // Renamed between the listing and the read: read again under its new name.
      return idsIn(dir, closedOnly);
    }
    for (const l of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) if (l) ids.add((JSON.parse(l) as { id: number }).id);
  }
  return ids;
}

const upTo = (w: Written, p: PointJson) => w.file < p.binlog_file || (w.file === p.binlog_file && w.pos <= p.binlog_pos);

test('every completeness mark published under load holds when it is read: closed segments hold every change up to the closed mark, segments every change up to the open mark', async (t) => {
  const e = await capturedTables(t, { orders: 'id INT PRIMARY KEY, total DECIMAL(10,2)' },
    { OUTPUT_MARK_SECONDS: '1', OUTPUT_CLOSE_EVERY: '3s' });
  const orders = e.tables.orders!;
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));

  const written: Written[] = [];
  let writing = true;
  const writer = (async () => {
    for (let i = 1; writing; i++) {
      const table = i % 3 === 0 ? 'orders' : 'seed';
      if (table === 'seed') await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, 'p', 'Garden', 1)`, [i]);
      else await e.admin.query(`INSERT INTO \`${orders}\` VALUES (?, 1.25)`, [i]);
      // The binlog's end after the commit: the transaction ends at or before it.
      written.push({ table, id: i, ...(await binlogEnd(e.admin)) });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const markPath = join(e.outputDir, '_complete.json');
  const readMark = (): MarkJson | undefined => { try { return JSON.parse(readFileSync(markPath, 'utf8')) as MarkJson; } catch { return undefined; } };
  let closedChecks = 0;
  let openChecks = 0;
  const check = (mark: MarkJson, known: Written[]) => {
    // Read after the mark: files only gain lines, so what they hold now they held when the mark was written.
    for (const [state, p] of [['closed', mark.closed], ['open', mark.open]] as const) {
      if (!p) continue;
      const seedIds = idsIn(e.outputDir, state === 'closed');
      const orderIds = idsIn(tableDir(e, orders), state === 'closed');
      const missing = known.filter((w) => upTo(w, p) && !(w.table === 'seed' ? seedIds : orderIds).has(w.id));
      assert.deepEqual(missing, [], `${state} mark ${p.binlog_file}:${p.binlog_pos} claims changes its files do not hold`);
      if (state === 'closed') closedChecks++;
      else openChecks++;
    }
  };
  const deadline = Date.now() + 12_000;
  while (Date.now() < deadline) {
    const known = [...written];
    const mark = readMark();
    if (mark) check(mark, known);
    await new Promise((r) => setTimeout(r, 300));
  }
  writing = false;
  await writer;
  const end = written.at(-1)!;
  assert.ok(closedChecks >= 3 && openChecks >= 5, `marks were checked under load (closed ${closedChecks}, open ${openChecks} times)\n${pool.output().split('\n').filter((l) => /mark|complete|error|closing|rotat/i.test(l)).slice(-30).join('\n')}`);

  // OUTPUT_CLOSE_EVERY closes every segment at one mark: the closed mark reaches the last write, and all is closed.
  const last = await waitFor('the closed mark past the last write', async () => {
    const m = readMark();
    return m?.closed && upTo(end, m.closed) ? m : undefined;
  }, 60_000).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(readMark())}\n${pool.output().split('\n').slice(-10).join('\n')}`); });
  check(last, written);
  assert.equal(idsIn(e.outputDir, true).size + idsIn(tableDir(e, orders), true).size, written.length, 'every write is in a closed segment');
  assert.ok(last.closed!.server_time, 'the mark names the server time of its last change');
  assert.equal(await stopSource(source), 0);
  assert.equal(await stopPool(pool), 0);

  const status = startCommand('src/cli/status.ts', e.env, ['--json']);
  assert.equal(await status.exited, 0, status.output());
  const report = JSON.parse(status.output()) as { output: { complete?: MarkJson } };
  assert.ok(report.output.complete?.closed && upTo(end, report.output.complete.closed), 'status shows the mark past the last write');
});
