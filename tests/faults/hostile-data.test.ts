/**
 * Hostile data through the whole pipeline (binlog → Avro → Kafka → pool → JSON line), one case each, with its
 * stated outcome. Each finding goes to docs/reliability.md (`npm run test:faults`). Destructive cases (TRUNCATE
 * of the shared table) run only there, with CDC_FAULTS_FULL=1.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Kafka from 'node-rdkafka';
import type { OutputLine } from '../../src/pool/transform.js';
import { config, freshId } from '../integration/helpers.js';
import { readOutput } from '../integration/pool-helpers.js';
import { startCommand } from '../integration/process.js';
import { startSource, stopSource, waitFor } from '../integration/source-helpers.js';
import { faultPipeline, type FaultPipeline } from './harness.js';
import { record, tally } from './report.js';

const SUITE = 'hostile data';
const full = process.env.CDC_FAULTS_FULL === '1';

/** Inserts a row, waits for its one line, records the finding; returns the line. */
async function oneLine(p: FaultPipeline, fault: string, outcome: string, sql: string, params: unknown[], id: number): Promise<OutputLine> {
  await p.admin.query(sql, params);
  const lines = await p.waitLines([id], 1, `the line of ${fault}`);
  const counts = tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 1);
  record({ suite: SUITE, fault, outcome, ...counts });
  assert.equal(lines.length, 1, `${fault}: exactly one line`);
  return lines[0]!;
}

const insert = 'INSERT INTO product (id, name, category, price, last_updated) VALUES (?, ?, ?, ?, ?)';
const now = '2026-11-30 12:00:00';

