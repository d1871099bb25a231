/**
 * Several tables captured at once, through the whole pipeline (source daemon, Kafka, registry, pool): each on its
 * own topic and in its own folder, every column in its lines, a binlog transaction across tables whole on the
 * topics, the seed's lines as before with added columns after its own, tables added, created, dropped and keyless.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { config } from './helpers.js';
import { startCommand } from './process.js';
import { countLines, readOutput, startPool, stopPool } from './pool-helpers.js';
import { readTopic, startSource, stopSource, waitCaughtUp, waitFor } from './source-helpers.js';
import { capturedTables, tableDir, tableTopic } from './tables-helpers.js';

type Line = Record<string, unknown> & { op: string; _meta: { topic: string; partition: number; offset: number } };
const linesOf = (dir: string) => readOutput(dir).map((l) => l.line as unknown as Line);

test('two tables: a binlog transaction writing both reaches both topics; every column reaches its line; the seed keeps its line with added columns after last_updated', async (t) => {
  const e = await capturedTables(t, {
    orders: 'id INT NOT NULL, region CHAR(2) NOT NULL, total DECIMAL(12,2), placed DATETIME(3), paid TIMESTAMP(3) NULL, note JSON, PRIMARY KEY (id, region)',
  });
  const orders = e.tables.orders!;
  const source = startSource(e.env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const pool = startPool(e.env);
  t.after(() => stopPool(pool, 'SIGKILL'));

  const n = 20;
  for (let i = 1; i <= n; i++) {
    await e.admin.beginTransaction();
    await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, ?, 'Garden', 2.5)`, [i, `p${i}`]);
    await e.admin.query(`INSERT INTO \`${orders}\` VALUES (?, 'EU', ?, '2026-12-03 10:00:00.125', '2026-12-03 11:00:00.250', '{"items": [1, 2]}')`, [i, `${i}.50`]);
    await e.admin.commit();
  }
  await e.admin.query(`ALTER TABLE \`${e.seed}\` ADD COLUMN stock INT`);
  await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price, stock) VALUES (1000, 'new', 'Toys', 1, 7)`);
  await waitCaughtUp(e.env as never, e.admin);
  await waitFor(`${n + 1} seed lines and ${n} order lines`, async () => countLines(e.outputDir) === n + 1 && countLines(tableDir(e, orders)) === n, 90_000)
    .catch((err: Error) => { throw new Error(`${err.message}\n${pool.output().split('\n').slice(-15).join('\n')}`); });

  const seedLines = linesOf(e.outputDir);
  const old = seedLines.find((l) => l.id === 1)!;
  assert.deepEqual(Object.keys(old), ['id', 'name', 'category', 'price', 'list_price', 'discount_percent', 'last_updated', 'op', '_meta'],
    'a seed line before the ALTER has exactly today\'s fields, in today\'s order');
  assert.equal(old.category, 'GARDEN', 'product\'s transform');
  const added = seedLines.find((l) => l.id === 1000)!;
  assert.deepEqual(Object.keys(added), ['id', 'name', 'category', 'price', 'list_price', 'discount_percent', 'last_updated', 'stock', 'op', '_meta']);
  assert.equal(added.stock, 7, 'the added column reaches the line');

  const orderLines = linesOf(tableDir(e, orders));
  const first = orderLines.find((l) => l.id === 3)!;
  assert.deepEqual(first, {
    id: 3, region: 'EU', total: 3.5, placed: '2026-12-03T10:00:00.125', paid: '2026-12-03T11:00:00.250Z', note: first.note, op: 'c', _meta: first._meta,
  });
  assert.equal(first._meta.topic, tableTopic(e, orders));
  const server = (await e.admin.query(`SELECT CAST(note AS CHAR) AS j FROM \`${orders}\` WHERE id = 3`))[0] as Array<{ j: string }>;
  assert.deepEqual(first.note, JSON.parse(server[0]!.j), 'a JSON column is embedded as the document');

  // Keys: the composite key's documented encoding, partitioned with Java's murmur2 like the seed's ids.
  const topic = await readTopic(tableTopic(e, orders));
  assert.deepEqual(topic.filter((r) => r.value && Number(r.value.id) === 3).map((r) => r.key), ['[3,"EU"]']);
  // Each binlog transaction is on both topics: the same GTID on the seed's record and the order's.
  const seedTopic = await readTopic(e.env.KAFKA_TOPIC!);
  const gtids = (rows: typeof topic) => new Set(rows.filter((r) => r.value).map((r) => String((r.value!.source ?? r.value!.__source) && ((r.value!.source ?? r.value!.__source) as { gtid: string }).gtid)));
  const seedTx = gtids(seedTopic.filter((r) => r.value && Number(r.value.id) <= n));
  assert.deepEqual([...gtids(topic)].sort(), [...seedTx].sort(), 'every transaction wrote both tables, and both are there');
  assert.equal(await stopSource(source), 0);
  assert.equal(await stopPool(pool), 0);

  // status: each table with its topic, schema version, what is left to write and its lines.
  const status = startCommand('src/cli/status.ts', e.env, ['--json']);
  assert.equal(await status.exited, 0, status.output());
  const report = JSON.parse(status.output()) as { tables: Array<{ table: string; topic: string; version: number; pending: number; lines: number; columns: number }> };
  assert.deepEqual(report.tables.map((r) => [r.table, r.topic, r.version, r.pending, r.lines, r.columns]), [
    [`shop.${e.seed}`, e.env.KAFKA_TOPIC, 2, 0, n + 1, 6],
    [`shop.${orders}`, tableTopic(e, orders), 1, 0, n, 6],
  ]);
});

test('cdc check names each captured table: readable and keyed, or which grant is missing', async (t) => {
  const e = await capturedTables(t, { readable: 'id INT PRIMARY KEY', keyless: 'v INT' });
  const hidden = `${e.seed.replace(/_seed$/, '')}_hidden`;
  await e.admin.query(`CREATE TABLE \`${hidden}\` (id INT PRIMARY KEY)`);
  e.dropLater(hidden);
  const env = { ...e.env, CAPTURE_TABLES: `${e.env.CAPTURE_TABLES},shop.${hidden}` };
  const check = startCommand('src/cli/check.ts', env, ['--json']);
  assert.equal(await check.exited, 1, check.output());
  const by = new Map((JSON.parse(check.output()) as { verdicts: Array<{ what: string; ok: boolean; detail: string }> }).verdicts.map((v) => [v.what, v]));
  assert.equal(by.get(`table shop.${e.tables.readable}`)?.ok, true);
  assert.match(by.get(`table shop.${e.tables.readable}`)!.detail, new RegExp(`1 columns, key \\(id\\), topic ${tableTopic(e, e.tables.readable!)}`));
  assert.equal(by.get(`table shop.${e.tables.keyless}`)?.ok, false);
  assert.match(by.get(`table shop.${e.tables.keyless}`)!.detail, /no primary key.*KEYLESS_TABLES=partition-zero/);
  assert.equal(by.get(`table shop.${hidden}`)?.ok, false);
  assert.match(by.get(`table shop.${hidden}`)!.detail, new RegExp(`no SELECT on it: GRANT SELECT ON \`shop\`\\.\`${hidden}\` TO 'cdc'`));
});

test('a table without a primary key is refused at start, naming it; KEYLESS_TABLES=partition-zero keeps all of its changes in partition 0', async (t) => {
  const e = await capturedTables(t, { log: 'at DATETIME, msg VARCHAR(50)' });
  const log = e.tables.log!;
  const refused = startSource(e.env as never);
  t.after(() => stopSource(refused, 'SIGKILL'));
  assert.equal(await refused.exited, 2, refused.output());
  assert.match(refused.output(), new RegExp(`${config.mysql.database}\\.${log} has no primary key.*KEYLESS_TABLES=partition-zero`));

  const source = startSource({ ...e.env, KEYLESS_TABLES: 'partition-zero' } as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  for (let i = 0; i < 10; i++) await e.admin.query(`INSERT INTO \`${log}\` VALUES ('2026-12-03 10:00:00', ?)`, [`m${i}`]);
  await e.admin.query(`UPDATE \`${log}\` SET msg = 'changed' WHERE msg = 'm3'`);
  await waitCaughtUp(e.env as never, e.admin);
  const records = (await readTopic(tableTopic(e, log))).filter((r) => r.value);
  assert.equal(records.length, 11);
  assert.deepEqual([...new Set(records.map((r) => r.partition))], [0]);
  assert.deepEqual(records.map((r) => r.value!.msg), [...Array.from({ length: 10 }, (_, i) => `m${i}`), 'changed'], 'in binlog order');
  assert.equal(await stopSource(source), 0);
});

test('a table created later that matches CAPTURE_TABLES is captured from its CREATE on; a dropped one ends its capture', async (t) => {
  const e = await capturedTables(t, {});
  const later = `${e.seed.replace(/_seed$/, '')}_later`;
  const env = { ...e.env, CAPTURE_TABLES: `${config.mysql.database}.${e.seed.replace(/_seed$/, '')}_*` };
  const source = startSource(env as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  await e.admin.query(`CREATE TABLE \`${later}\` (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(20))`);
  e.dropLater(later);
  await e.admin.query(`INSERT INTO \`${later}\` VALUES (18446744073709551615, 'max')`);
  await e.admin.query(`DROP TABLE \`${later}\``);
  await waitCaughtUp(env as never, e.admin);
  const records = (await readTopic(tableTopic(e, later))).filter((r) => r.value);
  assert.deepEqual(records.map((r) => [r.key, r.value!.name]), [['18446744073709551615', 'max']]);
  assert.match(source.output(), new RegExp(`dropped ${config.mysql.database}\\.${later}: its capture ends here`));
  assert.equal(existsSync(tableDir(e, later)), false, 'no pool ran: nothing written');
  assert.equal(await stopSource(source), 0);
});

test('a table added to CAPTURE_TABLES is snapshotted alone while the others stream: killed mid-way and resumed, each row read once, every key ends at its true state', async (t) => {
  const e = await capturedTables(t, { added: 'id INT PRIMARY KEY, qty INT NOT NULL, label VARCHAR(30)' });
  const added = e.tables.added!;
  const rows = 3000;
  const values = Array.from({ length: rows }, (_, i) => [i + 1, 0, `row ${i + 1}`]);
  for (let i = 0; i < rows; i += 500) await e.admin.query(`INSERT INTO \`${added}\` VALUES ?`, [values.slice(i, i + 500)]);
  const seedOnly = { ...e.env, CAPTURE_TABLES: `shop.${e.seed}` };
  const first = startSource(seedOnly as never);
  t.after(() => stopSource(first, 'SIGKILL'));
  await waitFor('streaming', async () => first.output().includes('starting at the binlog'), 60_000);
  await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (1, 'before', 'Home', 1)`);
  await waitCaughtUp(seedOnly as never, e.admin);
  assert.equal(await stopSource(first), 0);

  // Added, in small chunks, while both tables keep changing.
  const env = { ...e.env, SNAPSHOT_CHUNK: '200' };
  let writing = true;
  const writer = (async () => {
    for (let k = 0; writing; k++) {
      const id = 1 + ((k * 7919) % rows);
      await e.admin.query(`UPDATE \`${added}\` SET qty = qty + 1 WHERE id = ?`, [id]);
      if (k % 10 === 0) await e.admin.query(`DELETE FROM \`${added}\` WHERE id = ?`, [1 + ((k * 104729) % rows)]);
      await e.admin.query(`INSERT INTO \`${e.seed}\` (id, name, category, price) VALUES (?, 'during', 'Home', 1)`, [1000 + k]);
    }
  })();
  // Killed as the fifth chunk joins a Kafka transaction, before its commit: at most four chunks are committed.
  let source = startSource({ ...env, CDC_FAULT: 'snapshot.added:5' } as never);
  t.after(() => stopSource(source, 'SIGKILL'));
  assert.equal(await Promise.race([source.exited, new Promise((r) => setTimeout(() => r('running'), 90_000))]), null, 'killed at the crash point');
  const before = (await readTopic(tableTopic(e, added))).filter((r) => r.value?.__op === 'r').length;
  assert.ok(before <= 4 * 200, `at most four chunks committed before the kill: ${before} rows`);
  source = startSource(env as never);
  await waitFor('the added table\'s snapshot to finish', async () => /snapshot of added table .* done/.test(source.output()), 120_000)
    .catch((err: Error) => { throw new Error(`${err.message}\n${source.output().slice(-3000)}`); });
  writing = false;
  await writer;
  await waitCaughtUp(env as never, e.admin);
  assert.equal(await stopSource(source), 0);

  const records = await readTopic(tableTopic(e, added));
  const reads = new Map<string, number>();
  for (const r of records) if (r.value?.__op === 'r') reads.set(r.key, (reads.get(r.key) ?? 0) + 1);
  assert.deepEqual([...reads.values()].filter((n) => n > 1), [], 'no row read twice, across the kill');
  const last = new Map<string, Record<string, unknown> | null>();
  for (const r of records) last.set(r.key, r.value && r.value.__op !== 'd' ? r.value : null);
  const [now] = await e.admin.query(`SELECT id, qty, label FROM \`${added}\``) as unknown as [Array<{ id: number; qty: number; label: string }>];
  assert.ok(now.length > rows * 0.8, 'most rows are still there');
  for (const row of now) {
    const got = last.get(String(row.id));
    assert.deepEqual(got && [got.id, got.qty, got.label], [row.id, row.qty, row.label], `key ${row.id} ends at its true state`);
  }
  const gone = [...last].filter(([k, v]) => v !== null && !now.some((r) => String(r.id) === k));
  assert.deepEqual(gone, [], 'a row deleted while its table was added ends deleted');
  const seedReads = (await readTopic(e.env.KAFKA_TOPIC!)).filter((r) => r.value?.op === 'r');
  assert.equal(seedReads.length, 0, 'the table already captured is not read again');
});
