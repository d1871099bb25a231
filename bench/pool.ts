/**
 * npm run bench:pool -- [--changes N] [--runs K] [--baseline DIR]: builds one topic backlog, then drains it with
 * fresh pools, alternating this checkout and (optionally) a baseline checkout, K runs each.
 */
// First: the bench's own table, before anything reads the configuration.
import './lib/workload-table.js';
import { parseCommandLine, wholeNumber } from '../src/cli/args.js';
import { caughtUp, generate } from './lib/backlog.js';
import { adminPool, isolatedEnv, startSource } from './lib/pipeline.js';
import { drainPool } from './scenarios/pool-drain.js';

const args = parseCommandLine(process.argv.slice(2), {
  changes: { type: 'string' }, runs: { type: 'string' }, baseline: { type: 'string' }, topic: { type: 'string' }, env: { type: 'string' },
}, 'npm run bench:pool -- [--changes N] [--runs K] [--baseline DIR] [--topic NAME --changes N (reuse a backlog)] [--env JSON]');
const changes = wholeNumber('changes', args.changes, 300_000);
const runs = wholeNumber('runs', args.runs, 1);
let env = isolatedEnv('pool');
let expected = changes;
if (args.topic) env = { ...env, KAFKA_TOPIC: args.topic };
else {
  const admin = adminPool();
  const source = await startSource(env);
  await generate(changes);
  expected = await caughtUp(env, admin, 600_000);
  await source.stop();
  await admin.end();
}
const extraEnv = args.env ? JSON.parse(args.env) as Record<string, string> : {};
process.stdout.write(`topic ${env.KAFKA_TOPIC}: ${expected} changes\n`);
for (let i = 0; i < runs; i++) {
  for (const [label, root] of [['this', undefined], ...(args.baseline ? [['baseline', args.baseline]] : [])] as Array<[string, string | undefined]>) {
    const r = await drainPool(env, expected, { root, label, extraEnv });
    process.stdout.write(`${label}: ${r.lines} lines in ${r.seconds.toFixed(1)} s = ${r.linesPerSecond} lines/s (${r.steadyLinesPerSecond}/s from the first line); peak RSS ${r.peakRssMiB.toFixed(0)} MiB; CPU ${r.cpuSeconds.toFixed(1)} s\n`);
  }
}
process.exit(0);
