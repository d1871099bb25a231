/**
 * `cdc verify` against the real pipeline: equal output says so (exit 0); a line deleted, a line duplicated and a
 * price edited in closed segments are each found (exit 1, the keys and columns named); `--repair` writes the
 * missing and differing rows again through the source's transactional path, after which only the duplicate is left.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { VerifyReport } from '../../src/verify/run.js';
import { parseSegment } from '../../src/pool/segment-name.js';
import { startCommand } from './process.js';
import { countLines, startPool, stopPool } from './pool-helpers.js';
import { binlogEnd, startSource, stopSource, waitFor } from './source-helpers.js';
import { capturedTables, closedUpTo } from './tables-helpers.js';

async function verify(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; report: VerifyReport; output: string }> {
  const run = startCommand('src/cli/verify.ts', env, ['--json', '--wait', '60', ...args]);
  const code = await run.exited;
  const out = run.output();
  const start = out.indexOf('{\n');
  return { code, report: (start >= 0 ? JSON.parse(out.slice(start, out.lastIndexOf('}') + 1)) : undefined) as VerifyReport, output: out };
}

test('cdc verify: equal output exits 0; a deleted, a duplicated and an edited line are found and named; --repair fixes the rows', async (t) => {
  const e = await capturedTables(t, { orders: 'id INT PRIMARY KEY, total DECIMAL(12,2), note VARCHAR(20)' },
    { OUTPUT_MARK_SECONDS: '1', OUTPUT_CLOSE_EVERY: '2s' });
  const orders = e.tables.orders!;
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));
  for (let i = 1; i <= 30; i++) {
    await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, ?, ?, ?)`, [i, `p${i}`, i % 3 ? 'Garden' : 'Electronics', i + 0.5]);
    await e.admin.query(`INSERT INTO \`${orders}\` VALUES (?, ?, 'n')`, [i, `${i}.25`]);
  }
  await e.admin.query(`UPDATE \`${e.seed}\` SET price = price + 1 WHERE id <= 10`);
  await e.admin.query(`DELETE FROM \`${orders}\` WHERE id > 25`);
  await closedUpTo(e.outputDir, await binlogEnd(e.admin));

  const clean = await verify(e.env);
  assert.equal(clean.code, 0, clean.output);
  assert.deepEqual(clean.report.tables.map((v) => [v.table.split('.')[1], v.rows, v.equal, v.missing, v.extra, v.differing, v.duplicated]),
    [[orders, 25, 25, 0, 0, 0, 0], [e.seed, 30, 30, 0, 0, 0, 0]], 'the transform (upper-cased category, the discount) is honoured');

  // Corrupt closed segments of the seed's table: product 20's only line deleted, product 21's duplicated, 22's price edited.
  const closed = readdirSync(e.outputDir).filter((f) => parseSegment(f)?.state === 'closed').map((f) => join(e.outputDir, f));
  const edit = (id: number, change: (line: string) => string[]) => {
    for (const f of closed) {
      const lines = readFileSync(f, 'utf8').split('\n').filter(Boolean);
      const i = lines.findIndex((l) => l.startsWith(`{"id":${id},`));
      if (i < 0) continue;
      lines.splice(i, 1, ...change(lines[i]!));
      writeFileSync(f, `${lines.join('\n')}\n`);
      return;
    }
    assert.fail(`no closed line of product ${id}`);
  };
  edit(20, () => []);
  edit(21, (l) => [l, l]);
  edit(22, (l) => [l.replace(/"price":[0-9.]+/, '"price":0.01')]);
  const broken = await verify(e.env);
  assert.equal(broken.code, 1, broken.output);
  const seed = broken.report.tables.find((v) => v.table.endsWith(e.seed))!;
  assert.deepEqual([seed.missing, seed.extra, seed.differing, seed.duplicated], [1, 0, 1, 1]);
  assert.deepEqual(seed.samples.missing, ['{"id":20}']);
  assert.deepEqual(seed.samples.differing, [{ key: '{"id":22}', columns: ['price'] }]);
  const ordersVerdict = broken.report.tables.find((v) => v.table.endsWith(orders))!;
  assert.equal(ordersVerdict.equal, 25, 'the other table is still equal');

  const repair = await verify(e.env, ['--repair', '--table', `shop.${e.seed}`]);
  assert.equal(repair.code, 1, 'the report before the repair still differs');
  assert.equal(repair.report.tables[0]!.repaired, 2, 'products 20 and 22 written again');
  await waitFor('the repaired rows written', async () => countLines(e.outputDir) >= 30 + 10 - 1 + 1 + 2, 60_000);
  await closedUpTo(e.outputDir, await binlogEnd(e.admin));
  const after = await verify(e.env, ['--table', `shop.${e.seed}`]);
  const fixed = after.report.tables[0]!;
  assert.deepEqual([fixed.missing, fixed.differing, fixed.duplicated], [0, 0, 1], 'the rows are right again; the duplicated line is still reported');
  assert.equal(after.code, 1);

  const bad = await verify(e.env, ['--table', 'nodot']);
  assert.equal(bad.code, 2, bad.output);
  assert.equal(await stopPool(pool), 0);
  assert.equal(await stopSource(source), 0);
});
