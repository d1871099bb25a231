/**
 * cdc check [--json] [--config FILE]: the settings, the database, Kafka, the registry and the output directory,
 * each with a verdict, without starting anything. Exit 0 when all are fine, 1 when one is not, 2 for bad settings.
 */
import { mysqlOptions } from '../mysql.js';
import { formatVerdicts, runChecks } from '../ops/check.js';
import { parseCommandLine } from './args.js';
import { commandSpec } from './commands.js';
import { runCommand } from './run.js';
import { CONFIG_OPTIONS, configure } from './setup.js';

await runCommand('check', async () => {
  const args = parseCommandLine(process.argv.slice(2), { json: { type: 'boolean' }, ...CONFIG_OPTIONS }, commandSpec('check'));
  const { config } = configure(args);
  const verdicts = await runChecks(config, { ...mysqlOptions(config, 'pipeline'), connectTimeout: 5000 });
  process.stdout.write(args.json ? `${JSON.stringify({ settings: 'ok', verdicts }, null, 2)}\n` : `ok    settings  read and checked\n${formatVerdicts(verdicts)}`);
  return verdicts.every((v) => v.ok) ? 0 : 1;
});
process.exit(process.exitCode ?? 0);
