/**
 * cdc move-source --to head|<file>:<pos>|snapshot|watermark:<ISO> [--dry-run] [--force]: moves the source's
 * committed position on purpose, while its daemon is stopped. Exit 0 moved (or planned), 2 bad arguments or
 * settings, 3 refused because a binlog reader of the pipeline's account is connected (a running daemon).
 */
import { hostname } from 'node:os';
import { PipelineError } from '../errors.js';
import { mysqlOptions } from '../mysql.js';
import { applyMove, parseMoveTarget, planMove } from '../source/move.js';
import type { Checkpoint } from '../source/checkpoint.js';
import { parseCommandLine } from './args.js';
import { commandSpec } from './commands.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';

/** A source daemon is still reading the binlog: moving under it would be undone by its next commit. Exit code 3. */
class SourceRunningError extends PipelineError {
  override get exitCode(): number {
    return 3;
  }
}

const describe = (c: Checkpoint | undefined) => !c ? 'none (the source has not committed anything)'
  : `${c.file}:${c.pos}${c.gtid ? ` (gtid ${c.gtid})` : ''}${c.snapshot ? `, then a snapshot ${c.snapshot.since ? `of rows changed since ${c.snapshot.since}` : 'of all rows'}` : ''}`;

await runCommand('move-source', async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    to: { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, ...CONFIG_OPTIONS,
  }, commandSpec('move-source'));
  const target = parseMoveTarget(args.to);
  const { config } = configure(args);
  const plan = await planMove(config, mysqlOptions(config, 'pipeline'), target, `${hostname()}:${process.pid}:move-source`);
  process.stdout.write(`source ${config.source.id}\n  now     ${describe(plan.from)}\n  moved   ${describe(plan.to)}\n`);
  if (plan.readers.length > 0 && !args.force) {
    throw new SourceRunningError(`a binlog reader of ${config.mysql.user} is connected (${plan.readers.join('; ')}): stop the source daemon first ` +
      '(or pass --force: the daemon is fenced and exits 3)');
  }
  if (args['dry-run']) {
    process.stdout.write('dry run: nothing written\n');
    return 0;
  }
  await applyMove(config, plan);
  process.stdout.write('done: the source daemon starts there\n');
  return 0;
});
process.exit(process.exitCode ?? 0);
