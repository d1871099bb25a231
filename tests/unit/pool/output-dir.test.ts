import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { SegmentPolicy } from '../../../src/config.js';
import { OutputDir } from '../../../src/pool/output-dir.js';
import { repairTornTail, scanFile } from '../../../src/pool/output-index.js';
import { MANIFEST_FILE, readManifest } from '../../../src/pool/segment-manifest.js';
import { OutputWriteError, SegmentWriter } from '../../../src/pool/segment-writer.js';

const line = (partition: number, offset: number) => `${JSON.stringify({ id: 1, _meta: { topic: 't', partition, offset } })}\n`;
const policy = (over: Partial<SegmentPolicy> = {}): SegmentPolicy => ({
  maxBytes: 1 << 30, maxAgeMs: 3_600_000, gzip: false, format: 'jsonl', parquetCompression: 'zstd', retentionMs: 0, retentionBytes: 0, fileMode: 0o640, ...over,
});
const files = (dir: string) => readdirSync(dir).filter((n) => n !== MANIFEST_FILE).sort();

/** Writes offsets as one durable batch, as the consumer does: append, fsync, note, close if due. */
async function batch(out: OutputDir, w: SegmentWriter, partition: number, offsets: number[]): Promise<void> {
  await w.append(offsets.map((o) => line(partition, o)).join(''), offsets.length);
  await w.sync();
  for (const o of offsets) out.index.note('t', partition, o);
  await w.rotateIfDue();
}

test('a torn last line is cut; whole files are left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const torn = join(dir, 'a.jsonl');
  writeFileSync(torn, line(0, 1) + line(0, 2) + '{"id":1,"_meta":{"to');
  assert.equal(await repairTornTail(torn), '{"id":1,"_meta":{"to'.length);
  assert.equal(readFileSync(torn, 'utf8'), line(0, 1) + line(0, 2));
  assert.equal(await repairTornTail(torn), 0);
  const onlyTorn = join(dir, 'b.jsonl');
  writeFileSync(onlyTorn, '{"half');
  assert.equal(await repairTornTail(onlyTorn), 6);
  assert.equal(readFileSync(onlyTorn, 'utf8'), '');
});

test('files of the one-file layout are read once as closed history, then known from the manifest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  writeFileSync(join(dir, 'consumer-1.jsonl'), line(0, 5) + line(3, 9) + line(0, 7));
  writeFileSync(join(dir, 'consumer-2.jsonl'), line(0, 6) + line(1, 2) + 'torn');
  writeFileSync(join(dir, 'consumer-2.deadletter.jsonl'), line(1, 3));
  writeFileSync(join(dir, 'notes.txt'), 'not output');
  const first = await OutputDir.open(dir, policy());
  assert.deepEqual(first.report, { scannedFiles: 3, scannedLines: 6, closedFiles: 3, lines: 6, repairedBytes: 4 });
  const { index } = first.out;
  assert.equal(index.written('t', 0), 7);
  assert.equal(index.written('t', 1), 3);
  assert.equal(index.written('t', 3), 9);
  assert.equal(index.written('t', 2), -1);
  index.note('t', 0, 1);
  assert.equal(index.written('t', 0), 7, 'never moves back');
  const again = await OutputDir.open(dir, policy());
  assert.equal(again.report.scannedFiles, 0, 'nothing read line by line the second time');
  assert.equal(again.report.lines, 6);
  assert.equal(again.out.index.written('t', 3), 9);
});

