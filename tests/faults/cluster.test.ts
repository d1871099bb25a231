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
import { orderViolations, record, tally } from './report.js';

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

async function metadata(topic: string): Promise<Kafka.Metadata> {
  const kafka = { ...config.kafka, brokers };
  const client = await connectClient(endReader(kafka, uniqueName('meta')), 'metadata', kafka);
  try {
    return await new Promise<Kafka.Metadata>((resolve, reject) => client.getMetadata({ topic, timeout: 10_000 }, (err, m) => (err ? reject(err) : resolve(m))));
  } finally {
    await disconnectWithin(client, 10_000);
  }
}

const nodeOf = (md: Kafka.Metadata, brokerId: number) => nodeOfPort(Number(md.brokers.find((b) => b.id === brokerId)!.port));

/** The node leading the most partitions of the topic. */
async function busiestLeader(topic: string): Promise<number> {
  const md = await metadata(topic);
  const counts = new Map<number, number>();
  for (const p of md.topics.find((t) => t.name === topic)!.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
  return nodeOf(md, [...counts].sort((a, b) => b[1] - a[1])[0]![0]);
}

/** Java's String.hashCode, as Kafka hashes a transactional id or a group id onto its internal topic's partitions. */
function javaHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/** The coordinator of a transactional id (`__transaction_state`) or a group (`__consumer_offsets`): its partition's leader. */
async function coordinatorOf(internalTopic: '__transaction_state' | '__consumer_offsets', key: string): Promise<number> {
  const md = await metadata(internalTopic);
  const parts = md.topics.find((t) => t.name === internalTopic)!.partitions;
  // Kafka's Utils.abs: the sign bit cleared, not Math.abs (which overflows on the minimum value).
  const partition = (javaHash(key) & 0x7fffffff) % parts.length;
  return nodeOf(md, parts.find((p) => p.id === partition)!.leader);
}

interface Fault {
  name: string;
  /** Which node, once the pipeline streams. */
  victim: (o: { topic: string; sourceId: string; group: string }) => Promise<number>;
  /** What is done to it; resolves when it is back. */
  act: (node: number) => Promise<void>;
  /** Settings of the source for this case. */
  sourceEnv?: Record<string, string>;
  /** What the source must have said: the fault reached it as the case means it to. */
  sourceSaid?: RegExp;
}

const killAndRestart = async (node: number) => {
  process.kill(nodePid(node), 'SIGKILL');
  await new Promise((r) => setTimeout(r, 10_000));
  const up = stack('up', 'kafka3');
  assert.equal(up.status, 0, up.stderr);
};

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** Stops a node the way an operator would (SIGTERM: a controlled shutdown), waiting until it has exited. */
async function stopNode(node: number): Promise<void> {
  const pid = nodePid(node);
  process.kill(pid, 'SIGTERM');
  await waitFor(`node ${node} to stop`, async () => !alive(pid), 120_000);
}

const startMissing = () => {
  const up = stack('up', 'kafka3');
  assert.equal(up.status, 0, up.stderr);
};

const FAULTS: Fault[] = [
  { name: 'kill -9 of the broker leading the most partitions, restarted 10 s later', victim: ({ topic }) => busiestLeader(topic), act: killAndRestart },
  { name: 'kill -9 of the transaction coordinator of the source\'s transactional id, restarted 10 s later',
    victim: ({ sourceId }) => coordinatorOf('__transaction_state', `cdc-source-${sourceId}`), act: killAndRestart },
  { name: 'kill -9 of the pool group\'s coordinator, restarted 10 s later', victim: ({ group }) => coordinatorOf('__consumer_offsets', group), act: killAndRestart },
  {
    name: 'the busiest leader stopped (SIGSTOP) for 30 s, past the broker and consumer session timeouts, then resumed',
    victim: ({ topic }) => busiestLeader(topic),
    act: async (node) => {
      process.kill(nodePid(node), 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 30_000));
      process.kill(nodePid(node), 'SIGCONT');
    },
  },
  {
    // The source's open transaction has records on the stopped leader: its coordinator aborts it when the timeout
    // runs out and bumps the producer's epoch, so the source is fenced from its own transaction mid-flight.
    name: 'the busiest leader stopped (SIGSTOP) for 40 s, past the source\'s transaction timeout (5 s here, under the 9-10 s a leader takes to move) and the session timeouts, then resumed',
    victim: ({ topic }) => busiestLeader(topic),
    sourceEnv: { RDKAFKA_TRANSACTION_TIMEOUT_MS: '5000' },
    // The coordinator ended the open transaction: the source's session failed on it and resumed from its checkpoint.
    sourceSaid: /restarting from the last checkpoint/,
    act: async (node) => {
      process.kill(nodePid(node), 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 40_000));
      process.kill(nodePid(node), 'SIGCONT');
    },
  },
  {
    name: 'a rolling restart of all three brokers (SIGTERM, start, the next) under load',
    victim: async () => 1,
    act: async () => {
      for (const n of [1, 2, 3]) {
        await stopNode(n);
        startMissing();
      }
    },
  },
  {
    name: 'two brokers killed (below min.insync.replicas) for 20 s, then restarted',
    victim: ({ topic }) => busiestLeader(topic),
    act: async (node) => {
      const other = node === 3 ? 1 : node + 1;
      process.kill(nodePid(node), 'SIGKILL');
      process.kill(nodePid(other), 'SIGKILL');
      await new Promise((r) => setTimeout(r, 20_000));
      startMissing();
    },
  },
];

