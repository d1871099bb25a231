/** Running the real consumer supervisor as a child process and reading its output directory. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputLine } from '../../src/pool/transform.js';
import { startCommand, stopCommand, type Running } from './process.js';

export type RunningPool = Running;

export function startPool(env: Record<string, string>): RunningPool {
  return startCommand('src/cli/consumers.ts', { UV_THREADPOOL_SIZE: '16', ...env });
}

export const stopPool = stopCommand;

export interface FileLine {
  file: string;
  line: OutputLine;
}

/** Every complete line of every output file (a torn last line is left out, as the pool's repair would). */
export function readOutput(dir: string, kind: 'lines' | 'dead' = 'lines'): FileLine[] {
  if (!existsSync(dir)) return [];
  const out: FileLine[] = [];
  const suffix = kind === 'lines' ? /(?<!\.deadletter)\.jsonl$/ : /\.deadletter\.jsonl$/;
  for (const file of readdirSync(dir).filter((f) => suffix.test(f)).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const l of complete.split('\n')) if (l) out.push({ file, line: JSON.parse(l) as OutputLine });
  }
  return out;
}

/** Complete lines in the output files, counted without parsing them. */
export function countLines(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const file of readdirSync(dir).filter((f) => /(?<!\.deadletter)\.jsonl$/.test(f))) {
    const buf = readFileSync(join(dir, file));
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}
