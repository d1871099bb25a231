#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * `cdc <command> [options]`: the one entry point of the compiled CLI (package.json "bin"). Each command is its
 * own module under src/cli/, run as if it had been started directly; `cdc stack …` runs the local stack's scripts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMMANDS, formatOverview } from './commands.js';
import { versionText } from './version.js';

const [command, ...rest] = process.argv.slice(2);

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  // node-rdkafka is built for the Node that installed it: an older one on PATH cannot even load it.
  process.stderr.write(`cdc: needs Node 22 or later, this is ${process.version}; run it through npm (npm run <command>), ` +
    'or put the runtime scripts/install.sh fetched first in PATH: export PATH="$PWD/.runtime/node/bin:$PATH"\n');
  process.exit(2);
}

if (command === '--help' || command === '-h') {
  process.stdout.write(formatOverview());
  process.exit(0);
}
if (command === '--version') {
  process.stdout.write(versionText());
  process.exit(0);
}
if (command === undefined || !COMMANDS.some((c) => c.name === command)) {
  process.stderr.write(`cdc: ${command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`}; ` +
    `one of ${COMMANDS.map((c) => c.name).join(', ')} (cdc --help)\n`);
  process.exit(2);
}

if (command === 'stack') {
  const [action, ...args] = rest;
  const actions = ['up', 'down', 'status', 'env', 'sql'];
  if (action === '--help' || action === '-h' || action === undefined || !actions.includes(action)) {
    const out = action === '--help' || action === '-h' ? process.stdout : process.stderr;
    out.write(`Usage: cdc stack ${actions.join('|')} [service …] [--purge]  (services: mariadb, kafka, registry)\n`);
    process.exit(out === process.stdout ? 0 : 2);
  }
  const script = fileURLToPath(new URL(`../../scripts/stack/${action}.sh`, import.meta.url));
  const result = spawnSync('bash', [script, ...args], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

// The command module reads process.argv.slice(2) as its own arguments.
process.argv.splice(2, 1);
// The extension this file runs under: .js compiled, .ts through tsx in development.
const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
await import(`./${command}.${ext}`);
