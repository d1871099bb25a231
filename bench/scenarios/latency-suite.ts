/** The latency scenario: one source and one pool, single-row transactions at each rate in turn. */
import { mysqlOptions } from '../../src/mysql.js';
import { config, isolatedEnv, startPool, startSource } from '../lib/pipeline.js';
import { stackCpuSeconds } from '../lib/procs.js';
import { measureLatency, type LatencyResult } from './latency.js';

export interface LatencySuiteResult {
  rates: LatencyResult[];
  /** The highest rate tried whose lines all landed with p99 under a second. */
  sustained: number | null;
  peakRssMiB: { source: number; pool: number };
}

export async function latencySuite(opts: { rates: number[]; seconds: number; probeRates: number[]; root?: string; log: (s: string) => void; extraEnv?: Record<string, string> }): Promise<LatencySuiteResult> {
  const env = isolatedEnv('latency', opts.extraEnv);
  const source = await startSource(env, opts.root);
  const pool = await startPool(env, opts.root).catch(async (err) => { await source.stop('SIGKILL'); throw err; });
  const run = async (rate: number, seconds: number) => {
    const before = { source: source.cpuSeconds(), pool: pool.cpuSeconds(), bench: process.cpuUsage(), ...stackCpuSeconds() };
    const t0 = performance.now();
    const r = await measureLatency({ mysql: mysqlOptions(config, 'admin'), table: config.mysql.table, outputDir: env.OUTPUT_DIR, rate, seconds });
    const wall = (performance.now() - t0) / 1000;
    const stack = stackCpuSeconds();
    const bench = process.cpuUsage(before.bench);
    const share = (n: number) => `${Math.round((100 * n) / wall)}%`;
    r.cpu = {
      source: share(source.cpuSeconds() - before.source), pool: share(pool.cpuSeconds() - before.pool),
      kafka: share(stack.kafka - before.kafka), kafkaJit: share(stack.kafkaJit - before.kafkaJit), ...(stack.kafka3 > before.kafka3 ? { kafka3: share(stack.kafka3 - before.kafka3) } : {}), mysql: share(stack.mysql - before.mysql), bench: share((bench.user + bench.system) / 1e6),
    };
    opts.log(`  ${rate}/s (achieved ${r.achievedRate}/s): p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms, missing ${r.missing}; CPU ${JSON.stringify(r.cpu)}`);
    return r;
  };
  try {
    await run(50, 2); // warm-up: schemas registered, connections open
    const rates: LatencyResult[] = [];
    for (const rate of opts.rates) rates.push(await run(rate, opts.seconds));
    let sustained: number | null = null;
    for (const rate of opts.probeRates) {
      const r = await run(rate, opts.seconds);
      if (r.missing > 0 || r.p99 > 1000 || r.achievedRate < rate * 0.95) break;
      sustained = rate;
    }
    return { rates, sustained, peakRssMiB: { source: source.peakRssMiB(), pool: pool.peakRssMiB() } };
  } finally {
    await pool.stop();
    await source.stop();
  }
}
