/**
 * npm run verify [-- --table db.table] [--repair] [--wait S] [--json]
 * MySQL against the output files, per captured table. Exit 0 when every table is equal, 1 when one is not (or the
 * files never became complete up to the snapshot), 2 for bad arguments or settings.
 */
import { Registry } from '../codec/registry.js';
import { UsageError } from '../errors.js';
import { flushLogger } from '../log.js';
import { mysqlOptions } from '../mysql.js';
import { runVerify, type VerifyReport } from '../verify/run.js';
import { parseCommandLine, wholeNumber } from './args.js';
import { commandSpec } from './commands.js';
import { createProgress, type Progress } from './progress.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';

const SPEC = commandSpec('verify');

export function formatReport(r: VerifyReport): string {
  const out = [`compared MySQL at ${r.snapshot.file}:${r.snapshot.pos} once the files were complete up to it ` +
    `(completeness mark ${r.mark ? `${r.mark.binlog_file}:${r.mark.binlog_pos}` : 'none'}); keys found different were looked at again from a later snapshot`];
  for (const t of r.tables) {
    if (t.error) {
      out.push(`${t.table}  not compared: ${t.error}`);
      continue;
    }
    const ok = t.missing + t.extra + t.differing + t.duplicated === 0;
    out.push(`${ok ? 'equal  ' : 'DIFFERS'} ${t.table}  rows ${t.rows}, equal ${t.equal}, missing in files ${t.missing}, extra in files ${t.extra}, ` +
      `differing ${t.differing}, duplicated lines ${t.duplicated} (${t.lines} lines read${t.settled ? `, ${t.settled} changed while compared` : ''})` +
      `${t.repaired !== undefined ? `; repaired ${t.repaired} rows` : ''}`);
    if (t.samples.missing.length) out.push(`  missing: ${t.samples.missing.join(' ')}`);
    if (t.samples.extra.length) out.push(`  extra: ${t.samples.extra.join(' ')}`);
    for (const d of t.samples.differing) out.push(`  differing: ${d.key} in ${d.columns.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

await runCommand('verify', async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    table: { type: 'string' }, repair: { type: 'boolean' }, wait: { type: 'string' }, chunk: { type: 'string' }, json: { type: 'boolean' }, ...CONFIG_OPTIONS,
  }, SPEC);
  if (args.table !== undefined && !/^[^.\s]+\.[^.\s]+$/.test(args.table)) throw new UsageError(`--table ${args.table}: expected db.table`);
  const wait = wholeNumber('wait', args.wait, 300);
  const chunk = wholeNumber('chunk', args.chunk, 10_000);
  if (chunk < 1 || chunk > 1_000_000) throw new UsageError('--chunk must be between 1 and 1000000');
  const { config, logger } = configure(args);
  const bars = new Map<string, Progress>();
  const counts = new Map<string, number>();
  try {
    const report = await runVerify({ config, mysql: mysqlOptions(config, 'pipeline'), registry: new Registry(config.registry), logger }, {
      ...(args.table ? { table: args.table } : {}), waitMs: wait * 1000, repair: args.repair === true, chunk,
      onRows: (table, rows) => {
        let bar = bars.get(table);
        if (!bar) {
          bar = createProgress({ label: `reading ${table}`, total: 0, log: (line) => logger.info(line, { component: 'verify' }) });
          bars.set(table, bar);
        }
        counts.set(table, rows);
        bar.update(rows);
      },
    });
    for (const [table, bar] of bars) bar.finish(counts.get(table) ?? 0);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.equal ? 0 : 1;
  } finally {
    await flushLogger(logger);
  }
});
process.exit(process.exitCode ?? 0);
