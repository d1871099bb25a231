/**
 * npm run backfill [-- --since <ISO time> | --full] [--table db.table] [--chunk N]
 * Loads existing rows of the captured tables onto their topics as `r` events; Ctrl-C stops after the chunk in hand and a rerun with the
 * same arguments resumes there.
 */
import { Registry } from '../codec/registry.js';
import { UsageError } from '../errors.js';
import { flushLogger } from '../log.js';
import { mysqlOptions } from '../mysql.js';
import { runBackfill } from '../source/backfill.js';
import { sizeHeap } from '../heap.js';
import { isoTime, parseCommandLine, wholeNumber } from './args.js';
import { commandSpec, usageLine } from './commands.js';
import { createProgress } from './progress.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';

const SPEC = commandSpec('backfill');

export function parseSince(value: string | undefined, full: boolean | undefined): Date | null {
  if (value !== undefined && full) throw new UsageError(`--since and --full exclude each other. Usage: ${usageLine(SPEC)}`);
  return value === undefined ? null : isoTime('--since', value);
}

await runCommand('backfill', async () => {
  sizeHeap('source');
  const args = parseCommandLine(process.argv.slice(2), {
    since: { type: 'string' }, full: { type: 'boolean' }, chunk: { type: 'string' }, table: { type: 'string' }, ...CONFIG_OPTIONS,
  }, SPEC);
  const since = parseSince(args.since, args.full);
  const chunk = wholeNumber('chunk', args.chunk, 5000);
  if (chunk < 1 || chunk > 1_000_000) throw new UsageError('--chunk must be between 1 and 1000000');
  if (args.table !== undefined && !/^[^.\s]+\.[^.\s]+$/.test(args.table)) throw new UsageError(`--table ${args.table}: expected db.table`);
  const { config, logger } = configure(args);
  let stop = false;
  process.once('SIGINT', () => { stop = true; logger.info('SIGINT: stopping after the chunk in hand; rerun to resume'); });
  process.once('SIGTERM', () => { stop = true; });
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    const result = await runBackfill({
      config, mysql: mysqlOptions(config, 'pipeline'), registry: new Registry(config.registry), logger, since, chunk, ...(args.table ? { table: args.table } : {}),
      onProgress: (done, total) => {
        progress ??= createProgress({ label: 'backfill', total, log: (line) => logger.info(line, { component: 'backfill' }) });
        progress.update(done);
      },
      shouldStop: () => stop,
    });
    progress?.finish(result.rows);
    logger.info(result.stopped
      ? `backfill stopped after ${result.rows} rows; run the same command again to resume`
      : `backfill done: ${result.rows} rows${result.resumed ? ' (resumed)' : ''} of ${result.tables.join(', ') || 'no table'}`);
    return result.stopped ? 130 : 0;
  } finally {
    await flushLogger(logger);
  }
});
process.exit(process.exitCode ?? 0);
