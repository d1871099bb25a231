/**
 * What every long-running command does first: read the settings (environment over --config file over
 * defaults), print them on --print-config, check them, and build the logger that scrubs their secrets.
 * A bad setting ends the process here with one line naming the key, exit 2.
 */
import { parseSettings, resolveSettings, secretValues, type Config, type ResolvedSettings } from '../config.js';
import { formatSettings } from '../config/print.js';
import { exitCodeFor } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { parseCommandLine } from './args.js';
import { commandSpec } from './commands.js';

export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  'print-config': { type: 'boolean' },
} as const;

export interface Setup {
  config: Config;
  settings: ResolvedSettings;
  logger: Logger;
}

export type ConfigArgs = { config?: string | undefined; 'print-config'?: boolean | undefined };

/** Reads and checks the settings; throws a ConfigError for a bad one. --print-config prints them and exits 0. */
export function configure(args: ConfigArgs): Setup {
  const settings = resolveSettings(process.env, args.config ?? (process.env.CDC_CONFIG || undefined));
  if (args['print-config']) process.stdout.write(formatSettings(settings));
  const config = parseSettings(settings.values);
  if (args['print-config']) process.exit(0);
  const logger = createLogger({ level: config.ops.logLevel, format: config.ops.logFormat, secrets: secretValues(settings.values) });
  return { config, settings, logger };
}

/** configure() for a daemon's entry point: a bad setting ends the process with one line and its exit code. */
export function setup(name: string, args: ConfigArgs): Setup {
  try {
    return configure(args);
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    process.exit(exitCodeFor(err));
  }
}

/**
 * Under `npm start` a daemon has an IPC channel to it; the channel closing means npm start is gone (killed,
 * crashed): stop as on SIGTERM rather than run on unsupervised.
 */
export function stopWithParent(stop: () => void, logger: Logger): void {
  if (!process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => {
    logger.warn('npm start is gone: stopping');
    stop();
  });
}

/** A daemon's command line: only --config and --print-config (and --help, --version); anything else is exit 2. */
export function daemonArgs(name: string): ConfigArgs {
  try {
    return parseCommandLine(process.argv.slice(2), CONFIG_OPTIONS, commandSpec(name));
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    process.exit(exitCodeFor(err));
  }
}
