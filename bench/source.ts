/**
 * npm run bench:source -- [--changes N] [--runs K] [--baseline DIR]: one binlog backlog (the workload),
 * drained by fresh source identities, alternating this checkout and (optionally) a baseline checkout.
 */
// First: the bench's own table, before anything reads the configuration.
import './lib/workload-table.js';
import { parseCommandLine, wholeNumber } from '../src/cli/args.js';
import { backlogRange } from './lib/backlog.js';
import { adminPool } from './lib/pipeline.js';
import { sourceCatchUp } from './scenarios/source-catchup.js';

const args = parseCommandLine(process.argv.slice(2), {
  changes: { type: 'string' }, runs: { type: 'string' }, baseline: { type: 'string' }, range: { type: 'string' }, env: { type: 'string' },
}, 'npm run bench:source -- [--changes N] [--runs K] [--baseline DIR] [--range <JSON a run printed>]');
const changes = wholeNumber('changes', args.changes, 300_000);
const runs = wholeNumber('runs', args.runs, 1);
const admin = adminPool();
const range = await backlogRange(admin, changes, args.range);
process.stdout.write(`range: ${JSON.stringify(range)}\n`);
for (let i = 0; i < runs; i++) {
  for (const [label, root] of [['this', undefined], ...(args.baseline ? [['baseline', args.baseline]] : [])] as Array<[string, string | undefined]>) {
    const r = await sourceCatchUp(range, { root, label, admin, extraEnv: args.env ? JSON.parse(args.env) as Record<string, string> : {} });
    process.stdout.write(`${label}: ${r.changes} changes in ${r.seconds.toFixed(1)} s = ${r.changesPerSecond}/s from start, ` +
      `${r.afterFirstCommitPerSecond}/s after the first commit; peak RSS ${r.peakRssMiB.toFixed(0)} MiB; CPU ${r.cpuSeconds.toFixed(1)} s, stack ${JSON.stringify(r.stackCpu)}\n`);
  }
}
await admin.end();
process.exit(0);
