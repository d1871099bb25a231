/** One of the project's commands as a child process, its output captured for assertions. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface Running {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startCommand(entry: string, env: Record<string, string>, args: string[] = []): Running {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    // Metrics endpoints are off unless a test asks for one: several daemons run side by side in some tests.
    env: { ...process.env, SOURCE_METRICS_PORT: 'off', POOL_METRICS_PORT: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

export async function stopCommand(r: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return r.proc.exitCode;
  r.proc.kill(signal);
  return r.exited;
}
