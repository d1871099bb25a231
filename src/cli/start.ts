/**
 * npm start [-- --config FILE] [--print-config]: the single-machine deployment. Runs the source daemon and the
 * consumer supervisor as two child processes with the same settings. SIGINT/SIGTERM/SIGHUP (one Ctrl-C, a
 * closed terminal) stops both cleanly; a second one kills them. When one child exits on its own, the other is
 * stopped and npm start exits with the first one's code (0 becomes 1: a daemon that ends by itself is a
 * failure), so a service manager sees the failure and can restart the pair. If npm start itself dies, each child
 * sees its IPC channel close and stops as on SIGTERM: no orphaned pair keeps writing the same files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { flushLogger } from '../log.js';
import { daemonArgs, setup } from './setup.js';

const args = daemonArgs('start');
// Checked here first, so a bad setting is one line and exit 2, not two children failing side by side.
const { config, logger } = setup('start', args);
const log = logger.child({ component: 'start' });

const children = new Map<string, ChildProcess>();
let stopping = false;
let killed = false;
let finishing = false;
let firstExit: { name: string; code: number } | undefined;

function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

function launch(name: 'source' | 'consumers'): void {
  // The sibling module, compiled (dist/) or through tsx in development, on this same Node.
  const dev = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./${name}.${dev ? 'ts' : 'js'}`, import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, ...(args.config ? { CDC_CONFIG: args.config } : {}) };
  // Each consumer may hold a libuv thread while it waits on Kafka (see npm run consumers).
  if (name === 'consumers' && !env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = String(Math.max(16, config.pool.size + 8));
  // Own process group: a terminal's Ctrl-C reaches only this process, which stops the children in order.
  // The same Node flags as this process (the young-generation size of scripts/run.sh and the units).
  const flags = process.execArgv.filter((a) => !a.startsWith('--import') && a !== 'tsx');
  const child = spawn(process.execPath, [...flags, ...(dev ? ['--import', 'tsx'] : []), script], { env, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true });
  children.set(name, child);
  const ended = (status: number, how: string) => {
    if (!children.has(name)) return;
    children.delete(name);
    if (!firstExit && !stopping) {
      firstExit = { name, code: status === 0 ? 1 : status };
      log.error(`${name} ${how}; stopping the other process`);
      stopAll('SIGTERM');
    }
    if (children.size === 0) void finish();
  };
  child.on('exit', (code, signal) => ended(exitStatus(code, signal), `exited on its own (${signal ?? `code ${code}`})`));
  child.on('error', (err) => ended(1, `could not be started or signalled: ${err.message}`));
}

function stopAll(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}

async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  const code = firstExit?.code ?? (killed ? 130 : 0);
  if (firstExit) log.info(`stopped: ${firstExit.name} failed with exit code ${firstExit.code}`);
  else log.info(killed ? 'source and consumers killed' : 'source and consumers stopped cleanly');
  await flushLogger(logger);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (finishing) return;
    if (stopping) {
      log.warn(`${signal} again: killing ${[...children.keys()].join(' and ')}`);
      killed = true;
      stopAll('SIGKILL');
      return;
    }
    log.info(`${signal}: stopping the source and the consumers`);
    stopAll('SIGTERM');
  });
}

log.info(`starting the source (${config.source.id}) and ${config.pool.size} consumers (group ${config.pool.group})`);
launch('source');
launch('consumers');
