/**
 * npm run bench [-- --quick] [--runs N] [--only a,b,…]: every scenario of the benchmark in one sitting, on the
 * running local stack, ours side by side with the peers fetched into .bench/ (git-ignored):
 *   source    catch-up of the 300k-change workload: ours, Debezium (default and tuned), the seed's poller,
 *             and the ceilings (mariadb-binlog decoding the same range, Kafka's producer performance tool)
 *   pool      the pool alone draining that topic
 *   pipeline  source and pool together on a 1M-change backlog, peak memory of each
 *   backfill  `npm run backfill --full` of a table of at least 1M rows
 *   latency   commit-to-line latency at 100, 1000 and 5000 changes/s, and the highest rate held (run first,
 *             on a quiet stack)
 *   history   the pool joining its group with 10M lines of history in OUTPUT_DIR, against none
 *   tables    catch-up of the same workload spread over five tables of mixed types: ours and Debezium, each
 *             capturing the five
 *   cluster   (only when named) source catch-up and commit-to-line latency against the single broker and the
 *             three-broker cluster (stack service kafka3, started for it and stopped after), alternating
 * Writes bench/results/<time>.json and latest.json, BENCHMARKS.md and bench/results/chart.png.
 */
// First: the bench's own table, before anything reads the configuration.
import './lib/workload-table.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine, wholeNumber } from '../src/cli/args.js';
import { ensureTopic } from '../src/sink/topics.js';
import { binlogEnd, generate, generateCounted, gtidNow } from './lib/backlog.js';
import { ensurePythonEnv } from './lib/python.js';
import { adminPool, config } from './lib/pipeline.js';
import { ROOT } from './lib/procs.js';
import { deleteTopics, listTopics } from './lib/topics.js';
import { ensureDebezium, debeziumCatchUp } from './peers/debezium.js';
import { pollerCatchUp } from './peers/poller.js';
import { writeReport, type BenchResults } from './report/report.js';
import { backfillRun, tableRows } from './scenarios/backfill.js';
import { binlogDecodeCeiling, kafkaProducerCeiling } from './scenarios/ceilings.js';
import { latencySuite } from './scenarios/latency-suite.js';
import { pipelineCatchUp } from './scenarios/pipeline-catchup.js';
import { clusterComparison } from './scenarios/cluster.js';
import { historyStart } from './scenarios/history-start.js';
import { drainPool } from './scenarios/pool-drain.js';
import { sourceCatchUp, type BinlogRange } from './scenarios/source-catchup.js';
import { tablesWorkload } from './scenarios/tables-catchup.js';
import { isolatedEnv } from './lib/pipeline.js';

const SCENARIOS = ['source', 'pool', 'pipeline', 'backfill', 'latency', 'history', 'tables', 'cluster'] as const;
/** Without --only: every scenario but the cluster's, which needs three more JVMs on the machine. */
const DEFAULT_SCENARIOS = SCENARIOS.filter((s) => s !== 'cluster');
const args = parseCommandLine(process.argv.slice(2), {
  quick: { type: 'boolean' }, runs: { type: 'string' }, only: { type: 'string' },
}, `npm run bench -- [--quick] [--runs N] [--only ${SCENARIOS.join(',')}]`);
const quick = args.quick === true;
const runs = wholeNumber('runs', args.runs, quick ? 1 : 2);
const only = new Set((args.only ?? DEFAULT_SCENARIOS.join(',')).split(',').map((s) => s.trim()));
for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);

const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const started = Date.now();
const results: BenchResults = {
  startedAt: new Date().toISOString(), quick, runs,
  machine: { cpus: (await import('node:os')).cpus().length, node: process.version, memGiB: Math.round((await import('node:os')).totalmem() / 2 ** 30) },
};

