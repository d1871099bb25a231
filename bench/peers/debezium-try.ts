/**
 * node --import tsx bench/peers/debezium-try.ts
 * Writes a 50k-change backlog with the generator, then drains exactly that binlog range with the Debezium peer
 * (untuned, then tuned) and prints the figures as JSON. Checks that Debezium wrote one record per change.
 */
import { spawn } from 'node:child_process';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config.js';
import { mysqlOptions } from '../../src/mysql.js';
import { ROOT } from '../lib/procs.js';
import { debeziumCatchUp, ensureDebezium, type BinlogRange } from './debezium.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const config = loadConfig();
const admin = await mysql.createConnection(mysqlOptions(config, 'admin'));

async function position(): Promise<{ file: string; pos: number; gtid: string | null }> {
  const [status] = await admin.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  const [gtid] = await admin.query<mysql.RowDataPacket[]>('SELECT @@gtid_binlog_pos AS g');
  return { file: String(status[0]!.File), pos: Number(status[0]!.Position), gtid: gtid[0]!.g ? String(gtid[0]!.g) : null };
}

function generate(): Promise<number> {
  const args = ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '20000', '--updates', '25000', '--deletes', '5000', '--tx-size', '500'];
  return new Promise((resolve, reject) => {
    const gen = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    gen.stdout.on('data', (d) => { out += d; });
    gen.on('exit', (code) => {
      const n = /generated (\d+) changes/.exec(out)?.[1];
      if (code === 0 && n) resolve(Number(n));
      else reject(new Error(`generator exited ${code}: ${out}`));
    });
  });
}

try {
  await ensureDebezium(log);
  const start = await position();
  log('generating the backlog…');
  const changes = await generate();
  const end = await position();
  log(`generated ${changes} changes: ${start.file}:${start.pos} (${start.gtid}) → ${end.file}:${end.pos} (${end.gtid})`);
  const range: BinlogRange = { start, end, changes };
  const untuned = await debeziumCatchUp(range, { log });
  const tuned = await debeziumCatchUp(range, { tuned: true, log });
  const ok = untuned.changes === changes && tuned.changes === changes;
  process.stdout.write(`${JSON.stringify({ range, untuned, tuned, recordsMatchChanges: ok }, null, 2)}\n`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await admin.end();
}
