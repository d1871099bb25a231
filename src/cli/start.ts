/**
 * npm start [-- --config FILE] [--print-config]: the single-machine deployment. Runs the source daemon and the
 * consumer supervisor as two child processes with the same settings. SIGINT/SIGTERM (one Ctrl-C) stops both
 * cleanly; a second one kills them. When one child exits on its own, the other is stopped and npm start exits
 * with the first one's code (0 becomes 1: a daemon that ends by itself is a failure), so a service manager
 * sees the failure and can restart the pair.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { flushLogger } from '../log.js';
import { daemonArgs, setup } from './setup.js';

const args = daemonArgs('start', 'npm start -- [--config <file>] [--print-config]');
// Checked here first, so a bad setting is one line and exit 2, not two children failing side by side.
const { config, logger } = setup('start', args);
const log = logger.child({ component: 'start' });

const children = new Map<string, ChildProcess>();
let stopping = false;
let firstExit: { name: string; code: number } | undefined;

function launch(name: 'source' | 'consumers'): ChildProcess {
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, ...(args.config ? { CDC_CONFIG: args.config } : {}) };
  // Each consumer may hold a libuv thread while it waits on Kafka (see npm run consumers).
  if (name === 'consumers' && !env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = String(Math.max(16, config.pool.size + 8));
  // Own process group: a terminal's Ctrl-C reaches only this process, which stops the children in order.
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: 'inherit', detached: true });
  children.set(name, child);
  child.on('exit', (code, signal) => {
    children.delete(name);
    const status = code ?? (signal ? 128 : 1);
    if (!firstExit && !stopping) {
      firstExit = { name, code: status === 0 ? 1 : status };
      log.error(`${name} exited on its own (${signal ?? `code ${code}`}); stopping the other process`);
      stopAll('SIGTERM');
    }
    if (children.size === 0) finish();
  });
  return child;
}

function stopAll(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children.values()) child.kill(signal);
}

async function finish(): Promise<void> {
  const code = firstExit?.code ?? 0;
  log.info(firstExit ? `stopped: ${firstExit.name} failed with exit code ${firstExit.code}` : 'source and consumers stopped cleanly');
  await flushLogger(logger);
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      log.warn(`${signal} again: killing ${[...children.keys()].join(' and ')}`);
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