test('segments close at their size limit; a start reads only the open one and knows every offset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const { out } = await OutputDir.open(dir, policy({ maxBytes: 3 * line(0, 10).length }));
  const w = new SegmentWriter(out, 'consumer-1', false);
  assert.deepEqual(files(dir), [], 'no file before the first line');
  await batch(out, w, 0, [10, 11]);
  assert.deepEqual(files(dir), ['consumer-1.000001.jsonl.open']);
  await batch(out, w, 0, [12]);
  await batch(out, w, 4, [20, 21, 22, 23]);
  await batch(out, w, 4, [24]);
  await w.close();
  await out.drain();
  assert.deepEqual(files(dir), ['consumer-1.000001.jsonl', 'consumer-1.000002.jsonl', 'consumer-1.000003.jsonl.open']);
  assert.equal(readFileSync(join(dir, 'consumer-1.000002.jsonl'), 'utf8'), [20, 21, 22, 23].map((o) => line(4, o)).join(''));
  const m = await readManifest(dir);
  assert.deepEqual(m.closed['consumer-1.000001.jsonl']?.lines, 3);
  assert.equal(m.written['t:4'], 23, 'the manifest holds what was durable when the last segment closed');

  const { out: next, report } = await OutputDir.open(dir, policy({ maxBytes: 3 * line(0, 10).length }));
  assert.deepEqual(report, { scannedFiles: 1, scannedLines: 1, closedFiles: 2, lines: 8, repairedBytes: 0 });
  assert.equal(next.index.written('t', 0), 12);
  assert.equal(next.index.written('t', 4), 24, 'the open segment is read');
  const w2 = new SegmentWriter(next, 'consumer-1', false);
  await batch(next, w2, 4, [25]);
  await w2.close();
  assert.equal(readFileSync(join(dir, 'consumer-1.000003.jsonl.open'), 'utf8'), line(4, 24) + line(4, 25), 'a restart appends to its open segment');
});

test('a crash between the manifest entry and the rename, or mid-compression, is finished at the next start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const { out } = await OutputDir.open(dir, policy({ maxBytes: 1 }));
  const w = new SegmentWriter(out, 'consumer-2', false);
  await batch(out, w, 1, [1, 2]);
  await out.drain();
  // As if killed after step 2: the manifest knows segment 1, the file still has its open name.
  const closed = join(dir, 'consumer-2.000001.jsonl');
  writeFileSync(`${closed}.open`, readFileSync(closed));
  writeFileSync(`${closed}.gz.tmp`, 'half a gzip');
  unlinkSync(closed);
  const { out: next, report } = await OutputDir.open(dir, policy({ gzip: true }));
  await next.drain();
  assert.equal(report.scannedFiles, 0, 'an accounted segment is not read again');
  assert.deepEqual(files(dir), ['consumer-2.000001.jsonl.gz']);
  assert.equal(gunzipSync(readFileSync(`${closed}.gz`)).toString(), line(1, 1) + line(1, 2));
  assert.equal(next.index.written('t', 1), 2);
  const w2 = new SegmentWriter(next, 'consumer-2', false);
  await batch(next, w2, 1, [3]);
  await w2.close();
  assert.ok(existsSync(join(dir, 'consumer-2.000002.jsonl.open')), 'numbering carries on after the closed segment');
});

test('retention by size deletes the oldest closed segments; the offsets stay known', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const size = line(0, 100).length;
  const { out } = await OutputDir.open(dir, policy({ maxBytes: 1, retentionBytes: 2 * size }));
  const w = new SegmentWriter(out, 'consumer-3', false);
  for (const o of [100, 101, 102, 103]) await batch(out, w, 0, [o]);
  await out.drain();
  await w.close();
  const left = files(dir);
  assert.deepEqual(left, ['consumer-3.000003.jsonl', 'consumer-3.000004.jsonl']);
  assert.deepEqual(Object.keys((await readManifest(dir)).closed).sort(), left);
  const { out: next } = await OutputDir.open(dir, policy());
  assert.equal(next.index.written('t', 0), 103);
});

test('a new writer cuts a torn tail off its open segment: no torn line is left between whole ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const { out } = await OutputDir.open(dir, policy());
  const w = new SegmentWriter(out, 'consumer-4', false);
  await batch(out, w, 0, [1]);
  const path = join(dir, 'consumer-4.000001.jsonl.open');
  // Another writer of the stream (after a failure) finds bytes past what was written whole, and cuts them.
  writeFileSync(path, `${readFileSync(path, 'utf8')}{"id":2,"_me`);
  await w.close();
  const w2 = new SegmentWriter(out, 'consumer-4', false);
  await batch(out, w2, 0, [2]);
  await w2.close();
  assert.equal(readFileSync(path, 'utf8'), line(0, 1) + line(0, 2));
});

