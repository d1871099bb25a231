/**
 * What the parts allow, on the same backlog and machine: MariaDB's own binlog client decoding the range's rows
 * (the decode limit of reading this binlog), and Kafka's producer performance tool (the broker limit).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { config } from '../lib/pipeline.js';
import { cpuSeconds, ROOT } from '../lib/procs.js';
import type { BinlogRange } from './source-catchup.js';

export interface Ceiling {
  what: string;
  perSecond: number;
  seconds: number;
  /** The tool's own CPU, where it is one process. */
  cpuSeconds?: number;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ out: string; seconds: number; cpu: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let cpu = 0;
    // Sampled while it runs: /proc/<pid>/stat is gone once it has been reaped.
    const timer = setInterval(() => { cpu = Math.max(cpu, cpuSeconds(child.pid!)); }, 100);
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.length > 100_000) out = out.slice(-50_000); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0) resolve({ out, seconds: (performance.now() - started) / 1000, cpu });
      else reject(new Error(`${cmd} exited ${code}: ${out.slice(-2000)}`));
    });
  });
}

/**
 * `mariadb-binlog` reading the range from the server as a replica would and decoding every row event to text
 * (`--base64-output=decode-rows --verbose`), output discarded: changes per second it decodes.
 */
export async function binlogDecodeCeiling(range: BinlogRange): Promise<Ceiling> {
  if (range.start.file !== range.end.file) throw new Error('the binlog range spans files; decode ceiling needs one file');
  const { out, seconds } = await run('bash', ['-c',
    'mariadb-binlog --read-from-remote-server --host="$H" --port="$P" --user="$U" --password="$PW" --base64-output=decode-rows --verbose ' +
      '--start-position="$S" --stop-position="$E" "$F" | grep -c "^### \\(INSERT\\|UPDATE\\|DELETE\\)"'],
  { H: config.mysql.host, P: String(config.mysql.port), U: config.mysql.user, PW: config.mysql.password,
    S: String(range.start.pos), E: String(range.end.pos), F: range.start.file });
  const rows = Number(out.trim().split('\n').pop());
  if (!(rows > 0)) throw new Error(`mariadb-binlog decoded no rows: ${out.slice(-500)}`);
  return { what: `mariadb-binlog decoding ${rows} row changes`, perSecond: Math.round(rows / seconds), seconds };
}

/**
 * Kafka's ProducerPerformance from the stack's own Kafka jars: `records` records of `size` bytes, lz4, acks=all,
 * idempotent, in transactions (as our source writes), as fast as the broker takes them.
 */
export async function kafkaProducerCeiling(records: number, size: number, topic: string): Promise<Ceiling> {
  const libs = join(ROOT, '.stack/kafka/libs/*');
  const { out, seconds, cpu } = await run('java', ['-Xmx512m', '-cp', libs, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic, '--num-records', String(records), '--record-size', String(size), '--throughput', '-1',
    '--transaction-duration-ms', '100',
    '--producer-props', `bootstrap.servers=${config.kafka.brokers}`, 'acks=all', 'compression.type=lz4', 'linger.ms=5',
    `transactional.id=bench-perf-${Date.now()}`]);
  // Last summary line: "1000000 records sent, 312500.0 records/sec (59.60 MB/sec), …"
  const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(out.split('\n').filter((l) => l.includes('records sent')).pop() ?? '');
  if (!m) throw new Error(`no summary from ProducerPerformance: ${out.slice(-1000)}`);
  return { what: `Kafka ProducerPerformance, ${records} records of ${size} B, transactional, lz4`, perSecond: Math.round(Number(m[2])), seconds, cpuSeconds: cpu };
}
