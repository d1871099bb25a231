/**
 * Oracle MySQL only (scripts/test.sh runs this file in its MySQL 9.7 pass, never against MariaDB): the executed
 * GTID set carried in the checkpoint across a resume and a move, a resume by GTID set when the checkpoint's binlog
 * is purged, a first caching_sha2_password login without TLS, and the settings preflight refuses with one line
 * naming them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GtidSet } from '@vlasky/zongji';
import type { RowDataPacket } from 'mysql2';
import { mysqlOptions } from '../../src/mysql.js';
import { BinlogReader } from '../../src/source/binlog-reader.js';
import { readCheckpoint, streamsByGtid } from '../../src/source/checkpoint.js';
import { openConsistentSnapshot } from '../../src/source/snapshot.js';
import { adminConnection, config, freshId, pipelineConnection } from './helpers.js';
import { startCommand } from './process.js';
import { binlogEndWithGtids, changesOnly, isolatedSource, readTopic, startSource, stopSource, streamingSource, waitCaughtUp, waitFor } from './source-helpers.js';

const canonical = (set: string | null) => GtidSet.parse((set ?? '').replace(/\s/g, '')).toString();

test('the server is Oracle MySQL with GTIDs on', async (t) => {
  const admin = await adminConnection();
  t.after(() => admin.end());
  const [[v]] = await admin.query<RowDataPacket[]>('SELECT VERSION() AS version, @@gtid_mode AS gtid');
  assert.doesNotMatch(String(v!.version), /mariadb/i, 'this file runs in the MySQL pass only');
  assert.equal(v!.gtid, 'ON');
});

test('the checkpoint carries the executed GTID set, and keeps it across a resume and a cold credential cache', async (t) => {
  const { env, admin, source: first } = await streamingSource(t);
  const ids = [freshId(), freshId()];
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'gtid before', 'Toys', 1)", [ids[0]]);
  const before = await waitCaughtUp(env, admin);
  assert.equal(canonical(before.gtid), canonical((await binlogEndWithGtids(admin)).gtid), 'the set at the binlog end');
  assert.equal(await stopSource(first), 0);

  // While the source is down: a change to pick up, and the server forgets cached logins, so the next connection
  // of both clients (mysql2, the binlog's) is a full caching_sha2_password exchange over a plain connection.
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'gtid while down', 'Toys', 2)", [ids[1]]);
  await admin.query('FLUSH PRIVILEGES');
  const second = startSource(env);
  t.after(() => stopSource(second, 'SIGKILL'));
  await waitFor('the source to resume', async () => second.output().includes('resuming from checkpoint'), 60_000);
  const resumedWith = JSON.parse(second.output().split('\n').find((l) => l.includes('resuming from checkpoint'))!) as { gtid: string };
  assert.equal(canonical(resumedWith.gtid), canonical(before.gtid), 'resumed with the stored set');
  const after = await waitCaughtUp(env, admin);
  assert.equal(canonical(after.gtid), canonical((await binlogEndWithGtids(admin)).gtid), 'the set grew with the transactions read after the resume');
  assert.notEqual(canonical(after.gtid), canonical(before.gtid));

  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC)).filter((l) => ids.map(String).includes(l.key));
  assert.deepEqual(landed.map((l) => l.key).sort(), ids.map(String).sort(), 'each change once');
  for (const l of landed) {
    const gtid = String((l.value!.source as { gtid: string }).gtid);
    assert.match(gtid, /^[0-9a-f-]{36}:\d+$/, 'each row carries its transaction\'s uuid:gno');
    assert.ok(GtidSet.parse(after.gtid!).contains(gtid), `${gtid} is in the checkpoint's set`);
  }
  assert.equal(await stopSource(second), 0);
});

test('move-source to a binlog file and position records the executed GTID set there; the source resumes with it', async (t) => {
  const { env, admin, source: first } = await streamingSource(t);
  assert.equal(await stopSource(first), 0);
  await waitFor('the stopped daemon\'s binlog connection to go', async () => {
    const [rows] = await admin.query<RowDataPacket[]>(
      "SELECT 1 FROM information_schema.PROCESSLIST WHERE USER = ? AND COMMAND LIKE 'Binlog Dump%'", [config.mysql.user]);
    if (rows.length > 0) await admin.query('FLUSH BINARY LOGS'); // a stopped reader's dump thread ends at the next event
    return rows.length === 0;
  }, 30_000);
  const ids = [freshId(), freshId()];
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'before the mark', 'Toys', 1)", [ids[0]]);
  const mark = await binlogEndWithGtids(admin);
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'after the mark', 'Toys', 2)", [ids[1]]);

  const move = startCommand('src/cli/move-source.ts', env, ['--to', `${mark.file}:${mark.pos}`]);
  assert.equal(await move.exited, 0, move.output());
  const moved = await readCheckpoint(config.kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID);
  assert.equal(canonical(moved!.gtid), canonical(mark.gtid), 'the set read from the binlog at that point');

  const source = startSource(env);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('the source to resume', async () => source.output().includes('resuming from checkpoint'), 60_000);
  const caught = await waitCaughtUp(env, admin);
  assert.equal(canonical(caught.gtid), canonical((await binlogEndWithGtids(admin)).gtid));
  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC));
  assert.deepEqual(landed.filter((l) => ids.map(String).includes(l.key)).map((l) => l.key), [String(ids[1])], 'only the change after the mark');
  assert.equal(await stopSource(source), 0);
});

test('the checkpoint\'s binlog purged, nothing after it: the source resumes by GTID set, no snapshot, nothing doubled', async (t) => {
  const { env, admin, source: first } = await streamingSource(t);
  const before = freshId();
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'before the purge', 'Toys', 1)", [before]);
  const stopped = await waitCaughtUp(env, admin);
  assert.equal(await stopSource(first), 0);
  await waitFor('the stopped daemon\'s binlog connection to go', async () => {
    const [rows] = await admin.query<RowDataPacket[]>("SELECT 1 FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
    return rows.length === 0;
  }, 30_000);
  // The checkpoint's file is closed and purged; the transactions written since are all in the newer file.
  await admin.query('FLUSH BINARY LOGS');
  const after = [freshId(), freshId()];
  for (const id of after) await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'after the purge', 'Toys', 2)", [id]);
  const current = (await binlogEndWithGtids(admin)).file;
  await admin.query(`PURGE BINARY LOGS TO '${current}'`);
  const [logs] = await admin.query<RowDataPacket[]>('SHOW BINARY LOGS');
  assert.ok(!logs.some((l) => l.Log_name === stopped.file), `${stopped.file} was purged`);

  const second = startSource(env);
  t.after(() => stopSource(second, 'SIGKILL'));
  const caught = await waitCaughtUp(env, admin);
  assert.match(second.output(), /resuming from checkpoint by its GTID set: binlog \S+ is no longer on the server/);
  assert.doesNotMatch(second.output(), /falling back to a snapshot/);
  assert.equal(caught.file, current, 'streaming continued in the newer file');
  assert.equal(canonical(caught.gtid), canonical((await binlogEndWithGtids(admin)).gtid));
  const landed = changesOnly(await readTopic(env.KAFKA_TOPIC)).filter((l) => [before, ...after].map(String).includes(l.key));
  assert.deepEqual(landed.map((l) => l.key).sort(), [before, ...after].map(String).sort(), 'each change once');
  assert.ok(landed.every((l) => l.value!.op === 'c'), 'no snapshot rows');
  assert.equal(await stopSource(second), 0);
});

test('a snapshot view and the point streaming starts from: under a steady insert load, no transaction falls between them', { timeout: 120_000 }, async (t) => {
  // One row per transaction, ids counting down from a range no other test uses: the view sees a prefix of them
  // (MySQL commits in binlog order), so the first id the stream delivers must be at most one past the view's last.
  const base = -2_100_000_000;
  const admin = await adminConnection();
  const writer = await adminConnection();
  await admin.query('DELETE FROM product WHERE id <= ?', [base]);
  const [[server]] = await admin.query<RowDataPacket[]>('SELECT @@server_id AS id');
  let stop = false;
  let written = 0;
  const writing = (async () => {
    while (!stop) await writer.query("INSERT INTO product (id, name, category, price) VALUES (?, 'hand-off', 'Toys', 1)", [base - ++written]);
  })();
  t.after(async () => {
    stop = true;
    await writing.catch(() => undefined);
    await admin.query('DELETE FROM product WHERE id <= ?', [base]);
    await Promise.all([admin.end(), writer.end()]);
  });
  let repeated = 0;
  for (let k = 0; k < 12; k++) {
    const conn = await pipelineConnection();
    const view = await openConsistentSnapshot(conn, 'mysql');
    const [[seen]] = await conn.query<RowDataPacket[]>('SELECT COALESCE(-MIN(id), 0) + ? AS n FROM product WHERE id <= ?', [base, base]);
    await conn.end();
    const visible = Number(seen!.n);
    assert.ok(view.byGtid && view.gtid, 'the point is a GTID set');
    const first = await new Promise<number>((resolve, reject) => {
      const reader: BinlogReader = new BinlogReader({
        mysql: mysqlOptions(config, 'pipeline'), serverId: config.source.serverId + 1000 + k, sourceServerId: Number(server!.id),
        flavor: 'mysql', captures: (db, table) => db === config.mysql.database && table === config.mysql.table, start: view, heartbeatMs: 0,
        byGtid: streamsByGtid({ flavor: 'mysql', binlogs: [view.file], gtidOn: true }, { ...view, tsMs: 0, changes: 0, writtenAtMs: 0, owner: '' }),
        onItem: (item) => {
          const ours = item.kind === 'changes' ? item.changes.find((c) => Number(c.row.id) <= base) : undefined;
          if (ours) void reader.stop().then(() => resolve(base - Number(ours.row.id)));
        },
        onError: reject,
      });
      reader.start().catch(reject);
    });
    assert.ok(first <= visible + 1, `try ${k}: the view saw ${visible} rows, the stream began at row ${first}: ${first - visible - 1} missed`);
    repeated += visible + 1 - first;
  }
  t.diagnostic(`${written} rows written; ${repeated} rows the view saw were streamed again (the documented overlap)`);
});

/** Starts a source with one global setting changed, restoring it afterwards; resolves to its exit code and output. */
async function sourceWith(t: { after(fn: () => unknown): void }, setting: string, value: string, restore: string) {
  const admin = await adminConnection();
  t.after(async () => {
    await admin.query(`SET GLOBAL ${setting} = ${restore}`);
    await admin.end();
  });
  await admin.query(`SET GLOBAL ${setting} = ${value}`);
  const source = startSource(isolatedSource());
  t.after(() => stopSource(source, 'SIGKILL'));
  const code = await Promise.race([source.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000).unref())]);
  return { code, output: source.output() };
}

for (const [setting, value, restore] of [
  ['binlog_row_metadata', 'MINIMAL', 'FULL'],
  ['binlog_row_image', 'MINIMAL', 'FULL'],
  ['binlog_transaction_compression', 'ON', 'OFF'],
] as const) {
  test(`${setting}=${value}: the source exits 2 with a line saying it needs ${setting}=${restore}`, async (t) => {
    const { code, output } = await sourceWith(t, setting, `'${value}'`, `'${restore}'`);
    assert.equal(code, 2, output.slice(-1500));
    const line = output.split('\n').find((l) => l.includes(`${setting}=`));
    assert.ok(line, `no line names ${setting}:\n${output.slice(-1500)}`);
    assert.match(line, new RegExp(`needs ${setting}=${restore}`));
  });
}