log('building dist/ (the bench runs the compiled pipeline, as users do)');
execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (only.has('source') || only.has('tables')) {
  await ensureDebezium(log);
  await ensurePythonEnv(log);
}
const admin = adminPool();
async function dbNow(pool: typeof admin): Promise<Date> {
  const [[row]] = await pool.query<Array<{ t: string } & import('mysql2').RowDataPacket>>("SELECT DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%dT%H:%i:%sZ') AS t");
  return new Date(row!.t);
}
/** A peer or ceiling that fails is reported as failed, with its reason; the rest of the benchmark goes on. */
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const text = (err as Error).message;
    log(`${what} failed: ${text}`);
    // The first line says what failed; a peer's output ends with why (a Python traceback's last line, say).
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    const reason = lines.length > 1 ? `${lines[0]} … ${lines.at(-1)}` : lines[0] ?? 'no reason given';
    results.failures = [...(results.failures ?? []), `${what}: ${reason}`];
    return undefined;
  }
}

/** After a burst of writes MariaDB and Kafka are still busy for a while (purge, flushes): measure after that. */
const settle = () => new Promise((resolve) => setTimeout(resolve, quick ? 2000 : 8000));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Latency first, on a quiet stack: the throughput scenarios leave the broker and MariaDB busy for a while.
if (only.has('latency')) {
  const l = await latencySuite({ rates: [100, 1000, 5000], probeRates: quick ? [2000, 4000] : [2000, 4000, 6000, 8000, 10_000], seconds: quick ? 5 : 10, log });
  results.latency = l;
}


const workload = quick ? 100_000 : 300_000;
let rangeA: BinlogRange | undefined;
let topicA: string | undefined;

if (only.has('source') || only.has('pool') || only.has('pipeline')) {
  // The poller's window, in the database's clock: from a whole second before the workload to just after it.
  const since = await dbNow(admin);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const start = { ...(await binlogEnd(admin)), gtid: await gtidNow(admin) };
  log(`building a binlog backlog of ${workload} changes (40 % inserts, 50 % updates, 10 % deletes, 500 per transaction)`);
  const counted = await generateCounted(workload);
  const made = counted.changes;
  rangeA = { start, end: await binlogEnd(admin), changes: made };
  const until = await dbNow(admin);
  await settle();

  if (only.has('source')) {
    const ours = [];
    for (let i = 0; i < runs; i++) {
      const r = await sourceCatchUp(rangeA, { label: `ours${i}`, admin });
      log(`ours: ${r.changesPerSecond}/s from start, ${r.afterFirstCommitPerSecond}/s after the first commit, RSS ${r.peakRssMiB.toFixed(0)} MiB`);
      ours.push(r);
      topicA ??= r.topic;
    }
    const debezium = [];
    const tuned = [];
    for (let i = 0; i < runs; i++) {
      const d = await attempt('Debezium', () => debeziumCatchUp(rangeA!, { log }));
      if (d) {
        log(`Debezium: ${d.changesPerSecond}/s from JVM start, ${d.afterFirstEventPerSecond}/s after the first event, RSS ${d.peakRssMiB.toFixed(0)} MiB`);
        debezium.push(d);
      }
      const t = await attempt('Debezium, tuned', () => debeziumCatchUp(rangeA!, { tuned: true, log }));
      if (t) {
        log(`Debezium tuned: ${t.changesPerSecond}/s from JVM start, ${t.afterFirstEventPerSecond}/s after the first event`);
        tuned.push(t);
      }
    }
    const decode = await attempt('mariadb-binlog ceiling', () => binlogDecodeCeiling(rangeA!));
    if (decode) log(`ceiling: ${decode.what}: ${decode.perSecond}/s`);
    const broker = await attempt('Kafka producer ceiling', async () => {
      const perfTopic = `bench_perf_${Date.now()}`;
      await ensureTopic(config.kafka, { name: perfTopic, partitions: config.kafka.partitions });
      return kafkaProducerCeiling(quick ? 300_000 : 1_000_000, 200, perfTopic);
    });
    if (broker) log(`ceiling: ${broker.what}: ${broker.perSecond}/s`);
    // Without a LIMIT per poll: the poller at its best (with one, rows beyond it in the watermark's second are lost too).
    const poller = await attempt('the seed poller', () =>
      pollerCatchUp({ since, until, workloadChanges: made, deletes: counted.deleted, batch: 10_000_000, log }));
    if (poller) log(`seed poller: ${poller.rowsPerSecond} rows/s, missed ${poller.missedTotal} of ${made} changes`);
    results.source = {
      changes: made, ours, debezium, debeziumTuned: tuned, poller, ceilings: { decode, broker },
      medians: {
        oursFromStart: median(ours.map((r) => r.changesPerSecond)), oursAfterFirst: median(ours.map((r) => r.afterFirstCommitPerSecond)),
        debeziumFromStart: median(debezium.map((r) => r.changesPerSecond)), debeziumAfterFirst: median(debezium.map((r) => r.afterFirstEventPerSecond)),
        tunedFromStart: median(tuned.map((r) => r.changesPerSecond)), tunedAfterFirst: median(tuned.map((r) => r.afterFirstEventPerSecond)),
        oursRss: Math.max(...ours.map((r) => r.peakRssMiB)), debeziumRss: debezium.length ? Math.max(...debezium.map((r) => r.peakRssMiB)) : NaN,
      },
    };
  }

  if (only.has('pool')) {
    if (!topicA) {
      // The pool needs the backlog on a topic: one source run puts it there.
      topicA = (await sourceCatchUp(rangeA, { label: 'for-pool', admin })).topic;
    }
    const drains = [];
    for (let i = 0; i < runs; i++) {
      const d = await drainPool({ ...isolatedEnv('pooldrain'), KAFKA_TOPIC: topicA }, rangeA.changes, { label: `run${i}` });
      log(`pool: ${d.linesPerSecond} lines/s from start, ${d.steadyLinesPerSecond}/s from the first line, RSS ${d.peakRssMiB.toFixed(0)} MiB`);
      drains.push(d);
    }
    results.pool = { lines: rangeA.changes, drains, medians: { fromStart: median(drains.map((d) => d.linesPerSecond)), steady: median(drains.map((d) => d.steadyLinesPerSecond)) } };
  }

  if (only.has('pipeline')) {
    const more = (quick ? 300_000 : 1_000_000) - rangeA.changes;
    log(`adding ${more} changes: a ${rangeA.changes + more}-change backlog for the whole pipeline`);
    const madeMore = await generate(more);
    const rangeAll: BinlogRange = { start: rangeA.start, end: await binlogEnd(admin), changes: rangeA.changes + madeMore };
    await settle();
    const p = await pipelineCatchUp(rangeAll, { label: 'all' });
    log(`pipeline: ${p.changesPerSecond}/s from start; RSS source ${p.peakRssMiB.source.toFixed(0)} MiB, pool ${p.peakRssMiB.pool.toFixed(0)} MiB`);
    results.pipeline = p;
  }
}