test('an open segment deleted under the writer is noticed at the next fsync, before that batch counts as written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const { out } = await OutputDir.open(dir, policy());
  const w = new SegmentWriter(out, 'consumer-5', false);
  await batch(out, w, 0, [1]);
  unlinkSync(join(dir, 'consumer-5.000001.jsonl.open'));
  await assert.rejects(batch(out, w, 0, [2]), (err: Error) => err instanceof OutputWriteError && /was deleted or replaced while being written/.test(err.message));
  assert.equal(out.index.written('t', 0), 1, 'the batch that went into the deleted file is not in the index: it is redelivered');
  await w.close();
  const again = new SegmentWriter(out, 'consumer-5', false);
  await batch(out, again, 0, [2]);
  await again.close();
  assert.equal(readFileSync(join(dir, 'consumer-5.000002.jsonl.open'), 'utf8'), line(0, 2));
});

test('supervisors sharing a directory keep a manifest each, read each other\'s, and a start leaves the other\'s half-written open segment alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const size = line(0, 10).length;
  const { out: a } = await OutputDir.open(dir, policy({ maxBytes: 2 * size }), undefined, 'a');
  const { out: b } = await OutputDir.open(dir, policy({ maxBytes: 2 * size }), undefined, 'b');
  const wa = new SegmentWriter(a, 'consumer-a-1', false);
  const wb = new SegmentWriter(b, 'consumer-b-1', false);
  await batch(a, wa, 0, [10, 11]);
  await batch(b, wb, 1, [20, 21]);
  await batch(b, wb, 1, [22]);
  await a.drain();
  await b.drain();
  // b is mid-append: its open segment ends in half a line.
  const bOpen = join(dir, 'consumer-b-1.000002.jsonl.open');
  writeFileSync(bOpen, `${readFileSync(bOpen, 'utf8')}{"id":1,"_me`);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.segments')).sort(), ['.segments-a.json', '.segments-b.json']);

  const { out: again, report } = await OutputDir.open(dir, policy(), undefined, 'a');
  assert.equal(report.scannedFiles, 1, 'closed segments of both are known from their manifests; only b\'s open segment is read');
  assert.equal(again.index.written('t', 0), 11);
  assert.equal(again.index.written('t', 1), 22, 'b\'s open segment is read for the index');
  assert.ok(readFileSync(bOpen, 'utf8').endsWith('{"id":1,"_me'), 'b\'s half-written line is left alone');
  await wa.close();
  await wb.close();
});

test('after a start, another supervisor\'s new lines reach the index on a refresh, a half line once it is finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const { out: a } = await OutputDir.open(dir, policy(), undefined, 'a');
  const { out: b } = await OutputDir.open(dir, policy(), undefined, 'b');
  const wb = new SegmentWriter(b, 'consumer-b-1', false);
  await batch(b, wb, 3, [5]);
  await a.refreshOthers();
  assert.equal(a.index.written('t', 3), 5);
  await batch(b, wb, 3, [6, 7]);
  const bOpen = join(dir, readdirSync(dir).find((n) => n.startsWith('consumer-b-1') && n.endsWith('.open'))!);
  const half = line(3, 8);
  writeFileSync(bOpen, `${readFileSync(bOpen, 'utf8')}${half.slice(0, 10)}`);
  assert.equal(a.index.written('t', 3), 5, 'nothing read between refreshes');
  await Promise.all([a.refreshOthers(), a.refreshOthers()]);
  assert.equal(a.index.written('t', 3), 7, 'the half line is not counted');
  writeFileSync(bOpen, `${readFileSync(bOpen, 'utf8')}${half.slice(10)}`);
  await a.refreshOthers();
  assert.equal(a.index.written('t', 3), 8, 'the finished line is read from where the last scan stopped');
  await wb.close();
});

test('a line separator (U+2028, U+2029) inside a JSON string does not split the line when a file is scanned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'out-'));
  const path = join(dir, 'consumer-1.000001.jsonl.open');
  const odd = `${JSON.stringify({ name: 'shelf\u2028unit\u2029x', _meta: { topic: 't', partition: 2, offset: 41 } })}\n`;
  assert.ok(odd.includes('\u2028'), 'JSON.stringify leaves the separators raw');
  writeFileSync(path, line(2, 40) + odd + line(2, 42));
  const found = await scanFile(path);
  assert.deepEqual(found, { lines: 3, written: { 't:2': 42 } });
  const { out } = await OutputDir.open(dir, policy());
  assert.equal(out.index.written('t', 2), 42, 'a start indexes the segment instead of failing on it');
});
