/** npm run bench:latency -- [--rates 100,1000,5000] [--seconds N] [--env JSON]: the latency scenario alone. */
// First: the bench's own table, before anything reads the configuration.
import './lib/workload-table.js';
import { parseCommandLine, wholeNumber } from '../src/cli/args.js';
import { latencySuite } from './scenarios/latency-suite.js';

const args = parseCommandLine(process.argv.slice(2), { rates: { type: 'string' }, seconds: { type: 'string' }, probe: { type: 'string' }, env: { type: 'string' } },
  'npm run bench:latency -- [--rates 100,1000,5000] [--seconds N] [--probe 10000,20000] [--env JSON (settings for the source and the pool)]');
const rates = (args.rates ?? '100,1000,5000').split(',').map(Number);
const probe = (args.probe ?? '').split(',').filter(Boolean).map(Number);
const extraEnv = args.env ? JSON.parse(args.env) as Record<string, string> : undefined;
const result = await latencySuite({ rates, probeRates: probe, seconds: wholeNumber('seconds', args.seconds, 10), log: (s) => process.stdout.write(`${s}\n`), extraEnv });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