if (only.has('backfill')) {
  const want = quick ? 300_000 : 1_000_000;
  const have = await tableRows(admin);
  if (have < want) {
    log(`topping the table up from ${have} to ${want} rows`);
    await generate(want - have, 5000, { insertsOnly: true });
    await settle();
  }
  const b = await backfillRun({});
  log(`backfill: ${b.rows} rows at ${b.rowsPerSecond}/s, RSS ${b.peakRssMiB.toFixed(0)} MiB`);
  results.backfill = b;
}

if (only.has('tables')) {
  const w = await tablesWorkload(admin, workload, log);
  try {
    await settle();
    const ours = [];
    const debezium = [];
    for (let i = 0; i < runs; i++) {
      const r = await sourceCatchUp(w.range, { label: `tables${i}`, admin, extraEnv: { CAPTURE_TABLES: w.tables.join(','), TOPIC_PREFIX: `bmt_${process.pid}_${i}` } });
      log(`five tables, ours: ${r.changesPerSecond}/s from start, ${r.afterFirstCommitPerSecond}/s after the first commit, RSS ${r.peakRssMiB.toFixed(0)} MiB`);
      ours.push(r);
      const d = await attempt('Debezium, five tables', () => debeziumCatchUp(w.range, { log, tables: w.tables }));
      if (d) {
        log(`five tables, Debezium: ${d.changesPerSecond}/s from JVM start, ${d.afterFirstEventPerSecond}/s after the first event, RSS ${d.peakRssMiB.toFixed(0)} MiB`);
        debezium.push(d);
      }
    }
    results.tables = {
      changes: w.range.changes, tables: w.tables.length, ours, debezium,
      medians: {
        oursFromStart: median(ours.map((r) => r.changesPerSecond)), oursAfterFirst: median(ours.map((r) => r.afterFirstCommitPerSecond)),
        debeziumFromStart: debezium.length ? median(debezium.map((r) => r.changesPerSecond)) : NaN,
        debeziumAfterFirst: debezium.length ? median(debezium.map((r) => r.afterFirstEventPerSecond)) : NaN,
        oursRss: Math.max(...ours.map((r) => r.peakRssMiB)), debeziumRss: debezium.length ? Math.max(...debezium.map((r) => r.peakRssMiB)) : NaN,
      },
    };
  } finally {
    await w.drop();
  }
}

