/**
 * Replay against the real stack: three batches at known times on a topic written by the real source daemon,
 * read by the live pool, then replayed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminConnection, freshId, uniqueName } from './helpers.js';
import { countLines, readOutput, startPool, stopPool } from './pool-helpers.js';
import { isolatedSource, startSource, stopSource, waitCaughtUp, waitFor, type SourceEnv } from './source-helpers.js';

let env: SourceEnv;
const batches: number[][] = [];
const times: Date[] = [];
let liveDir = '';
let liveGroup = '';

/** Runs `npm run replay` with arguments; resolves with exit code and output. */
async function runReplay(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const { spawn } = await import('node:child_process');
  const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/replay.ts', ...args], {
    cwd: new URL('../../', import.meta.url).pathname, env: { ...process.env, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
  return { code, out };
}

before(async () => {
  env = isolatedSource();
  const admin = await adminConnection();
  const source = startSource(env);
  await waitFor('the daemon to start streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  for (let b = 0; b < 3; b++) {
    await sleep(1200);
    times.push(new Date());
    await sleep(1200);
    const ids = Array.from({ length: 200 }, () => freshId());
    await admin.query('INSERT INTO product (id, name, category, price) VALUES ?', [ids.map((id) => [id, `batch-${b}`, 'Electronics', 10])]);
    await waitCaughtUp(env, admin);
    batches.push(ids);
  }
  await stopSource(source);
  await admin.end();
  liveDir = mkdtempSync(join(tmpdir(), 'live-'));
  liveGroup = uniqueName('live');
  const pool = startPool({ ...env, KAFKA_GROUP: liveGroup, OUTPUT_DIR: liveDir });
  await waitFor('the live pool to write the 600 lines', async () => countLines(liveDir) >= 600, 120_000);
  assert.equal(await stopPool(pool), 0);
});

const sortLines = (dir: string) => readOutput(dir).map((l) => JSON.stringify(l.line)).sort();

test('replay from the second batch time gives exactly batches 2 and 3, transformed like the live files', async () => {
  const out = mkdtempSync(join(tmpdir(), 'replay-'));
  const { code, out: text } = await runReplay(['--from', times[1]!.toISOString(), '--output', out]);
  assert.equal(code, 0, text);
  assert.match(text, /lines written 400, dead letters 0/);
  const ids = new Set(readOutput(out).map((l) => l.line.id));
  assert.deepEqual([...ids].sort(), [...batches[1]!, ...batches[2]!].sort());
  const live = new Set(sortLines(liveDir));
  for (const l of sortLines(out)) assert.ok(live.has(l), `replayed line differs from the live one: ${l}`);
});

test('replay from earliest equals the union of the live files, line for line', async () => {
  const out = mkdtempSync(join(tmpdir(), 'replay-'));
  const { code, out: text } = await runReplay(['--from', 'earliest', '--output', out]);
  assert.equal(code, 0, text);
  assert.deepEqual(sortLines(out), sortLines(liveDir));
});

test('--dry-run prints start, end and count per partition and writes nothing', async () => {
  const out = join(tmpdir(), uniqueName('dry'));
  const { code, out: text } = await runReplay(['--from', 'earliest', '--dry-run', '--output', out]);
  assert.equal(code, 0, text);
  assert.match(text, /partition\s+start\s+end\s+offsets/);
  assert.equal(text.match(/^\s+\d+\s+\d+\s+\d+\s+\d+\s*$/gm)?.length, 10, text);
  assert.throws(() => readdirSync(out), 'no output directory was made');
});

test('bad arguments: one line, exit 2', async () => {
  for (const [args, message] of [
    [['--from', '99:0'], /partition 99 does not exist: .* has partitions 0 to 9/],
    [['--from', '0:999999999'], /offset 999999999 of partition 0 is beyond its high-water mark/],
    [['--from', 'yesterday'], /--from "yesterday" is none of its three forms/],
    [['--from', 'earliest', '--to', 'later'], /--to "later" is not an ISO time/],
    [['--from', 'earliest', '--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    const { code, out } = await runReplay([...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${out}`);
    assert.match(out, message);
    assert.equal(out.trim().split('\n').length, 1, `one line: ${out}`);
  }
});

test('--reset-live is refused while the pool runs, naming its members; with the pool stopped it resets and the pool reprocesses', { timeout: 300_000 }, async (t) => {
  const pool = startPool({ ...env, KAFKA_GROUP: liveGroup, OUTPUT_DIR: liveDir });
  t.after(() => stopPool(pool, 'SIGKILL'));
  await waitFor('the pool to join', async () => (pool.output().match(/assigned partitions/g) ?? []).length >= 5, 60_000);
  const refused = await runReplay(['--from', 'earliest', '--group', liveGroup, '--reset-live'], { OUTPUT_DIR: liveDir });
  assert.equal(refused.code, 3, refused.out);
  assert.match(refused.out, new RegExp(`group ${liveGroup} has \\d+ active members; stop them first: .*consumer-1`));
  assert.equal(await stopPool(pool), 0);

  const before = sortLines(liveDir);
  const reset = await runReplay(['--from', 'earliest', '--group', liveGroup, '--reset-live'], { OUTPUT_DIR: liveDir });
  assert.equal(reset.code, 0, reset.out);
  assert.match(reset.out, /live files moved to/);
  assert.equal(countLines(liveDir), 0, 'the live files were archived');
  const again = startPool({ ...env, KAFKA_GROUP: liveGroup, OUTPUT_DIR: liveDir });
  t.after(() => stopPool(again, 'SIGKILL'));
  await waitFor('the pool to reprocess', async () => countLines(liveDir) >= 600, 120_000);
  assert.equal(await stopPool(again), 0);
  assert.deepEqual(sortLines(liveDir), before);
});
