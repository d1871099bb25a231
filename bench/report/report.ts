/**
 * The benchmark's results as BENCHMARKS.md (one table: ours against each peer as a ratio, absolute figures marked
 * as this machine's) and a PNG chart (bench/report/chart.py, matplotlib from the bench's Python environment).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerCatchUp } from '../peers/debezium.js';
import type { PollerResult } from '../peers/poller.js';
import { ensurePythonEnv } from '../lib/python.js';
import { ROOT } from '../lib/procs.js';
import type { BackfillResult } from '../scenarios/backfill.js';
import type { HistoryStartResult } from '../scenarios/history-start.js';
import type { Ceiling } from '../scenarios/ceilings.js';
import type { LatencySuiteResult } from '../scenarios/latency-suite.js';
import type { PipelineResult } from '../scenarios/pipeline-catchup.js';
import type { DrainResult } from '../scenarios/pool-drain.js';
import type { CatchUpResult } from '../scenarios/source-catchup.js';
import type { ClusterResult } from '../scenarios/cluster.js';

export interface BenchResults {
  startedAt: string;
  quick: boolean;
  runs: number;
  machine: { cpus: number; node: string; memGiB: number };
  seconds?: number;
  /** Peers or ceilings that could not be measured, and why. */
  failures?: string[];
  tables?: {
    changes: number;
    tables: number;
    ours: CatchUpResult[];
    debezium: PeerCatchUp[];
    medians: { oursFromStart: number; oursAfterFirst: number; debeziumFromStart: number; debeziumAfterFirst: number; oursRss: number; debeziumRss: number };
  };
  source?: {
    changes: number;
    ours: CatchUpResult[];
    debezium: PeerCatchUp[];
    debeziumTuned: PeerCatchUp[];
    poller: PollerResult | undefined;
    ceilings: { decode: Ceiling | undefined; broker: Ceiling | undefined };
    medians: {
      oursFromStart: number; oursAfterFirst: number; debeziumFromStart: number; debeziumAfterFirst: number;
      tunedFromStart: number; tunedAfterFirst: number; oursRss: number; debeziumRss: number;
    };
  };
  pool?: { lines: number; drains: DrainResult[]; medians: { fromStart: number; steady: number } };
  pipeline?: PipelineResult;
  backfill?: BackfillResult;
  history?: HistoryStartResult;
  latency?: LatencySuiteResult;
  cluster?: ClusterResult;
  /** Scenarios not run this time (`--only`), carried over from the run that measured them: scenario → its date. */
  carried?: Record<string, string>;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

