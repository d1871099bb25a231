import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CompletenessTracker, type MarkPoint } from '../../../src/pool/completeness.js';
import { MARK_FILE, publishMarks } from '../../../src/pool/mark-file.js';
import { nextBoundary } from '../../../src/pool/mark-probe.js';

const point = (offset: number, pos = offset * 100): MarkPoint => ({
  binlogFile: 'bin.000001', binlogPos: pos, gtid: null, serverTimeMs: 1_700_000_000_000 + offset, sourceReadAtMs: 1_700_000_000_000, checkpointOffset: offset,
});
const targets = (entries: Record<string, number>) => new Map(Object.entries(entries));

test('the open mark moves to a checkpoint only once the committed offsets reach every partition target, idle ones included', () => {
  const t = new CompletenessTracker();
  t.offer(point(1), targets({ 'a:0': 10, 'a:1': 4, 'b:0': 0 }));
  t.observe(targets({ 'a:0': 10, 'a:1': 3 }), 1);
  assert.equal(t.marks().open, null, 'a:1 is one short');
  t.observe(targets({ 'a:0': 10, 'a:1': 4 }), 2);
  assert.equal(t.marks().open?.checkpointOffset, 1, 'b:0 has nothing to wait for');
});

test('of several candidates the newest one reached is the open mark; later ones keep waiting', () => {
  const t = new CompletenessTracker();
  t.offer(point(1), targets({ 'a:0': 5 }));
  t.offer(point(2), targets({ 'a:0': 9 }));
  t.offer(point(3), targets({ 'a:0': 20 }));
  t.observe(targets({ 'a:0': 12 }), 5);
  assert.equal(t.marks().open?.checkpointOffset, 2);
  assert.equal(t.newest()?.point.checkpointOffset, 3);
});

test('the closed mark is the newest reached before the oldest segment still open was opened', () => {
  const t = new CompletenessTracker();
  t.offer(point(1), targets({ 'a:0': 5 }));
  t.observe(targets({ 'a:0': 5 }), 100);
  t.offer(point(2), targets({ 'a:0': 9 }));
  t.observe(targets({ 'a:0': 9 }), 200);
  assert.equal(t.settle(50).closed, null, 'a segment open since 50 may hold lines of either');
  assert.equal(t.settle(150).closed?.checkpointOffset, 1);
  assert.equal(t.settle(Infinity).closed?.checkpointOffset, 2, 'nothing open: every reached candidate is in closed segments');
  assert.equal(t.settle(150).closed?.checkpointOffset, 2, 'a mark does not go back');
});

test('the same checkpoint with the same targets is offered once; an older checkpoint is ignored', () => {
  const t = new CompletenessTracker();
  t.offer(point(4), targets({ 'a:0': 5 }));
  t.offer(point(4), targets({ 'a:0': 5 }));
  t.offer(point(3), targets({ 'a:0': 7 }));
  t.observe(targets({ 'a:0': 4 }), 1);
  assert.equal(t.newest()?.point.checkpointOffset, 4);
  t.offer(point(4), targets({ 'a:0': 6 }));
  t.observe(targets({ 'a:0': 5 }), 2);
  assert.equal(t.marks().open?.checkpointOffset, 4, 'the first candidate of checkpoint 4 is reached');
  assert.equal(t.newest()?.targets.get('a:0'), 6);
});

test('_complete.json holds the lower of the marks of the supervisors sharing the directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mark-'));
  writeFileSync(join(dir, '.complete-b.json'), JSON.stringify({
    version: 1, updated_at: new Date().toISOString(),
    closed: { binlog_file: 'bin.000001', binlog_pos: 200, gtid: null, server_time: null, source_read_at: new Date(0).toISOString(), checkpoint_offset: 2 },
    open: null,
  }));
  const all = await publishMarks(dir, 'a', { open: point(7), closed: point(5) });
  assert.equal(all.closed?.checkpoint_offset, 2, 'b has closed less');
  assert.equal(all.open, null, 'b has no open mark: there is none for the union');
  const own = JSON.parse(readFileSync(join(dir, '.complete-a.json'), 'utf8'));
  assert.equal(own.open.checkpoint_offset, 7);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, MARK_FILE), 'utf8')), all);
});

test('OUTPUT_CLOSE_EVERY boundaries fall on multiples of the period since the epoch', () => {
  const hour = 3_600_000;
  assert.equal(nextBoundary(Date.UTC(2026, 11, 6, 10, 59, 59), hour), Date.UTC(2026, 11, 6, 11));
  assert.equal(nextBoundary(Date.UTC(2026, 11, 6, 11), hour), Date.UTC(2026, 11, 6, 12));
});
