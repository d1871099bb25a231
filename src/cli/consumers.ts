/**
 * npm run consumers [-- --config FILE] [--print-config]: the consumer supervisor. SIGTERM/SIGINT: finish the
 * batch in hand, fsync, commit, disconnect each consumer once, exit 0. SIGUSR2: recycle one consumer (it stops
 * as if it had crashed).
 */
import { Registry } from '../codec/registry.js';
import { exitCodeFor, PipelineError } from '../errors.js';
import { sizeHeap } from '../heap.js';
import { flushLogger } from '../log.js';
import { createPoolMetrics } from '../pool/metrics.js';
import { registerBuildInfo } from '../ops/build-info.js';
import { startOpsServer, type OpsServer } from '../ops/server.js';
import { Supervisor } from '../pool/supervisor.js';
import { daemonArgs, setup, stopWithParent } from './setup.js';

sizeHeap('pool');
const args = daemonArgs('consumers');
const { config, logger } = setup('consumers', args);
const log = logger.child({ component: 'pool' });
const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
if (threads < config.pool.size + 4) {
  // Each consumer can hold a libuv thread while it waits on Kafka; file I/O needs threads of its own.
  log.warn(`UV_THREADPOOL_SIZE=${threads} is small for ${config.pool.size} consumers; start with UV_THREADPOOL_SIZE=${config.pool.size + 8} (npm run consumers does)`);
}
const metrics = createPoolMetrics();
registerBuildInfo(metrics.registry);
const supervisor = new Supervisor({ config, registry: new Registry(config.registry), logger, metrics });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info(`${signal}: finishing the batches in hand and stopping`);
    supervisor.requestStop();
  });
}
process.on('SIGUSR2', () => supervisor.recycleOne());
stopWithParent(() => supervisor.requestStop(), log);

let ops: OpsServer | undefined;
try {
  if (config.ops.poolMetricsPort !== null) {
    ops = await startOpsServer({
      host: config.ops.metricsHost, port: config.ops.poolMetricsPort, portSetting: 'POOL_METRICS_PORT',
      registry: metrics.registry, notReady: () => supervisor.notReady(), readyGauge: metrics.ready, logger: log,
    });
  }
  log.info(`pool of ${config.pool.size} consumers in group ${config.pool.group}: ${config.kafka.topic} → ${config.pool.outputDir}`, {
    discount: config.pool.discount, instance: config.pool.instance || undefined,
  });
  await supervisor.run();
  process.exitCode = 0;
} catch (err) {
  log.error(err instanceof PipelineError ? err.message : String((err as Error)?.stack ?? err), { code: (err as PipelineError).code });
  process.exitCode = exitCodeFor(err);
}
await ops?.close();
await flushLogger(logger);
process.exit(process.exitCode);