export function renderMarkdown(r: BenchResults): string {
  const rows: string[][] = [];
  const failed = '(failed: see below)';
  /** A row of ours beside a peer's figure, or beside "failed" when the peer did not finish. */
  const peer = (label: string, ours: number, theirs: number | undefined, what = label) =>
    rows.push([label, n(ours), what, theirs === undefined || Number.isNaN(theirs) ? failed : n(theirs), theirs ? ratio(ours, theirs) : '—']);
  const s = r.source;
  if (s) {
    const m = s.medians;
    const dbz = s.debezium.length > 0;
    const tuned = s.debeziumTuned.length > 0;
    peer('source catch-up, changes/s from process start', m.oursFromStart, dbz ? m.debeziumFromStart : undefined, 'Debezium 3.5 MariaDB connector, defaults');
    peer('source catch-up, changes/s after the first commit / event', m.oursAfterFirst, dbz ? m.debeziumAfterFirst : undefined, 'Debezium, defaults');
    peer('source catch-up, changes/s from process start', m.oursFromStart, tuned ? m.tunedFromStart : undefined, 'Debezium, tuned producer (batch 512 KiB, linger 20 ms)');
    peer('source catch-up, changes/s after the first commit / event', m.oursAfterFirst, tuned ? m.tunedAfterFirst : undefined, 'Debezium, tuned producer');
    peer('source catch-up, peak RSS (MiB)', m.oursRss, dbz ? m.debeziumRss : undefined, 'Debezium (-Xmx512m)');
    peer('source catch-up, changes/s from process start', m.oursFromStart, s.poller?.rowsPerSecond, 'the seed\'s timestamp poller (Python, rows/s)');
    rows.push([`changes never delivered, of ${n(s.changes)}`, '0', 'the seed\'s timestamp poller',
      s.poller ? `${n(s.poller.missedTotal)} (${n(s.poller.missedDeletes)} deletes, ${n(s.poller.missedUpdates)} updates); ${n(s.poller.staleFinalRows)} rows left stale` : failed, '—']);
    peer('source catch-up, changes/s after the first commit', m.oursAfterFirst, s.ceilings.decode?.perSecond, `ceiling: ${s.ceilings.decode?.what ?? 'mariadb-binlog decoding the range'}`);
    peer('source catch-up, changes/s after the first commit', m.oursAfterFirst, s.ceilings.broker?.perSecond, `ceiling: ${s.ceilings.broker?.what ?? 'Kafka ProducerPerformance'}`);
  }
  const mt = r.tables;
  if (mt) {
    const m = mt.medians;
    const dbz = mt.debezium.length > 0;
    peer(`five tables of mixed types (${n(mt.changes)} changes), changes/s from process start`, m.oursFromStart, dbz ? m.debeziumFromStart : undefined, 'Debezium 3.5, the same five tables');
    peer('five tables, changes/s after the first commit / event', m.oursAfterFirst, dbz ? m.debeziumAfterFirst : undefined, 'Debezium, the same five tables');
    peer('five tables, peak RSS (MiB)', m.oursRss, dbz ? m.debeziumRss : undefined, 'Debezium (-Xmx512m)');
  }
  if (r.pool) {
    rows.push(
      [`pool alone, lines/s from process start (${n(r.pool.lines)} lines)`, n(r.pool.medians.fromStart), 'target', '120,000', ratio(r.pool.medians.fromStart, 120_000)],
      ['pool alone, lines/s from the first line', n(r.pool.medians.steady), 'target', '150,000', ratio(r.pool.medians.steady, 150_000)],
      ['pool alone, peak RSS (MiB)', n(Math.max(...r.pool.drains.map((d) => d.peakRssMiB))), 'target', '200', ratio(Math.max(...r.pool.drains.map((d) => d.peakRssMiB)), 200)],
    );
  }
  if (r.pipeline) {
    const p = r.pipeline;
    rows.push(
      [`whole pipeline, ${n(p.changes)}-change backlog, changes/s from start`, n(p.changesPerSecond), 'target', '60,000', ratio(p.changesPerSecond, 60_000)],
      ['whole pipeline, peak RSS of the source (MiB)', n(p.peakRssMiB.source), 'target', '150', ratio(p.peakRssMiB.source, 150)],
      ['whole pipeline, peak RSS of the pool (MiB)', n(p.peakRssMiB.pool), 'target', '200', ratio(p.peakRssMiB.pool, 200)],
    );
  }
  if (r.backfill) {
    rows.push([`backfill --full, ${n(r.backfill.rows)} rows, rows/s (peak RSS ${n(r.backfill.peakRssMiB)} MiB)`, n(r.backfill.rowsPerSecond), '—', '—', '—']);
  }
  if (r.history) {
    const h = r.history;
    rows.push(
      [`pool start to every partition assigned, ${n(h.lines)} lines (${h.gib.toFixed(1)} GiB) of history, s`, h.historyJoinSeconds.toFixed(2), 'target', '1.00', ratio(h.historyJoinSeconds, 1)],
      ['pool start to every partition assigned, empty OUTPUT_DIR, s', h.emptyJoinSeconds.toFixed(2), 'with that history', h.historyJoinSeconds.toFixed(2), ratio(h.emptyJoinSeconds, h.historyJoinSeconds)],
      ['pool start to five consumers subscribed (output indexed), with history / empty, s', (h.historySubscribedSeconds ?? 0).toFixed(2), 'empty', (h.emptySubscribedSeconds ?? 0).toFixed(2), ratio(h.historySubscribedSeconds ?? 0, h.emptySubscribedSeconds ?? 0)],
      ['first start over the same lines in the one-file layout (read once, then in the manifest), s', h.migrationJoinSeconds.toFixed(1), '—', '—', '—'],
    );
  }
  if (r.latency) {
    for (const l of r.latency.rates) {
      const target = l.rate >= 5000 ? 250 : 100;
      rows.push([`commit-to-line latency at ${n(l.rate)}/s: p50 / p99 / max`, `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}`, 'target p99', ms(target), ratio(l.p99, target)]);
    }
    const low = r.latency.rates.find((l) => l.rate === 100)?.cpu;
    if (low?.kafka) {
      // Older results have no JIT figure: the whole share then.
      const work = Number.parseFloat(low.kafka) - Number.parseFloat(low.kafkaJit ?? '0');
      rows.push([`the broker's CPU while the pipeline carries 100 changes/s${low.kafkaJit ? ', its JIT compiler left out' : ''}, % of a core`, `${work}%`, 'target', '15%', ratio(work, 15)]);
      if (low.kafkaJit) rows.push(["the broker's JIT compiler in that time (a young broker's warm-up), % of a core", low.kafkaJit, '—', '—', '—']);
    }
    rows.push(['highest rate held (all lines landed, p99 under 1 s)', r.latency.sustained === null ? 'below the first probe' : `${n(r.latency.sustained)}/s`, '—', '—', '—']);
  }
  if (r.cluster) {
    const c = r.cluster;
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const rate = (side: typeof c.single, k: 'changesPerSecond' | 'afterFirstCommitPerSecond') => med(side.catchUp.map((x) => x[k]));
    rows.push(
      [`source catch-up on three brokers (RF 3, min ISR 2), ${n(c.changes)} changes, changes/s from start`, n(rate(c.cluster, 'changesPerSecond')), 'one broker (RF 1)', n(rate(c.single, 'changesPerSecond')), ratio(rate(c.cluster, 'changesPerSecond'), rate(c.single, 'changesPerSecond'))],
      ['source catch-up on three brokers, changes/s after the first commit', n(rate(c.cluster, 'afterFirstCommitPerSecond')), 'one broker', n(rate(c.single, 'afterFirstCommitPerSecond')), ratio(rate(c.cluster, 'afterFirstCommitPerSecond'), rate(c.single, 'afterFirstCommitPerSecond'))],
    );
    for (const [i, l] of (c.cluster.latency[0]?.rates ?? []).entries()) {
      const p99 = (side: typeof c.single) => med(side.latency.map((s) => s.rates[i]?.p99 ?? NaN));
      const p50 = (side: typeof c.single) => med(side.latency.map((s) => s.rates[i]?.p50 ?? NaN));
      rows.push([`commit-to-line latency on three brokers at ${n(l.rate)}/s: p50 / p99`, `${ms(p50(c.cluster))} / ${ms(p99(c.cluster))}`, 'one broker, p50 / p99', `${ms(p50(c.single))} / ${ms(p99(c.single))}`, ratio(p99(c.cluster), p99(c.single))]);
    }
  }
  const table = [
    '| scenario | ours | compared with | theirs | ours ÷ theirs |',
    '|---|---:|---|---:|---:|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
  return `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${r.startedAt.slice(0, 10)}; raw figures in
[bench/results/latest.json](bench/results/latest.json), chart in [bench/results/chart.png](bench/results/chart.png).
**Absolute figures are this machine's** (${r.machine.cpus} cores, ${r.machine.memGiB} GiB, Node ${r.machine.node}, the local
stack's MariaDB, Kafka and registry on the same cores); the ratios are what carries over. Medians of ${r.runs} run(s) each.
${r.quick ? '\n*Quick run (smaller workloads): not the reference figures.*\n' : ''}${r.carried && Object.keys(r.carried).length
    ? `\n*Measured in an earlier sitting (a run with \`--only\` keeps them): ${Object.entries(r.carried).map(([k, at]) => `${k} on ${at.slice(0, 10)}`).join(', ')}; compare ratios within one sitting only.*\n` : ''}
${table}
${r.failures?.length ? `\nNot measured in this run: ${r.failures.map((f) => `\n- ${f}`).join('')}\n` : ''}
How each figure is taken:
- **Source catch-up**: the issue's workload (40 % inserts, 50 % updates, 10 % deletes, 500 changes per transaction)
  written while nothing reads it; each reader starts at the backlog's first position and is timed until everything is
  on Kafka: ours by its committed checkpoint (Avro, exactly-once transactions), Debezium by its topic's end offsets (JSON
  without schemas, at-least-once, one record per change). "After the first commit / event" leaves start-up out.
- **The seed's poller** polls \`last_updated > watermark\` and produces Avro; it cannot see deletes and collapses changes
  made to a row between polls: what it never delivers is counted against the same workload.
- **Ceilings**: \`mariadb-binlog\` reading the same range from the server and decoding its rows (the decode limit);
  Kafka's own producer performance tool in transactions (the broker's limit on this machine).
- **Pool alone**: the source's topic from the first run, drained by a fresh group into a fresh directory, fsync before
  every offset commit.
- **Whole pipeline**: source and pool started together on the backlog; done when every change has its line.
- **Latency**: single-row INSERT transactions at a fixed rate; from the INSERT's acknowledgement to its line in a
  consumer file (inotify plus a 5 ms poll). The highest rate held is the highest of the probe rates at which every line
  landed with p99 under a second.
- **History**: lines shaped like the pool's, in the one-file-per-consumer layout of earlier versions, in a fresh
  \`OUTPUT_DIR\`; a fresh group on an empty topic each time. The first start over them reads every line once and
  records them in the segment manifest; the figure with history is the second start, what every restart costs.
- **Five tables**: the same workload spread over five tables of mixed types (DECIMAL, DATETIME(3), TIMESTAMP(6),
  JSON, ENUM, SET, BIT, VARBINARY, a composite key), every transaction of 500 changes writing all five; ours
  capturing the five (\`CAPTURE_TABLES\`, five topics, exactly-once transactions across them) against Debezium's
  connector with the same five in \`table.include.list\`, each timed until every change of the range is on Kafka.
- **Three brokers** (\`--only cluster\`): the same source catch-up (a backlog of its own) and latency probe against the
  single broker and against the local three-node KRaft cluster (\`stack:up -- kafka3\`: replication factor 3,
  \`min.insync.replicas\` 2, three JVMs on the same two cores), alternating; the ratio is cluster ÷ single broker.
`;
}

export async function writeReport(r: BenchResults, opts: { log: (s: string) => void }): Promise<void> {
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(r));
  const python = await ensurePythonEnv(opts.log);
  execFileSync(python, [join(ROOT, 'bench/report/chart.py'), join(ROOT, 'bench/results/latest.json'), join(ROOT, 'bench/results/chart.png')], { stdio: 'inherit' });
}
