import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OutputIndex, repairTornTail } from '../../../src/pool/output-index.js';

const line = (partition: number, offset: number) => `${JSON.stringify({ id: 1, _meta: { topic: 't', partition, offset } })}\n`;

test('a torn last line is cut; whole files are left alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
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

test('the index holds the highest offset per partition across every file, dead letters included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idx-'));
  writeFileSync(join(dir, 'consumer-1.jsonl'), line(0, 5) + line(3, 9) + line(0, 7));
  writeFileSync(join(dir, 'consumer-2.jsonl'), line(0, 6) + line(1, 2) + 'torn');
  writeFileSync(join(dir, 'consumer-2.deadletter.jsonl'), line(1, 3));
  writeFileSync(join(dir, 'notes.txt'), 'not output');
  const { index, report } = await OutputIndex.load(dir);
  assert.deepEqual(report, { files: 3, lines: 6, repairedBytes: 4 });
  assert.equal(index.written('t', 0), 7);
  assert.equal(index.written('t', 1), 3);
  assert.equal(index.written('t', 3), 9);
  assert.equal(index.written('t', 2), -1);
  index.note('t', 2, 4);
  index.note('t', 0, 1);
  assert.equal(index.written('t', 2), 4);
  assert.equal(index.written('t', 0), 7, 'never moves back');
});
