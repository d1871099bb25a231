/**
 * The pipeline's processes as a benchmark runs them: from a chosen checkout (this one, or a baseline worktree
 * for before/after figures in one sitting), with their RSS sampled from /proc while they work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Proc {
  name: string;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Highest RSS seen, MiB. */
  peakRssMiB: () => number;
  /** CPU seconds used so far (the last sample once it has exited). */
  cpuSeconds: () => number;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export type Command = 'source' | 'consumers' | 'backfill' | 'generate';

/**
 * One of the pipeline's commands. From `root` (default: this checkout), compiled (`dist/cli/cdc.js <cmd>`) when
 * that exists there, else through tsx, as `npm run <cmd>` would.
 */
export function launch(cmd: Command, env: Record<string, string>, args: string[] = [], root = process.env.BENCH_ROOT ?? ROOT): Proc {
  const compiled = join(root, 'dist/cli/cdc.js');
  // BENCH_NODE_ARGS reaches every launched process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a scenario.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // As users run it: `cdc <command>` (the compiled bin) when built there.
  // That checkout's own V8 flags first (a baseline keeps its own), then the bench's, which win.
  const argv = [...(existsSync(compiled) ? [...runFlags(root), ...nodeArgs, compiled, cmd, ...args] : [...nodeArgs, '--import', 'tsx', join(root, 'src/cli', `${cmd}.ts`), ...args])];
  const proc = spawn(process.execPath, argv, {
    cwd: resolve(root),
    env: {
      // As scripts/run.sh starts them: two malloc arenas.
      ...process.env, SOURCE_METRICS_PORT: 'off', POOL_METRICS_PORT: 'off', LOG_FORMAT: 'json', MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      ...(cmd === 'consumers' ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  let peak = 0;
  let cpu = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(proc.pid!));
    cpu = Math.max(cpu, cpuSeconds(proc.pid!));
  }, 200);
  void exited.then(() => clearInterval(timer));
  return {
    name: cmd, proc, exited, output: () => out, peakRssMiB: () => Math.max(peak, rssMiB(proc.pid!)),
    cpuSeconds: () => Math.max(cpu, cpuSeconds(proc.pid!)),
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** The node flags `scripts/run.sh` of a checkout starts `cdc` with (none for a checkout without them). */
export function runFlags(root: string): string[] {
  try {
    const m = /^exec "\$NODE" (.*?) ?"\$ROOT\/dist\/cli\/cdc\.js"/m.exec(readFileSync(join(root, 'scripts/run.sh'), 'utf8'));
    return m ? m[1]!.split(' ').filter(Boolean) : [];
  } catch {
    return [];
  }
}

/** RSS of a process and all its descendants (tsx, JVM children), MiB; 0 once it is gone. */
export function rssMiB(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) / 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

function descendants(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.flatMap((k) => [k, ...descendants(k)]);
  } catch {
    return [];
  }
}

/** CPU seconds (user + system) from a /proc `stat` file: a process's, or one of its threads' (`task/<tid>/stat`). */
function statCpuSeconds(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds a JVM's JIT compiler threads have used so far. A broker started minutes ago spends most of its CPU
 * compiling (C2 took 40 of its first 8 minutes' CPU seconds here, more than all its request handlers): a warm-up
 * cost, reported apart from the work the pipeline's requests cost it.
 */
export function jitCpuSeconds(pid: number): number {
  let sum = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (/^C[12] CompilerThre/.test(readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8'))) sum += statCpuSeconds(`/proc/${pid}/task/${task}/stat`);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  } catch {
    return 0;
  }
  return sum;
}

/** CPU seconds of the local stack's services so far (Kafka, the three-node cluster when up, MariaDB, registry), from their pid files. */
export function stackCpuSeconds(): Record<'kafka' | 'kafkaJit' | 'kafka3' | 'mysql' | 'registry', number> {
  const pid = (path: string) => {
    try {
      return Number(readFileSync(join(ROOT, '.stack', path), 'utf8').trim());
    } catch {
      return 0;
    }
  };
  return {
    kafka: cpuSeconds(pid('kafka/kafka.pid')),
    kafkaJit: jitCpuSeconds(pid('kafka/kafka.pid')),
    kafka3: [1, 2, 3].reduce((sum, n) => sum + cpuSeconds(pid(`kafka3/node-${n}/kafka.pid`)), 0),
    mysql: cpuSeconds(pid('mariadb/mysqld.pid')),
    registry: cpuSeconds(pid('registry/registry.pid')),
  };
}

/** What each service used between two readings. */
export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k] ?? 0) - (before[k] ?? 0)) * 10) / 10]));
}
