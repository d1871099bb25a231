/**
 * The same source catch-up and commit-to-line latency against the single broker and against the three-broker
 * cluster (scripts/stack/kafka3.sh: replication factor 3, min.insync.replicas 2), alternating, in one sitting:
 * what replication costs the pipeline.
 */
import type mysql from 'mysql2/promise';
import { latencySuite, type LatencySuiteResult } from './latency-suite.js';
import { sourceCatchUp, type BinlogRange, type CatchUpResult } from './source-catchup.js';

export interface ClusterSide {
  brokers: string;
  catchUp: CatchUpResult[];
  latency: LatencySuiteResult[];
}

export interface ClusterResult {
  changes: number;
  single: ClusterSide;
  cluster: ClusterSide;
}

export async function clusterComparison(o: {
  admin: mysql.Pool; range: BinlogRange; single: string; cluster: string; runs: number; rates: number[]; seconds: number; log: (s: string) => void;
}): Promise<ClusterResult> {
  const sides = { single: { brokers: o.single, catchUp: [], latency: [] } as ClusterSide, cluster: { brokers: o.cluster, catchUp: [], latency: [] } as ClusterSide };
  for (let i = 0; i < o.runs; i++) {
    for (const name of ['single', 'cluster'] as const) {
      const side = sides[name];
      const extraEnv = { KAFKA_BROKERS: side.brokers };
      const r = await sourceCatchUp(o.range, { label: `${name}${i}`, admin: o.admin, extraEnv });
      o.log(`${name}: source ${r.changesPerSecond}/s from start, ${r.afterFirstCommitPerSecond}/s after the first commit`);
      side.catchUp.push(r);
      const l = await latencySuite({ rates: o.rates, probeRates: [], seconds: o.seconds, log: o.log, extraEnv });
      o.log(`${name}: latency ${l.rates.map((x) => `${x.rate}/s p50 ${x.p50.toFixed(0)} ms p99 ${x.p99.toFixed(0)} ms`).join(', ')}`);
      side.latency.push(l);
    }
  }
  return { changes: o.range.changes, ...sides };
}
