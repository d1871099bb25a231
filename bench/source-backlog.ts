/**
 * npm run bench:source -- [--changes N]
 * Builds a binlog backlog of N changes with the source daemon stopped, then starts it and measures how fast
 * it drains and how its memory behaves meanwhile (RSS sampled from /proc every 250 ms).
 */
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCommandLine, wholeNumber } from '../src/cli/args.js';
import { adminConnection } from '../tests/integration/helpers.js';
import { isolatedSource, startSource, stopSource, waitCaughtUp, waitFor } from '../tests/integration/source-helpers.js';

const args = parseCommandLine(process.argv.slice(2), { changes: { type: 'string' } }, 'npm run bench:source -- [--changes N]');
const total = wholeNumber('changes', args.changes, 1_000_000);

const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const env = isolatedSource();
const admin = await adminConnection();
let source = startSource(env);
await waitFor('the daemon to start', async () => source.output().includes('starting at the binlog'), 60_000);
await stopSource(source);

const inserts = Math.round(total * 0.4);
const updates = Math.round(total * 0.5);
const deletes = total - inserts - updates;
process.stdout.write(`building a backlog of ${total} changes (daemon stopped)…\n`);
const generated = await new Promise<number>((resolve, reject) => {
  const gen = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', String(inserts), '--updates', String(updates),
    '--deletes', String(deletes), '--tx-size', '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  gen.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
  gen.on('exit', (code) => (code === 0 ? resolve(Number(/generated (\d+)/.exec(out)?.[1])) : reject(new Error(`generator exited ${code}`))));
});

source = startSource(env);
const started = performance.now();
const samples: number[] = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    try { samples.push(rssMiB(source.proc.pid!)); } catch { /* exited */ }
    await sleep(250);
  }
})();
const checkpoint = await waitCaughtUp(env, admin, 1_800_000);
const seconds = (performance.now() - started) / 1000;
sampling = false;
await sampler;
await stopSource(source);
await admin.end();

const sorted = [...samples].sort((a, b) => a - b);
const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(0);
const quarter = (i: number) => samples[Math.floor((i * samples.length) / 4)]?.toFixed(0);
process.stdout.write(
  `drained ${generated} changes in ${seconds.toFixed(1)} s (including start-up): ${Math.round(generated / seconds)} changes/s; ` +
    `checkpoint counter ${checkpoint.changes}\n` +
    `RSS MiB over the drain: min ${q(0)}, median ${q(0.5)}, p95 ${q(0.95)}, max ${q(0.999)}; ` +
    `at 0/25/50/75% of the time: ${[0, 1, 2, 3].map(quarter).join(' / ')}\n`,
);
process.exit(0);
