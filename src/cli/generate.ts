/**
 * npm run generate -- --rows N [--updates U] [--deletes D] [--rate R] [--tx-size T] [--seed S]
 * Writes realistic catalogue changes through the real database, as the shop's application would.
 */
import mysql from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { mysqlError, mysqlOptions } from '../mysql.js';
import { prng } from '../generate/catalogue.js';
import { WorkloadPlanner } from '../generate/plan.js';
import { applyPlan, liveIds } from '../generate/writer.js';
import { UsageError } from '../errors.js';
import { parseCommandLine, wholeNumber } from './args.js';
import { commandSpec, usageLine } from './commands.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';

const SPEC = commandSpec('generate');

export async function generate(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv, {
    rows: { type: 'string' },
    updates: { type: 'string' },
    deletes: { type: 'string' },
    rate: { type: 'string' },
    'tx-size': { type: 'string' },
    seed: { type: 'string' },
    ...CONFIG_OPTIONS,
  }, SPEC);
  const rate = args.rate === undefined ? 0 : Number(args.rate.replace(/\/s$/, ''));
  if (!Number.isFinite(rate) || rate < 0) throw new UsageError(`--rate ${JSON.stringify(args.rate)} is not a number of changes per second`);
  if (args.rate !== undefined && rate === 0) throw new UsageError('--rate must be more than 0 changes per second; leave it out to write as fast as possible');
  const workload = {
    inserts: wholeNumber('rows', args.rows, 0),
    updates: wholeNumber('updates', args.updates, 0),
    deletes: wholeNumber('deletes', args.deletes, 0),
    txSize: wholeNumber('tx-size', args['tx-size'], 100),
  };
  if (workload.txSize < 1) throw new UsageError('--tx-size must be at least 1');
  if (workload.inserts + workload.updates + workload.deletes === 0) throw new UsageError(`nothing to do. Usage: ${usageLine(SPEC)}`);
  const seed = wholeNumber('seed', args.seed, Date.now() % 2 ** 31);

  const { config } = configure(args);
  // Without FOUND_ROWS, affectedRows counts rows an UPDATE really changed: exactly the binlog's row events.
  const options = mysqlOptions(config, 'admin');
  const pool = mysql.createPool({ ...options, connectionLimit: 1, flags: ['-FOUND_ROWS'] });
  try {
    // The pool has one connection: read the live ids before taking it for the writes.
    const live = await liveIds(pool, config.mysql.table).catch((err: unknown) => { throw mysqlError(err, options); });
    const planner = new WorkloadPlanner(prng(seed), workload, live);
    const conn = await pool.getConnection();
    const totals = { inserted: 0, updated: 0, deleted: 0, transactions: 0 };
    const started = performance.now();
    try {
      for (let plan = planner.next(); plan !== undefined; plan = planner.next()) {
        const applied = await applyPlan(conn, config.mysql.table, plan);
        totals.inserted += applied.inserted;
        totals.updated += applied.updated;
        totals.deleted += applied.deleted;
        totals.transactions++;
        if (rate > 0) {
          // Pace on the total so far, not per transaction, so the average rate is the one asked for.
          const due = ((totals.inserted + totals.updated + totals.deleted) / rate) * 1000;
          const ahead = due - (performance.now() - started);
          if (ahead > 0) await sleep(ahead);
        }
      }
    } finally {
      conn.release();
    }
    const seconds = (performance.now() - started) / 1000;
    const changes = totals.inserted + totals.updated + totals.deleted;
    process.stdout.write(
      `generated ${changes} changes (${totals.inserted} inserted, ${totals.updated} updated, ${totals.deleted} deleted) ` +
        `in ${totals.transactions} transactions, ${seconds.toFixed(1)} s, ${Math.round(changes / Math.max(seconds, 1e-3))} changes/s, seed ${seed}\n`,
    );
    return 0;
  } finally {
    await pool.end();
  }
}

await runCommand('generate', () => generate(process.argv.slice(2)));
