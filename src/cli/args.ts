import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

/** node:util's parser in strict mode, with its errors turned into one-line usage errors. */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
): ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(`${why}. Usage: ${usage}`);
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