for (const fault of FAULTS) {
  test(`three brokers: ${fault.name}, mid-stream: every change exactly once, the checkpoint at the end`, { timeout: 600_000 }, async (t) => {
    await runCase(t, fault);
  });
}

async function runCase(t: import('node:test').TestContext, fault: Fault): Promise<void> {
  const env = isolatedSource({ KAFKA_BROKERS: brokers, ...fault.sourceEnv });
  const outputDir = mkdtempSync(join(tmpdir(), 'cluster-'));
  const poolEnv = { KAFKA_BROKERS: brokers, KAFKA_TOPIC: env.KAFKA_TOPIC, KAFKA_GROUP: uniqueName('cluster'), OUTPUT_DIR: outputDir };
  const admin = await adminConnection();
  const source = startSource(env);
  t.after(() => stopSource(source, 'SIGKILL'));
  await waitFor('streaming', async () => source.output().includes('starting at the binlog'), 90_000);
  const pool = startPool(poolEnv);
  t.after(() => stopPool(pool, 'SIGKILL'));

  // Inserts and updates: each change carries its row's version in `name`, so every (id, version) must be in
  // exactly one line and, per id, the versions must come in commit order (a key keeps its partition's order).
  const ids: number[] = [];
  const versions = new Map<number, number>();
  const written: string[] = [];
  let writing = true;
  const writer = (async () => {
    while (writing) {
      if (ids.length < 20 || Math.random() < 0.4) {
        const id = freshId();
        try {
          await admin.query("INSERT INTO product (id, name, category, price) VALUES (?, 'v0', 'Home', 1)", [id]);
        } catch (err) {
          if ((err as { code?: string }).code === 'ER_DUP_ENTRY') continue; // a random id another test left: draw again
          throw err;
        }
        ids.push(id);
        versions.set(id, 0);
        written.push(`${id}:0`);
      } else {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        const v = versions.get(id)! + 1;
        await admin.query('UPDATE product SET name = ? WHERE id = ?', [`v${v}`, id]);
        versions.set(id, v);
        written.push(`${id}:${v}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  t.after(async () => {
    writing = false;
    await writer.catch(() => undefined);
    if (ids.length > 0) await admin.query('DELETE FROM product WHERE id IN (?)', [ids]).catch(() => undefined);
    await admin.end();
    // Whatever the case did, the next one starts with all three nodes up.
    for (const n of [1, 2, 3]) { try { process.kill(nodePid(n), 'SIGCONT'); } catch { /* not running */ } }
    stack('up', 'kafka3');
  });

  await waitFor('lines before the fault', async () => countLines(outputDir) > 200, 90_000);
  const victim = await fault.victim({ topic: env.KAFKA_TOPIC, sourceId: env.SOURCE_ID, group: poolEnv.KAFKA_GROUP });
  const faultAt = performance.now();
  const before = countLines(outputDir);
  const acting = fault.act(victim);
  // The stall: from the fault to the first line written after it.
  const resumed = await waitFor('a line after the fault', async () => (countLines(outputDir) > before ? performance.now() : undefined), 240_000);
  await acting;
  await new Promise((r) => setTimeout(r, 5_000));
  writing = false;
  await writer;
  const end = await binlogEnd(admin);
  const kafka = { ...config.kafka, brokers };
  await waitFor('the checkpoint at the binlog end', async () => {
    const c = await readCheckpoint(kafka, env.CHECKPOINT_TOPIC, env.SOURCE_ID).catch(() => undefined);
    return c && (c.file > end.file || (c.file === end.file && c.pos >= end.pos)) ? c : undefined;
  }, 180_000);
  await waitFor(`${written.length} lines`, async () => countLines(outputDir) >= written.length, 180_000);
  await new Promise((r) => setTimeout(r, 3000)); // a duplicate would show up now
  const want = new Set(ids);
  const mine = readOutput(outputDir).map((l) => l.line).filter((l) => want.has(l.id));
  const counts = tally(mine.map((l) => `${l.id}:${String(l.name).slice(1)}`), written.length);
  const violations = orderViolations(mine.map((l) => ({ key: l.id, version: Number(String(l.name).slice(1)), offset: l._meta.offset })));
  const stall = ((resumed - faultAt) / 1000).toFixed(1);
  record({
    suite: 'cluster', fault: `three brokers (RF 3, min ISR 2): ${fault.name} (node ${victim}), mid-stream`,
    outcome: `${written.length} changes written (${ids.length} inserts, the rest updates); ${violations} out of order; ${stall} s from the fault to the next line`, ...counts,
  });
  const restarts = source.output().split('\n').filter((l) => l.includes('restarting from the last checkpoint'));
  for (const r of restarts.slice(0, 3)) t.diagnostic(`source: ${r.slice(0, 300)}`);
  if (fault.sourceSaid) assert.match(source.output(), fault.sourceSaid);
  t.diagnostic(`node ${victim}: ${written.length} changes, stall ${stall} s, lost ${counts.lost}, duplicated ${counts.duplicated}, out of order ${violations}`);
  assert.deepEqual({ ...counts, violations }, { lost: 0, duplicated: 0, violations: 0 });
  assert.equal(await stopPool(pool), 0);
  assert.equal(await stopSource(source), 0);
}
