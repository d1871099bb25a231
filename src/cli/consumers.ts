/**
 * npm run consumers: the consumer supervisor. SIGTERM/SIGINT: finish the batch in hand, fsync, commit,
 * disconnect each consumer once, exit 0. SIGUSR2: recycle one consumer (it stops as if it had crashed).
 */
import { Registry } from '../codec/registry.js';
import { loadConfig } from '../config.js';
import { exitCodeFor, PipelineError } from '../errors.js';
import { createLogger, flushLogger } from '../log.js';
import { Supervisor } from '../pool/supervisor.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`consumers: ${(err as Error).message}\n`);
  process.exit(exitCodeFor(err));
}
const logger = createLogger();
const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
if (threads < config.pool.size + 4) {
  // Each consumer can hold a libuv thread while it waits on Kafka; file I/O needs threads of its own.
  logger.warn(`UV_THREADPOOL_SIZE=${threads} is small for ${config.pool.size} consumers; start with UV_THREADPOOL_SIZE=${config.pool.size + 8} (npm run consumers does)`);
}
const supervisor = new Supervisor({ config, registry: new Registry(config.registry.url), logger });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: finishing the batches in hand and stopping`);
    supervisor.requestStop();
  });
}
process.on('SIGUSR2', () => supervisor.recycleOne());

try {
  logger.info(`pool of ${config.pool.size} consumers in group ${config.pool.group}: ${config.kafka.topic} → ${config.pool.outputDir}`, {
    discount: config.pool.discount, instance: config.pool.instance || undefined,
  });
  await supervisor.run();
  process.exitCode = 0;
} catch (err) {
  logger.error(err instanceof PipelineError ? err.message : String((err as Error)?.stack ?? err));
  process.exitCode = exitCodeFor(err);
}
await flushLogger(logger);
process.exit(process.exitCode);
