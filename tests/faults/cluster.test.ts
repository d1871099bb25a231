/**
 * Exactly-once on a three-broker cluster (scripts/stack/kafka3.sh: replication factor 3, min.insync.replicas 2):
 * the source and the pool run against all three while rows are written before, during and after a fault, and every
 * change must end in exactly one line, the checkpoint at the binlog's end. `npm run test:faults` runs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type Kafka from 'node-rdkafka';
import { connectClient, disconnectWithin, endReader } from '../../src/kafka/client.js';
import { readCheckpoint } from '../../src/source/checkpoint.js';
import { adminConnection, config, freshId, uniqueName } from '../integration/helpers.js';
import { countLines, readOutput, startPool, stopPool } from '../integration/pool-helpers.js';
import { binlogEnd, isolatedSource, startSource, stopSource, waitFor } from '../integration/source-helpers.js';
import { record, tally } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const stackDir = process.env.STACK_DIR ?? `${root}.stack`;
const stack = (...args: string[]) => spawnSync('bash', [`${root}scripts/stack/${args[0]}.sh`, ...args.slice(1)], { encoding: 'utf8' });
let brokers = '';

before(() => {
  const up = stack('up', 'kafka3');
  assert.equal(up.status, 0, up.stderr);
  brokers = /KAFKA_BROKERS=(.*)/.exec(stack('env', '--kafka3').stdout)![1]!;
});

const nodePid = (n: number) => Number(readFileSync(`${stackDir}/kafka3/node-${n}/kafka.pid`, 'utf8').trim());
const nodeOfPort = (port: number) => port - Number(brokers.split(',')[0]!.split(':')[1]) + 1;

/** The node leading the most partitions of the topic. */
async function busiestLeader(topic: string): Promise<number> {
  const kafka = { ...config.kafka, brokers };
  const client = await connectClient(endReader(kafka, uniqueName('meta')), 'metadata', kafka);
  try {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) => client.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
    const counts = new Map<number, number>();
    for (const p of md.topics.find((t) => t.name === topic)!.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
    const [leader] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const port = Number(md.brokers.find((b) => b.id === leader)!.port);
    return nodeOfPort(port);
  } finally {
    await disconnectWithin(client, 10_000);
  }
}

test('three brokers: kill -9 of the broker leading the most partitions mid-stream, restarted later: every change exactly once, the checkpoint at the end', { timeout: 600_000 }, async (t) => {
  const env = isolatedSource({ KAFKA_BROKERS: brokers });
  const outputDir = mkdtempSync(join(tmpdir(), 'cluster-'));
  const poolEnv = { KAFKA_BROKERS: brokers, KAFKA_TOPIC: env.KAFKA_TOPIC, KAFKA_GROUP: uniqueName('cluster'), OUTPUT_DIR: outputDir };
  const admin = await adminConnection();
  t.after(() => admin.end());
  const source = startSource(env);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 90_000);
  const pool = startPool(poolEnv);
  t.after(() => stopPool(pool, 'SIGKILL'));

  const ids: number[] = [];
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const id = freshId();
      await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'cluster', 'Home', 1)", [id]);
      ids.push(id);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  t.after(async () => {
    writing = false;
    await writer.catch(() => undefined);
    if (ids.length > 0) await admin.query('DELETE FROM product WHERE id IN (?)', [ids]).catch(() => undefined);
  });

  await waitFor('lines before the fault', async () => countLines(outputDir) > 200, 90_000);
  const victim = await busiestLeader(env.KAFKA_TOPIC);
  const killedAt = performance.now();
  const before = countLines(outputDir);
  process.kill(nodePid(victim), 'SIGKILL');
  // The stall: from the kill to the first line written after it.
  const resumed = await waitFor('a line after the kill', async () => (countLines(outputDir) > before ? performance.now() : undefined), 180_000);
  await new Promise((r) => setTimeout(r, 10_000));
  const up = stack('up', 'kafka3');
  assert.equal(up.status, 0, up.stderr);
  await new Promise((r) => setTimeout(r, 5_000));
  writing = false;
  await writer;
  const end = await binlogEnd(admin);
  const kafka = { ...config.kafka, brokers };
  await waitFor('the checkpoint at the binlog end', async () => {
    const c = await readCheckpoint(kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID).catch(() => undefined);
    return c && (c.file > end.file || (c.file === end.file && c.pos >= end.pos)) ? c : undefined;
  }, 180_000);
  await waitFor(`${ids.length} lines`, async () => countLines(outputDir) >= ids.length, 180_000);
  await new Promise((r) => setTimeout(r, 3000)); // a duplicate would show up now
  const lines = readOutput(outputDir).map((l) => l.line);
  const want = new Set(ids);
  const mine = lines.filter((l) => want.has(l.id));
  const counts = tally(mine.map((l) => String(l.id)), ids.length);
  record({
    suite: 'cluster', fault: `three brokers (RF 3, min ISR 2): kill -9 of node ${victim}, leader of the most partitions, mid-stream; restarted 10 s later`,
    outcome: `${ids.length} changes written; pipeline stalled ${((resumed - killedAt) / 1000).toFixed(1)} s from the kill to the next line`,
    ...counts,
  });
  t.diagnostic(`${ids.length} changes, stall ${((resumed - killedAt) / 1000).toFixed(1)} s, lost ${counts.lost}, duplicated ${counts.duplicated}`);
  assert.deepEqual(counts, { lost: 0, duplicated: 0 });
  assert.equal(await stopPool(pool), 0);
  assert.equal(await stopSource(source), 0);
});