test('hostile data through the whole pipeline, one subtest per case', { timeout: 900_000 }, async (t) => {
  const p = await faultPipeline(t);
  const { admin } = p;

  await t.test('NULL in every nullable column', async () => {
    const id = freshId();
    const l = await oneLine(p, 'NULL in every nullable column', 'a line with null name, category, price and list_price', insert, [id, null, null, null, now], id);
    assert.deepEqual([l.name, l.category, l.price, l.list_price, l.discount_percent], [null, null, null, null, 0]);
  });
  await t.test('empty strings', async () => {
    const id = freshId();
    const l = await oneLine(p, 'empty strings', 'empty strings stay empty strings, not null', insert, [id, '', '', 1, now], id);
    assert.deepEqual([l.name, l.category], ['', '']);
  });
  await t.test('255-character name', async () => {
    const id = freshId();
    const name = 'n'.repeat(255);
    const l = await oneLine(p, '255-character name', 'written in full', insert, [id, name, 'Toys', 1, now], id);
    assert.equal(l.name, name);
  });
  await t.test('255 four-byte UTF-8 characters', async () => {
    const id = freshId();
    const name = '😀𝄞'.repeat(127) + '😀';
    const l = await oneLine(p, '255 four-byte UTF-8 characters (emoji, musical symbols)', 'written in full, valid UTF-8 JSON', insert, [id, name, 'Toys', 1, now], id);
    assert.equal(l.name, name);
  });
  await t.test('quotes, backslashes, newlines, tabs', async () => {
    const id = freshId();
    const name = 'a "quoted" \\ back\nslash\ttab\r\u2028';
    const l = await oneLine(p, 'quotes, backslashes, CR/LF, tab, U+2028', 'JSON-escaped: still one line per change', insert, [id, name, 'Toys', 1, now], id);
    assert.equal(l.name, name);
    // U+2028 stays raw in JSON; the start-up scan of the open segment holding it must not split the line there.
    await p.killAndRestartPool();
    const next = freshId();
    await oneLine(p, 'the pool killed and restarted with that line in its open segment', 'the segment is indexed at start; the next change is written once',
      insert, [next, 'after the restart', 'Toys', 1, now], next);
    assert.equal(p.linesOf([id]).length, 1, 'the U+2028 line is not written again');
  });
  await t.test('NUL character', async () => {
    const id = freshId();
    const l = await oneLine(p, 'NUL character inside a name', 'kept, written as \\u0000', insert, [id, 'a\u0000b', 'Toys', 1, now], id);
    assert.equal(l.name, 'a\u0000b');
  });
  await t.test('lone surrogate', async () => {
    const id = freshId();
    await admin.query(insert, [id, 'x\uD800y', 'Toys', 1, now]);
    const [[stored]] = await admin.query<Array<{ name: string } & import('mysql2').RowDataPacket>>('SELECT name FROM product WHERE id = ?', [id]);
    const lines = await p.waitLines([id], 1, 'the lone surrogate line');
    record({ suite: SUITE, fault: 'a lone UTF-16 surrogate sent by the client', outcome: `the driver sends U+FFFD; the line holds what the table stored (${JSON.stringify(stored!.name)})`, ...tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 1) });
    assert.equal(lines[0]!.name, stored!.name);
  });
  for (const [label, price, expect] of [
    ['largest float', 3.4e38, 3.4e38], ['most negative float', -3.4e38, -3.4e38], ['negative zero', -0, 0],
    ['subnormal', 1e-40, Math.fround(1e-40)], ['0.1', 0.1, 0.1],
  ] as const) {
    await t.test(`price ${label}`, async () => {
      const id = freshId();
      const l = await oneLine(p, `price: ${label} (${Object.is(price, -0) ? '-0' : price})`, `list_price ${expect}: the stored float32's shortest decimal`, insert, [id, 'p', 'Toys', price, now], id);
      assert.equal(Math.fround(l.list_price!), Math.fround(expect));
      assert.equal(l.price, l.list_price);
    });
  }
  await t.test('discount rounding on a cent', async () => {
    const id = freshId();
    const l = await oneLine(p, 'a price of 0.01 in the discount category, written lower-case', 'category upper-cased; 10 % off rounds half-up to 0.01', insert, [id, 'p', 'electronics', 0.01, now], id);
    assert.deepEqual([l.category, l.price, l.list_price, l.discount_percent], ['ELECTRONICS', 0.01, 0.01, 10]);
  });
  for (const [label, ts, iso] of [['1970-01-01 00:00:01', '1970-01-01 00:00:01', '1970-01-01T00:00:01.000Z'], ['2038-01-19 03:14:07', '2038-01-19 03:14:07', '2038-01-19T03:14:07.000Z']] as const) {
    await t.test(`last_updated ${label}`, async () => {
      const id = freshId();
      const l = await oneLine(p, `last_updated at the TIMESTAMP limit ${label} UTC`, `written as ${iso}`, insert, [id, 'p', 'Toys', 1, ts], id);
      assert.equal(l.last_updated, iso);
    });
  }
  await t.test('primary key update', async () => {
    const [from, to] = [freshId(), freshId()];
    await admin.query(insert, [from, 'moving', 'Toys', 1, now]);
    await admin.query('UPDATE product SET id = ? WHERE id = ?', [to, from]);
    const lines = await p.waitLines([from, to], 3, 'the key change');
    record({ suite: SUITE, fault: 'an UPDATE of the primary key', outcome: 'a delete of the old key, then a create of the new one (each key keeps its own partition order)', ...tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 3) });
    assert.deepEqual(lines.filter((l) => l.id === from).map((l) => l.op), ['c', 'd']);
    assert.deepEqual(lines.filter((l) => l.id === to).map((l) => l.op), ['c']);
  });
  await t.test('ten updates of one row in one second', async () => {
    const id = freshId();
    await admin.query(insert, [id, 'v0', 'Toys', 1, now]);
    for (let i = 1; i <= 10; i++) await admin.query('UPDATE product SET name = ? WHERE id = ?', [`v${i}`, id]);
    const lines = await p.waitLines([id], 11, 'eleven lines');
    record({ suite: SUITE, fault: 'ten updates of one row within the same second (what timestamp polling misses)', outcome: 'eleven lines, in commit order', ...tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 11) });
    assert.deepEqual(lines.map((l) => l.name), Array.from({ length: 11 }, (_, i) => `v${i}`));
  });
  await t.test('upsert, REPLACE, delete, rollback', async () => {
    const [a, b, c] = [freshId(), freshId(), freshId()];
    await admin.query(insert, [a, 'first', 'Toys', 1, now]);
    await admin.query('INSERT INTO product (id, name) VALUES (?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name)', [a, 'upserted']);
    await admin.query('REPLACE INTO product (id, name, category, price, last_updated) VALUES (?, ?, ?, ?, ?)', [a, 'replaced', 'Toys', 2, now]);
    await admin.query('DELETE FROM product WHERE id = ?', [a]);
    await admin.query('START TRANSACTION');
    await admin.query(insert, [b, 'rolled back', 'Toys', 1, now]);
    await admin.query('ROLLBACK');
    await admin.query(insert, [c, 'after the rollback', 'Toys', 1, now]);
    const lines = await p.waitLines([a, b, c], 5, 'the upsert sequence');
    record({ suite: SUITE, fault: 'INSERT … ON DUPLICATE KEY UPDATE, REPLACE, DELETE, a rolled-back INSERT', outcome: 'c, u, u, d for the row (the delete carries the last row); nothing for the rollback', ...tally(lines.map((l) => `${l._meta.partition}:${l._meta.offset}`), 5) });
    assert.deepEqual(lines.filter((l) => l.id === a).map((l) => `${l.op}:${l.name}`), ['c:first', 'u:upserted', 'u:replaced', 'd:replaced']);
    assert.equal(lines.filter((l) => l.id === b).length, 0, 'a rolled-back row never appears');
  });
  await t.test('other tables and databases', async () => {
    const id = freshId();
    await admin.query('CREATE TABLE IF NOT EXISTS shop.fault_other (id INT PRIMARY KEY, name VARCHAR(20))');
    await admin.query('CREATE DATABASE IF NOT EXISTS fault_elsewhere');
    await admin.query('CREATE TABLE IF NOT EXISTS fault_elsewhere.product LIKE shop.product');
    await admin.query('INSERT INTO shop.fault_other VALUES (?, ?)', [id, 'other']);
    await admin.query('INSERT INTO fault_elsewhere.product (id, name) VALUES (?, ?)', [id, 'elsewhere']);
    const marker = freshId();
    const l = await oneLine(p, 'rows of another table in the database, and of a product table in another database', 'ignored: no line (the row after them arrives alone)', insert, [marker, 'marker', 'Toys', 1, now], marker);
    assert.equal(l.name, 'marker');
    assert.equal(p.linesOf([id]).length, 0);
  });
  await t.test('a 50,000-row transaction', async () => {
    // A range below freshId()'s, cleared first (a crashed earlier run may have left it).
    const ids = Array.from({ length: 50_000 }, (_, i) => -2_100_000_000 - i);
    await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[ids.length - 1], ids[0]]);
    await admin.query('START TRANSACTION');
    for (let i = 0; i < ids.length; i += 5000) {
      await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.slice(i, i + 5000).map((id) => [id, 'bulk', 'Toys', 1])]);
    }
    await admin.query('COMMIT');
    const created = () => p.linesOf(ids).filter((l) => l.op === 'c');
    await waitFor(`${ids.length} lines`, async () => created().length >= ids.length, 180_000);
    await new Promise((r) => setTimeout(r, 500));
    const counts = tally(created().map((l) => `${l._meta.partition}:${l._meta.offset}`), ids.length);
    record({ suite: SUITE, fault: `one transaction of ${ids.length} inserts`, outcome: 'one Kafka transaction; every row a line', ...counts });
    assert.deepEqual(counts, { lost: 0, duplicated: 0 });
    await admin.query('DELETE FROM product WHERE id BETWEEN ? AND ?', [ids[ids.length - 1], ids[0]]);
  });
  await t.test('ADD and DROP of a VARBINARY column while running', async () => {
    await admin.query('ALTER TABLE product ADD COLUMN fault_bin VARBINARY(16) NULL');
    t.after(() => admin.query('ALTER TABLE product DROP COLUMN IF EXISTS fault_bin').catch(() => undefined));
    const id = freshId();
    const l = await oneLine(p, 'ALTER TABLE ADD COLUMN VARBINARY(16) while running, then a row with bytes in it',
      'a new compatible schema version with the column as Avro bytes; the line keeps its fields and carries the column as base64', 'INSERT INTO product (id, name, fault_bin) VALUES (?, ?, ?)', [id, 'with bytes', Buffer.from([0, 255, 10])], id);
    assert.equal(l.name, 'with bytes');
    assert.equal((l as unknown as Record<string, unknown>).fault_bin, 'AP8K', 'the added column reaches the line, as base64');
    const res = await fetch(`${config.registry.url}/subjects/${p.env.KAFKA_TOPIC}-value/versions/latest`);
    const schema = JSON.parse(((await res.json()) as { schema: string }).schema) as { fields: Array<{ name: string; type: unknown }> };
    assert.deepEqual(schema.fields.find((f) => f.name === 'fault_bin')?.type, ['null', { type: 'bytes', mysql: 'varbinary(16)' }]);
    await admin.query('ALTER TABLE product DROP COLUMN fault_bin');
    const after = freshId();
    await oneLine(p, 'ALTER TABLE DROP COLUMN of that column while running', 'another compatible version; lines go on', insert, [after, 'after drop', 'Toys', 1, now], after);
  });
  await t.test('MODIFY COLUMN to an incompatible type', async () => {
    await admin.query('ALTER TABLE product ADD COLUMN fault_n INT NULL');
    t.after(() => admin.query('ALTER TABLE product DROP COLUMN IF EXISTS fault_n').catch(() => undefined));
    const before = freshId();
    await oneLine(p, 'ALTER TABLE ADD COLUMN INT', 'a compatible version', 'INSERT INTO product (id, name, fault_n) VALUES (?, ?, ?)', [before, 'n', 5], before);
    await admin.query('ALTER TABLE product MODIFY COLUMN fault_n VARCHAR(10) NULL');
    const stuck = freshId();
    await admin.query('INSERT INTO product (id, name, fault_n) VALUES (?, ?, ?)', [stuck, 's', 'text']);
    const code = await p.source.exited;
    const said = p.source.output();
    record({ suite: SUITE, fault: 'ALTER TABLE MODIFY COLUMN INT → VARCHAR (not BACKWARD compatible)', outcome: `the source stops with exit ${code}, naming the column change and the compatibility setting; after DROP COLUMN and \`cdc move-source --to head\` it streams again (the changes in between are skipped, as asked)`, lost: null, duplicated: 0 });
    assert.equal(code, 4, said.slice(-2000));
    assert.match(said, /column fault_n changed from int \(nullable\) to string \(nullable\)/);
    assert.match(said, /set the subject's compatibility to NONE/);
    await admin.query('ALTER TABLE product DROP COLUMN fault_n');
    const moved = startCommand('src/cli/move-source.ts', p.env, ['--to', 'head']);
    assert.equal(await moved.exited, 0, moved.output());
    p.source = startSource(p.env);
    await waitFor('the source to resume', async () => /resuming from checkpoint/.test(p.source.output()), 60_000);
    const after = freshId();
    await oneLine(p, 'a row after the remedy', 'streamed as usual', insert, [after, 'after', 'Toys', 1, now], after);
  });
  await t.test('a table rename', async () => {
    const [during, after] = [freshId(), freshId()];
    await admin.query('RENAME TABLE product TO product_fault_renamed');
    try {
      await admin.query('INSERT INTO product_fault_renamed (id, name) VALUES (?, ?)', [during, 'under another name']);
    } finally {
      await admin.query('RENAME TABLE product_fault_renamed TO product');
    }
    const l = await oneLine(p, 'RENAME TABLE product away and back, a row written under the other name', 'the row written under the other name is not captured (the pipeline follows shop.product by name); capture goes on after the rename back', insert, [after, 'after', 'Toys', 1, now], after);
    assert.equal(l.name, 'after');
    assert.equal(p.linesOf([during]).length, 0);
  });
  await t.test('garbage and an unknown schema id on the topic', async () => {
    const producer = new Kafka.HighLevelProducer({ 'metadata.broker.list': config.kafka.brokers });
    await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
    const unknown = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from('body')]);
    for (const value of [Buffer.from('not avro at all'), unknown]) {
      await new Promise<void>((resolve, reject) => producer.produce(p.env.KAFKA_TOPIC, 0, value, 'garbage', Date.now(), (err) => (err ? reject(err) : resolve())));
    }
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
    await waitFor('two dead letters', async () => readOutput(p.poolEnv.OUTPUT_DIR, 'dead').length >= 2, 60_000);
    const dead = readOutput(p.poolEnv.OUTPUT_DIR, 'dead').map((d) => d.line as unknown as { reason: string });
    record({ suite: SUITE, fault: 'a message that is not Avro, and one with an unknown schema id, on the topic', outcome: 'both dead-lettered with their reason and raw bytes; the consumer goes on', lost: 0, duplicated: dead.length - 2 });
    assert.match(dead[0]!.reason, /magic byte/);
    assert.match(dead[1]!.reason, /schema id 2147483632 is unknown/);
    const after = freshId();
    await oneLine(p, 'a row after the garbage', 'written as usual', insert, [after, 'after garbage', 'Toys', 1, now], after);
  });
  await t.test('TRUNCATE', { skip: full ? false : 'destructive (empties shop.product): runs in npm run test:faults' }, async () => {
    const id = freshId();
    await admin.query(insert, [id, 'before truncate', 'Toys', 1, now]);
    await p.waitLines([id], 1, 'the row before TRUNCATE');
    await admin.query('TRUNCATE TABLE product');
    const after = freshId();
    await oneLine(p, 'TRUNCATE TABLE (logged as a statement, with no row events)', 'no lines for the rows it removed: a downstream reader still sees them alive; run `cdc move-source --to snapshot` if it must know', insert, [after, 'after truncate', 'Toys', 1, now], after);
    assert.deepEqual(p.linesOf([id]).map((l) => l.op), ['c']);
  });
  await stopSource(p.source);
});
