/**
 * npm run source [-- --config FILE] [--print-config]: the binlog source daemon. Runs until SIGTERM/SIGINT,
 * then commits what is whole and exits 0.
 * Exit codes: 2 bad configuration, 3 fenced by a newer instance with the same SOURCE_ID, 4 a table change the
 * value schema cannot follow, 1 anything else.
 */
import { Registry } from '../codec/registry.js';
import { exitCodeFor, PipelineError } from '../errors.js';
import { flushLogger } from '../log.js';
import { mysqlOptions } from '../mysql.js';
import { registerBuildInfo } from '../ops/build-info.js';
import { startOpsServer, type OpsServer } from '../ops/server.js';
import { createSourceMetrics } from '../source/metrics.js';
import { SourceDaemon } from '../source/daemon.js';
import { sizeHeap } from '../heap.js';
import { daemonArgs, setup, stopWithParent } from './setup.js';

sizeHeap('source');
const args = daemonArgs('source');
const { config, logger } = setup('source', args);
const metrics = createSourceMetrics();
registerBuildInfo(metrics.registry);
const daemon = new SourceDaemon({ config, mysql: mysqlOptions(config, 'pipeline'), registry: new Registry(config.registry), logger, metrics });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: finishing the open transaction and stopping`, { component: 'source' });
    daemon.requestStop();
  });
}
stopWithParent(() => daemon.requestStop(), logger.child({ component: 'source' }));

let ops: OpsServer | undefined;
try {
  if (config.ops.sourceMetricsPort !== null) {
    ops = await startOpsServer({
      host: config.ops.metricsHost, port: config.ops.sourceMetricsPort, portSetting: 'SOURCE_METRICS_PORT',
      registry: metrics.registry, notReady: () => daemon.notReady(), readyGauge: metrics.ready, logger: logger.child({ component: 'source' }),
    });
  }
  logger.info(`source ${config.source.id}: ${config.mysql.database}.${config.mysql.table} → ${config.kafka.topic}`, {
    component: 'source', brokers: config.kafka.brokers, registry: config.registry.url, mysql: `${config.mysql.host}:${config.mysql.port}`,
  });
  await daemon.run();
  process.exitCode = 0;
} catch (err) {
  logger.error(err instanceof PipelineError ? err.message : String((err as Error)?.stack ?? err), {
    component: 'source', code: (err as PipelineError).code,
  });
  process.exitCode = exitCodeFor(err);
}
await ops?.close();
await flushLogger(logger);
// librdkafka and zongji may keep handles open after a failure; the outcome is decided, so leave.
process.exit(process.exitCode);
