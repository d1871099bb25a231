/**
 * The shape every command shares: run, and on failure print one line saying what was wrong and exit with the
 * error class's code (2 for bad config or arguments).
 */
import { exitCodeFor, PipelineError } from '../errors.js';

export async function runCommand(name: string, main: () => Promise<number | void>): Promise<void> {
  try {
    const code = await main();
    process.exitCode = code ?? 0;
  } catch (err) {
    const message = err instanceof PipelineError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`${name}: ${message}\n`);
    process.exitCode = exitCodeFor(err);
  }
}
