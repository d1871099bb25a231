import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { formatHelp, usageLine, type CommandSpec } from './commands.js';
import { versionText } from './version.js';

/**
 * node:util's parser in strict mode, with its errors turned into one-line usage errors. Given the command's
 * spec, `--help`/`-h` prints its help and `--version` the version, each to stdout with exit 0, whatever else the
 * command line holds.
 */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string | CommandSpec,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values'] {
  if (typeof usage !== 'string') {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(formatHelp(usage));
      process.exit(0);
    }
    if (argv.includes('--version')) {
      process.stdout.write(versionText());
      process.exit(0);
    }
  }
  const line = typeof usage === 'string' ? usage : usageLine(usage);
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    // Node's own wording for `--rows -5` ("argument is ambiguous") is cut short and names no fix.
    const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(message);
    const why = ambiguous ? `${ambiguous[1]} takes a value that starts with "-": write it as ${ambiguous[1]}=<value>` : message.replace(/\.+$/, '');
    throw new UsageError(`${why}. Usage: ${line}`);
  }
}

/** A non-negative whole number argument, or a usage error that names the flag. */
export function wholeNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag} ${JSON.stringify(value)} is not a whole number`);
  return Number(value);
}

/** An ISO-8601 time argument, or a usage error that names the flag. */
export function isoTime(flag: string, value: string): Date {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(ms)) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not an ISO time such as 2026-01-31T12:00:00Z`);
  }
  return new Date(ms);
}
