/**
 * The source daemon against the real stack: each kind of change lands once, decoded right, on Java's
 * partition; same-second updates, 4-byte UTF-8 and NULLs survive; the seed's reader can read it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { Registry } from '../../src/codec/registry.js';
import { unframe } from '../../src/codec/wire.js';
import { partitionCount } from '../../src/sink/topics.js';
import type { RowDataPacket } from 'mysql2';
import { connectClient, disconnectWithin, endReader, readToEnd } from '../../src/kafka/client.js';
import { decodeCheckpoint } from '../../src/source/checkpoint.js';
import { config, freshId, uniqueName } from './helpers.js';
import { changesOnly, readTopic, stopSource, streamingSource, waitCaughtUp } from './source-helpers.js';

const javaPartitions = new Map(
  (JSON.parse(readFileSync(new URL('../fixtures/murmur2-java.json', import.meta.url), 'utf8')) as Array<{ key: string; partition10: number }>)
    .map((v) => [v.key, v.partition10]),
);

test("inserts, updates, deletes and a primary-key change each land once, in order, on Java's partition where Java's vectors cover the key", async (t) => {
  const { env, admin, source } = await streamingSource(t);

  // Ids from the Java vector range, so each landing partition is checked against Java's own answer.
  const a = 100 + Math.floor(Math.random() * 50);
  const b = a + 1;
  const moved = b + 1000;
  await admin.query('DELETE FROM product WHERE id IN (?)', [[a, b, moved]]);
  await waitCaughtUp(env, admin);
  const baseline = new Set((await readTopic(env.KAFKA_TOPIC)).map((l) => `${l.partition}:${l.offset}`));

  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'Lamp 💡', NULL, 19.99)", [a]);
  // Same statement second as the insert: a timestamp poller would miss it.
  await admin.query('UPDATE product SET price = 17.5 WHERE id = ?', [a]);
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'Mug ☕', 'Kitchen', 4.25)", [b]);
  await admin.query('UPDATE product SET id = id + 1000 WHERE id = ?', [b]);
  await admin.query('DELETE FROM product WHERE id = ?', [a]);
  await waitCaughtUp(env, admin);

  const landed = (await readTopic(env.KAFKA_TOPIC)).filter((l) => !baseline.has(`${l.partition}:${l.offset}`));
  const mine = landed.filter((l) => [String(a), String(b), String(moved)].includes(l.key));
  const events = mine.filter((l) => l.value !== null);
  assert.equal(changesOnly(landed).length, events.length, 'only our changes arrived meanwhile');

  const ofA = events.filter((e) => e.key === String(a)).map((e) => e.value!);
  assert.deepEqual(ofA.map((v) => v.op), ['c', 'u', 'd']);
  assert.equal(ofA[0]!.name, 'Lamp 💡');
  assert.equal(ofA[0]!.category, null, 'NULL category round-trips as null');
  assert.equal(ofA[0]!.price, Math.fround(19.99));
  assert.equal(ofA[1]!.price, 17.5);
  assert.equal(ofA[1]!.last_updated, ofA[0]!.last_updated, 'same-second update captured');
  assert.match(String(ofA[0]!.last_updated), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const ofB = events.filter((e) => e.key === String(b)).map((e) => e.value!);
  const ofMoved = events.filter((e) => e.key === String(moved)).map((e) => e.value!);
  assert.deepEqual(ofB.map((v) => v.op), ['c', 'd'], 'the old key is deleted by the key change');
  assert.deepEqual(ofMoved.map((v) => [v.op, v.id, v.name]), [['c', moved, 'Mug ☕']]);

  const tombstones = mine.filter((l) => l.value === null).map((l) => l.key).sort();
  assert.deepEqual(tombstones, [String(a), String(b)].sort(), 'each delete is followed by a tombstone');

  for (const l of mine) {
    const java = javaPartitions.get(l.key);
    if (java !== undefined) assert.equal(l.partition, java, `key ${l.key}`);
  }
  const s = ofA[0]!.source as Record<string, unknown>;
  assert.equal(s.db, config.mysql.database);
  assert.equal(s.snapshot, false);
  assert.match(String(s.file), /^mysql-bin\.\d+$/);
  assert.match(String(s.gtid), /^(\d+-\d+-\d+|[0-9a-f-]{36}:\d+)$/, 'a MariaDB GTID or a MySQL uuid:gno');
  assert.equal(await partitionCount(config.kafka, env.KAFKA_TOPIC), 10, 'topic created with 10 partitions');
  assert.equal(await stopSource(source), 0, 'SIGTERM stops cleanly with exit 0');
});

test("a reader holding only the seed's Product schema decodes the daemon's insert and update; the subject is BACKWARD", async (t) => {
  const { env, admin, source } = await streamingSource(t);
  const id = freshId();
  await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'Oak Shelf', 'Home', 59.9)", [id]);
  await admin.query('UPDATE product SET price = 49.9 WHERE id = ?', [id]);
  await admin.query('DELETE FROM product WHERE id = ?', [id]);
  await waitCaughtUp(env, admin);

  const seed = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../schemas/product-seed.avsc', import.meta.url), 'utf8')));
  const registry = new Registry(config.registry.url);
  const raw = (await readTopic(env.KAFKA_TOPIC)).filter((l) => l.key === String(id) && l.raw !== null);
  assert.equal(raw.length, 3);
  const seen = [];
  for (const l of raw.slice(0, 2)) {
    const { schemaId, body } = unframe(l.raw!);
    seen.push({ ...(seed.fromBuffer(body, seed.createResolver(await registry.typeOf(schemaId))) as object) });
  }
  assert.deepEqual(seen.map((s) => ({ ...s, last_updated: undefined })), [
    { id, name: 'Oak Shelf', category: 'Home', price: Math.fround(59.9), last_updated: undefined },
    { id, name: 'Oak Shelf', category: 'Home', price: Math.fround(49.9), last_updated: undefined },
  ]);
  const res = await fetch(`${config.registry.url}/config/${env.KAFKA_TOPIC}-value`);
  assert.equal(((await res.json()) as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');
});

test('every checkpoint the source commits is at a transaction boundary of the binlog, never inside one', async (t) => {
  // MariaDB 11.4+ writes end_log_pos 0 on Annotate_rows, Table_map and row events (binlog_legacy_event_pos=OFF):
  // a reader taking positions from those would checkpoint 0 or the middle of a transaction.
  const { env, admin, source } = await streamingSource(t);
  const ids = [freshId(), freshId(), freshId()];
  for (let round = 0; round < 5; round++) {
    await admin.beginTransaction();
    for (const id of ids) await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'Tx Row', 'Home', 1.5)", [id]);
    await admin.query('UPDATE product SET price = price + 1 WHERE id IN (?)', [ids]);
    await admin.query('DELETE FROM product WHERE id IN (?)', [ids]);
    await admin.commit();
  }
  const last = await waitCaughtUp(env, admin);
  const checkpoints: Array<{ file: string; pos: number }> = [];
  const reader = await connectClient(endReader(config.kafka, uniqueName('ckpt-reader')), 'reading checkpoints', config.kafka);
  try {
    await readToEnd(reader, { from: [{ topic: env.CHECKPOINT_TOPIC, partition: 0, offset: 0 }], what: 'checkpoints' }, (m) => {
      if (m.value && m.key?.toString() === env.SOURCE_ID) checkpoints.push(decodeCheckpoint(m.value));
    });
  } finally {
    await disconnectWithin(reader, 10_000);
  }
  assert.ok(checkpoints.length >= 2, `the claim and at least one commit: ${checkpoints.length}`);
  const first = checkpoints[0]!;
  const [events] = await admin.query<Array<{ Log_name: string; Pos: number; Event_type: string; End_log_pos: number } & RowDataPacket>>(
    `SHOW BINLOG EVENTS IN '${first.file}' FROM ${first.pos}`);
  const midTransaction = /^(Gtid|Annotate_rows|Table_map|(Write|Update|Delete)_rows)/;
  const boundaries = new Set(events.filter((e) => !midTransaction.test(e.Event_type) && Number(e.End_log_pos) > 0).map((e) => Number(e.End_log_pos)));
  for (const c of checkpoints.slice(1)) {
    assert.equal(c.file, first.file, 'no rotation during the test');
    assert.ok(boundaries.has(c.pos), `checkpoint ${c.file}:${c.pos} is the end of a commit event`);
  }
  assert.ok(checkpoints.some((c) => c.pos === last.pos && c.pos > first.pos), 'the position moved with the transactions');
  await stopSource(source);
});
