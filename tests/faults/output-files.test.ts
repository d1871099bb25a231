/**
 * Output files tampered with while the pool writes them: a segment made immutable (`chattr +i`, which binds
 * root too), and a segment deleted. The pool names the problem and goes on; nothing written after it is lost.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freshId } from '../integration/helpers.js';
import { waitFor } from '../integration/source-helpers.js';
import { faultPipeline, type FaultPipeline } from './harness.js';
import { record, tally } from './report.js';

const openSegments = (p: FaultPipeline) => readdirSync(p.poolEnv.OUTPUT_DIR).filter((f) => f.endsWith('.jsonl.open') && !f.includes('deadletter'));

async function insert(p: FaultPipeline, n: number): Promise<number[]> {
  const ids = Array.from({ length: n }, () => freshId());
  await p.admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.map((id) => [id, 'tamper', 'Toys', 1])]);
  return ids;
}

test('an output segment made immutable while open: the consumer names it, retries, and loses nothing once it is writable again', { timeout: 300_000 }, async (t) => {
  const p = await faultPipeline(t, { POOL_SIZE: '1' });
  const first = await insert(p, 20);
  await p.waitLines(first, 20, 'the first lines');
  const [segment] = openSegments(p);
  const path = join(p.poolEnv.OUTPUT_DIR, segment!);
  execFileSync('chattr', ['+i', path]);
  t.after(() => { try { execFileSync('chattr', ['-i', path]); } catch { /* gone */ } });
  const during = await insert(p, 20);
  await waitFor('the refused write to be named', async () => /appending to .* failed \(EPERM\)/.test(p.pool.output()), 60_000);
  execFileSync('chattr', ['-i', path]);
  const lines = await p.waitLines([...first, ...during], 40, 'every line once the file is writable again');
  const counts = tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 40);
  record({ suite: 'service faults', fault: 'an open output segment made immutable (chattr +i) while the pool writes it', outcome: 'the consumer stops on EPERM naming the file, is restarted with backoff, and writes everything once the file is writable again', ...counts });
  assert.deepEqual(counts, { lost: 0, duplicated: 0 });
});

test('an output segment deleted while open: the deletion is named, and every change after it is written once', { timeout: 300_000 }, async (t) => {
  const p = await faultPipeline(t, { POOL_SIZE: '1' });
  const first = await insert(p, 20);
  await p.waitLines(first, 20, 'the first lines');
  const [segment] = openSegments(p);
  unlinkSync(join(p.poolEnv.OUTPUT_DIR, segment!));
  const after = await insert(p, 20);
  await waitFor('the deletion to be named', async () => /was deleted or replaced while being written/.test(p.pool.output()), 60_000);
  const lines = await p.waitLines(after, 20, 'the lines written after the deletion');
  const counts = tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 20);
  record({ suite: 'service faults', fault: 'an open output segment deleted while the pool writes it', outcome: 'noticed at the next fsync, before that batch is committed: it is written again into a new segment; the deleted file\'s lines are gone with it', ...counts });
  assert.deepEqual(counts, { lost: 0, duplicated: 0 });
  assert.equal(p.linesOf(first).length, 0, 'the lines in the deleted file went with it');
});
