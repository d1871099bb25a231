/** Replay is exactly-once like the live pool: kill -9 mid-replay, rerun with the same --output and --group. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { adminConnection, uniqueName } from './helpers.js';
import { countLines, readOutput } from './pool-helpers.js';
import { changesOnly, isolatedSource, readTopic, startSource, stopSource, waitCaughtUp, waitFor } from './source-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('kill -9 mid-replay and rerun into the same output: every change once', { timeout: 600_000 }, async () => {
  const env = isolatedSource();
  const admin = await adminConnection();
  const source = startSource(env);
  await waitFor('the daemon to start streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  const gen = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '20000', '--updates', '20000', '--tx-size', '200'], { cwd: root, stdio: 'ignore' });
  assert.equal(await new Promise((resolve) => gen.on('exit', resolve)), 0);
  await waitCaughtUp(env, admin);
  await stopSource(source);
  await admin.end();
  const expected = new Set(changesOnly(await readTopic(env.KAFKA_TOPIC)).map((l) => `${l.partition}:${l.offset}`));

  const out = mkdtempSync(join(tmpdir(), 'replay-crash-'));
  const args = ['--import', 'tsx', 'src/cli/replay.ts', '--from', 'earliest', '--output', out, '--group', uniqueName('replay')];
  // Small batches make many fsync + commit rounds, so the kill lands mid-run.
  const runEnv = { ...process.env, ...env, POOL_BATCH: '50' };
  const first = spawn(process.execPath, args, { cwd: root, env: runEnv, stdio: 'ignore' });
  await waitFor('the replay to be under way', async () => countLines(out) > 3000, 120_000);
  await sleep(Math.random() * 500);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.on('exit', resolve));
  const atKill = countLines(out);
  assert.ok(atKill < expected.size, `killed at ${atKill} of ${expected.size}`);

  const second = spawn(process.execPath, args, { cwd: root, env: runEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  second.stdout.on('data', (d) => { text += d; });
  second.stderr.on('data', (d) => { text += d; });
  assert.equal(await new Promise((resolve) => second.on('exit', resolve)), 0, text);
  const seen = new Set<string>();
  for (const { line } of readOutput(out)) {
    const k = `${line._meta.partition}:${line._meta.offset}`;
    assert.ok(!seen.has(k), `offset ${k} written twice`);
    seen.add(k);
  }
  assert.equal(seen.size, expected.size, `${expected.size - seen.size} changes missing after the rerun`);
});
