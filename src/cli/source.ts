/**
 * npm run source: the binlog source daemon. Runs until SIGTERM/SIGINT, then commits what is whole and exits 0.
 * Exit codes: 2 bad configuration, 3 fenced by a newer instance with the same SOURCE_ID, 4 a table change the
 * value schema cannot follow, 1 anything else.
 */
import { Registry } from '../codec/registry.js';
import { loadConfig } from '../config.js';
import { createLogger, flushLogger } from '../log.js';
import { mysqlOptions } from '../mysql.js';
import { SourceDaemon } from '../source/daemon.js';
import { exitCodeFor, PipelineError } from '../errors.js';

const config = loadConfigOrExit();
const logger = createLogger();
const daemon = new SourceDaemon({ config, mysql: mysqlOptions(config, 'pipeline'), registry: new Registry(config.registry.url), logger });

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info(`${signal}: finishing the open transaction and stopping`);
    daemon.requestStop();
  });
}

try {
  logger.info(`source ${config.source.id}: ${config.mysql.database}.${config.mysql.table} → ${config.kafka.topic}`, {
    brokers: config.kafka.brokers, registry: config.registry.url, mysql: `${config.mysql.host}:${config.mysql.port}`,
  });
  await daemon.run();
  process.exitCode = 0;
} catch (err) {
  logger.error(err instanceof PipelineError ? err.message : String((err as Error)?.stack ?? err), { code: (err as PipelineError).code });
  process.exitCode = exitCodeFor(err);
}
await flushLogger(logger);
// librdkafka and zongji may keep handles open after a failure; the outcome is decided, so leave.
process.exit(process.exitCode);

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    process.stderr.write(`source: ${(err as Error).message}\n`);
    process.exit(exitCodeFor(err));
  }
}
