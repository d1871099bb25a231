/**
 * npm run bench:pipeline -- [--changes N] [--runs K] [--env JSON] [--env2 JSON] [--baseline DIR] [--range JSON]:
 * the whole pipeline (source and pool started together) catching one binlog backlog up, alternating this checkout
 * with one setting against another (--env2), or against a baseline checkout. The throughput and memory targets are
 * about this scenario.
 */
// First: the bench's own table, before anything reads the configuration.
import './lib/workload-table.js';
import { parseCommandLine, wholeNumber } from '../src/cli/args.js';
import { backlogRange } from './lib/backlog.js';
import { adminPool } from './lib/pipeline.js';
import { pipelineCatchUp } from './scenarios/pipeline-catchup.js';

const args = parseCommandLine(process.argv.slice(2), {
  changes: { type: 'string' }, runs: { type: 'string' }, baseline: { type: 'string' }, range: { type: 'string' }, env: { type: 'string' }, env2: { type: 'string' },
}, 'npm run bench:pipeline -- [--changes N] [--runs K] [--env JSON] [--env2 JSON] [--baseline DIR] [--range <JSON a run printed>]');
const changes = wholeNumber('changes', args.changes, 1_000_000);
const runs = wholeNumber('runs', args.runs, 1);
const admin = adminPool();
const range = await backlogRange(admin, changes, args.range);
// MariaDB and Kafka settle after the burst of writes.
if (!args.range) await new Promise((resolve) => setTimeout(resolve, 8000));
process.stdout.write(`range: ${JSON.stringify(range)}\n`);
const env = (text: string | undefined) => (text ? JSON.parse(text) as Record<string, string> : {});
const sides: Array<[string, string | undefined, Record<string, string>]> = [['this', undefined, env(args.env)]];
if (args.env2) sides.push(['this with --env2', undefined, env(args.env2)]);
if (args.baseline) sides.push(['baseline', args.baseline, env(args.env)]);
for (let i = 0; i < runs; i++) {
  for (const [label, root, extraEnv] of sides) {
    const r = await pipelineCatchUp(range, { root, label: `${label.replace(/\W/g, '')}${i}`, extraEnv });
    process.stdout.write(`${label}: ${r.changes} changes in ${r.seconds.toFixed(1)} s = ${r.changesPerSecond}/s; peak RSS source ` +
      `${r.peakRssMiB.source.toFixed(0)} MiB, pool ${r.peakRssMiB.pool.toFixed(0)} MiB; CPU source ${r.cpuSeconds.source.toFixed(1)} s, ` +
      `pool ${r.cpuSeconds.pool.toFixed(1)} s, stack ${JSON.stringify(r.stackCpu)}\n`);
  }
}
await admin.end();
process.exit(0);
