/**
 * The benchmark's Python environment: a venv in .bench/venv with bench/peers/python/requirements.txt installed,
 * made again whenever that file changes (its sha1 is stamped in the venv).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function ensurePythonEnv(log: (line: string) => void): Promise<string> {
  const venv = join(ROOT, '.bench/venv');
  const python = join(venv, 'bin/python');
  const requirements = join(ROOT, 'bench/peers/python/requirements.txt');
  const stamp = join(venv, '.requirements.sha1');
  const installLog = join(ROOT, '.bench/venv-install.log');
  const sha1 = createHash('sha1').update(readFileSync(requirements)).digest('hex');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sha1) {
    log(`python: ${venv} is up to date`);
    return python;
  }
  const started = performance.now();
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  const out = openSync(installLog, 'w');
  try {
    // --clear: a changed requirements file gets a fresh venv, so nothing of the old pins lingers.
    log(`python: creating ${venv}`);
    await run(process.env.BENCH_PYTHON ?? 'python3', ['-m', 'venv', '--clear', venv], out, installLog);
    log(`python: installing ${requirements} (output in ${installLog})`);
    // Wheels only: a missing wheel fails in seconds instead of compiling numpy or librdkafka for minutes.
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--only-binary', ':all:', '-r', requirements], out, installLog);
  } finally {
    closeSync(out);
  }
  writeFileSync(stamp, `${sha1}\n`);
  log(`python: ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return python;
}

function run(cmd: string, args: string[], out: number, logPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', out, out] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n');
      reject(new Error(`${cmd} ${args.join(' ')} exited ${code}; see ${logPath}:\n${tail}`));
    });
  });
}
