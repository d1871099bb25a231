import winston from 'winston';

export type Logger = winston.Logger;

/**
 * JSON lines by default (for log shippers); readable lines when stdout is a terminal.
 * Components take a child logger (`logger.child({ component: 'source' })`) instead of importing one.
 */
export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const format = pretty
    ? winston.format.combine(
        winston.format.errors({ stack: true }),
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.printf(({ timestamp, level, message, component, stack, ...rest }) => {
          const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          const where = component ? ` [${String(component)}]` : '';
          return `${String(timestamp)} ${level}${where} ${String(message)}${extra}${stack ? `\n${String(stack)}` : ''}`;
        }),
      )
    : winston.format.combine(winston.format.errors({ stack: true }), winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    format,
    transports: [new winston.transports.Console()],
  });
}

/** Resolves once every line has been written, so nothing is lost on exit. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.on('finish', () => resolve());
    logger.end();
  });
}
