/** Running the real consumer supervisor as a child process and reading its output directory. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseSegment } from '../../src/pool/segment-name.js';
import type { OutputLine } from '../../src/pool/transform.js';
import { startCommand, stopCommand, type Running } from './process.js';

export type RunningPool = Running;

export function startPool(env: Record<string, string>): RunningPool {
  return startCommand('src/cli/consumers.ts', { UV_THREADPOOL_SIZE: '16', ...env });
}

export const stopPool = stopCommand;

export interface FileLine {
  /** Which writer wrote it: `consumer-3`, `replay` (the segment's base name). */
  file: string;
  line: OutputLine;
}

/** Output files of one kind, open or closed, plain or gzip (not a compression under way). */
function outputFiles(dir: string, kind: 'lines' | 'dead'): string[] {
  return readdirSync(dir).filter((f) => {
    const s = parseSegment(f);
    const dead = s ? s.dead : f.endsWith('.deadletter.jsonl');
    return (s ? s.state === 'open' || s.state === 'closed' || s.state === 'gz' : f.endsWith('.jsonl')) && dead === (kind === 'dead');
  }).sort();
}

function readText(path: string): Buffer {
  const raw = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(raw) : raw;
}

/** Every complete line of every output file (a torn last line is left out, as the pool's repair would). */
export function readOutput(dir: string, kind: 'lines' | 'dead' = 'lines'): FileLine[] {
  if (!existsSync(dir)) return [];
  const out: FileLine[] = [];
  for (const file of outputFiles(dir, kind)) {
    const text = readText(join(dir, file)).toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const writer = parseSegment(file)?.base ?? file.replace(/(\.deadletter)?\.jsonl$/, '');
    for (const l of complete.split('\n')) if (l) out.push({ file: writer, line: JSON.parse(l) as OutputLine });
  }
  return out;
}

/** Complete lines in the output files, counted without parsing them. */
export function countLines(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const file of outputFiles(dir, 'lines')) {
    // A segment may be renamed between the listing and the read: it is then read under its new name next time.
    let buf: Buffer;
    try {
      buf = readText(join(dir, file));
    } catch {
      return countLines(dir);
    }
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Every change on the topic (`partition:offset`) is in exactly one line, and every line is such a change. */
export function assertEachChangeOnce(lines: FileLine[], expected: Set<string>): void {
  const seen = new Set<string>();
  for (const { line } of lines) {
    const k = `${line._meta.partition}:${line._meta.offset}`;
    assert.ok(!seen.has(k), `offset ${k} written twice`);
    assert.ok(expected.has(k), `offset ${k} is not a change on the topic`);
    seen.add(k);
  }
  const missing = [...expected].filter((k) => !seen.has(k));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} offsets missing`);
}
