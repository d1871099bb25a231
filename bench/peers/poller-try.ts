/**
 * node --import tsx bench/peers/poller-try.ts [--batch 5000]
 * Writes a 50k-change backlog with the generator, then lets the seed poller drain it and prints what it did.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';
import { pollerCatchUp } from './poller.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const log = (s: string) => process.stderr.write(`${s}\n`);
const batch = Number(parseArgs({ options: { batch: { type: 'string', default: '5000' } } }).values.batch);

const db = await mysql.createConnection(mysqlOptions(loadConfig(), 'admin'));
// UTC session: NOW() is then the UTC wall time the poller's watermark is compared in.
await db.query("SET time_zone = '+00:00'");
const now = async () => ((await db.query<mysql.RowDataPacket[]>('SELECT NOW() AS t'))[0][0]!.t as Date);
const since = await now();
// The workload starts in the next second: last_updated has second precision, and the poller reads `> since`,
// so changes written in since's own second would be missed because of where the benchmark started.
while ((await now()).getTime() <= since.getTime()) await sleep(20);

const generated = await new Promise<string>((resolve, reject) => {
  const gen = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '20000', '--updates', '25000', '--deletes', '5000', '--tx-size', '500'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  gen.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  gen.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`generator exited ${code}: ${out}`))));
});
log(generated.trim());
const m = /generated (\d+) changes \((\d+) inserted, (\d+) updated, (\d+) deleted\)/.exec(generated);
if (!m) throw new Error(`unexpected generator output: ${generated}`);

const until = await now();
await db.end();

const result = await pollerCatchUp({ since, until, workloadChanges: Number(m[1]), deletes: Number(m[4]), batch, log });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
