/**
 * npm run status [-- --json] [--count] [--config FILE]: where the source stands against the binlog, where the
 * group stands against the topic, and what the output files hold. Exit 0 when every part could be read, 1 when
 * a part could not (the rest is still printed), 2 for bad settings or arguments.
 */
import { mysqlOptions } from '../mysql.js';
import { formatStatus } from '../ops/status-format.js';
import { collectStatus } from '../ops/status.js';
import { parseCommandLine } from './args.js';
import { commandSpec } from './commands.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';


await runCommand('status', async () => {
  const args = parseCommandLine(process.argv.slice(2), { json: { type: 'boolean' }, count: { type: 'boolean' }, ...CONFIG_OPTIONS }, commandSpec('status'));
  const { config } = configure(args);
  const report = await collectStatus(config, mysqlOptions(config, 'pipeline'), { count: args.count ?? false });
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
  return report.capture.error || report.source.error || report.group.error || report.output.error || report.tables.some((t) => t.error) ? 1 : 0;
});
process.exit(process.exitCode ?? 0);