if (only.has('history')) {
  const h = await historyStart(isolatedEnv('history'), quick ? 1_000_000 : 10_000_000, log);
  log(`history: joined in ${h.emptyJoinSeconds.toFixed(2)} s empty, ${h.historyJoinSeconds.toFixed(2)} s with ${h.lines} lines ` +
    `(${h.gib.toFixed(2)} GiB); the one-time first start over the old layout ${h.migrationJoinSeconds.toFixed(1)} s`);
  results.history = h;
}

if (only.has('cluster')) {
  const wasUp = spawnSync('bash', ['-c', 'source scripts/stack/lib.sh && source scripts/stack/kafka3.sh && kafka3_healthy'], { cwd: ROOT }).status === 0;
  execFileSync('bash', ['scripts/stack/up.sh', 'kafka3'], { cwd: ROOT, stdio: 'inherit' });
  const clusterBrokers = /KAFKA_BROKERS=(.*)/.exec(execFileSync('bash', ['scripts/stack/env.sh', '--kafka3'], { cwd: ROOT, encoding: 'utf8' }))![1]!;
  try {
    const start = { ...(await binlogEnd(admin)), gtid: await gtidNow(admin) };
    const size = quick ? 50_000 : 100_000;
    log(`building a binlog backlog of ${size} changes for the single broker and the cluster`);
    const made = await generate(size);
    const range: BinlogRange = { start, end: await binlogEnd(admin), changes: made };
    await settle();
    results.cluster = await clusterComparison({ admin, range, single: config.kafka.brokers, cluster: clusterBrokers, runs, rates: [100, 1000], seconds: quick ? 5 : 10, log });
    const kafka3 = { ...config.kafka, brokers: clusterBrokers };
    await deleteTopics((await listTopics(kafka3)).filter((t) => t.includes(`_${process.pid}_`)), kafka3);
  } finally {
    if (!wasUp) execFileSync('bash', ['scripts/stack/down.sh', 'kafka3'], { cwd: ROOT, stdio: 'inherit' });
  }
}

await admin.end();
// The topics this run created (ours, the pool's, the perf tool's; the peers delete their own).
await deleteTopics((await listTopics()).filter((t) => t.includes(`_${process.pid}_`) || t.startsWith('bench_perf_') || t.startsWith(`bmt_${process.pid}_`)));
results.seconds = Math.round((Date.now() - started) / 1000);
const dir = join(ROOT, 'bench/results');
carryOver(results, join(dir, 'latest.json'));
mkdirSync(dir, { recursive: true });
const stamp = results.startedAt.replace(/[:.]/g, '-');
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
await writeReport(results, { log });
log(`done in ${results.seconds} s: BENCHMARKS.md, bench/results/latest.json, bench/results/chart.png`);
process.exit(0);

/** With `--only`, the scenarios not run keep the figures of the run that measured them, marked as such. */
function carryOver(r: BenchResults, latestPath: string): void {
  if (!existsSync(latestPath)) return;
  const previous = JSON.parse(readFileSync(latestPath, 'utf8')) as BenchResults;
  const target = r as unknown as Record<string, unknown>;
  const from = previous as unknown as Record<string, unknown>;
  const carried: Record<string, string> = {};
  for (const s of SCENARIOS) {
    if (only.has(s) || from[s] === undefined) continue;
    target[s] = from[s];
    carried[s] = previous.carried?.[s] ?? previous.startedAt;
  }
  if (Object.keys(carried).length > 0) r.carried = carried;
}
