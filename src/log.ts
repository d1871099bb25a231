import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  /** json: one JSON object per line (for log shippers); pretty: readable lines; auto: pretty on a terminal. */
  format?: 'auto' | 'json' | 'pretty';
  /** Values that must never reach a log line (passwords, SASL secrets), whatever a library puts in a message. */
  secrets?: readonly string[];
  /** Where lines go; stdout by default. */
  stream?: NodeJS.WritableStream;
}

/**
 * Components take a child logger (`logger.child({ component: 'source' })`) instead of importing one.
 * Secrets are scrubbed from every field of every line as the last safety net: the code never logs them on
 * purpose, but a client library's error text could quote its configuration.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.format === 'pretty' || ((options.format ?? 'auto') === 'auto' && Boolean(process.stdout.isTTY));
  const scrub = redact(options.secrets ?? [])();
  const format = pretty
    ? winston.format.combine(
        winston.format.errors({ stack: true }),
        scrub,
        winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
        winston.format.printf(({ timestamp, level, message, component, stack, ...rest }) => {
          const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
          const where = component ? ` [${String(component)}]` : '';
          return `${String(timestamp)} ${level}${where} ${String(message)}${extra}${stack ? `\n${String(stack)}` : ''}`;
        }),
      )
    : winston.format.combine(winston.format.errors({ stack: true }), scrub, winston.format.timestamp(), winston.format.json());
  return winston.createLogger({
    level: options.level ?? 'info',
    format,
    transports: [options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console()],
  });
}

const MASK = '***';

/** Secrets shorter than this are scrubbed as whole tokens only. */
const SHORT_SECRET = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function redact(secrets: readonly string[]) {
  const needles = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  // A secret of 1-3 characters is scrubbed where it stands alone (a password "ab" is hidden in "password ab refused"
  // without turning every "about" into "***out"); a longer one wherever it appears.
  const short = needles.filter((n) => n.length < SHORT_SECRET);
  const shortPattern = short.length === 0 ? undefined
    : new RegExp(`(?<![\\p{L}\\p{N}_])(?:${short.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_])`, 'gu');
  const long = needles.filter((n) => n.length >= SHORT_SECRET);
  const clean = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const scrubbed = long.reduce((s, n) => s.split(n).join(MASK), value);
      return shortPattern ? scrubbed.replace(shortPattern, MASK) : scrubbed;
    }
    if (value instanceof Error) return clean(value.stack ?? value.message);
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
    }
    return value;
  };
  return winston.format((info) => {
    if (needles.length === 0) return info;
    for (const key of Object.keys(info)) (info as Record<string, unknown>)[key] = clean(info[key]);
    return info;
  });
}

/** Resolves once every line has been written, so nothing is lost on exit. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.on('finish', () => resolve());
    logger.end();
  });
}
