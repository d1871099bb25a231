/**
 * The output disk filling up: a 4 MiB tmpfs as OUTPUT_DIR. The pool names the full disk, keeps its position, and
 * carries on once a loader takes closed segments away; across the two places every change is there once.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isClosedOutput } from '../../src/pool/segment-name.js';
import { record, tally } from '../faults/report.js';
import { adminConnection, uniqueName } from './helpers.js';
import { assertEachChangeOnce, countLines, readOutput, startPool, stopPool } from './pool-helpers.js';
import { changesOnly, isolatedSource, readTopic, startSource, stopSource, waitCaughtUp, waitFor } from './source-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = process.getuid?.() === 0;

test('a full output disk: the pool says so, loses nothing, and goes on once a loader frees space', {
  timeout: 600_000, skip: isRoot ? false : 'mounting a small tmpfs needs root',
}, async (t) => {
  const env = isolatedSource();
  const admin = await adminConnection();
  const source = startSource(env);
  t.after(() => stopSource(source));
  await waitFor('the daemon to start streaming', async () => source.output().includes('starting at the binlog'), 60_000);
  await new Promise<void>((resolve, reject) => {
    const gen = spawn(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', '--rows', '12000', '--updates', '8000', '--tx-size', '200'],
      { cwd: root, stdio: 'ignore' });
    gen.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited ${code}`))));
  });
  await waitCaughtUp(env, admin, 300_000);
  await admin.end();
  const expected = new Set(changesOnly(await readTopic(env.KAFKA_TOPIC)).map((l) => `${l.partition}:${l.offset}`));

  const disk = mkdtempSync(join(tmpdir(), 'full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', disk]);
  t.after(() => { try { execFileSync('umount', ['-l', disk]); } catch { /* already gone */ } });
  const loaded = mkdtempSync(join(tmpdir(), 'loaded-'));
  const poolEnv = { KAFKA_TOPIC: env.KAFKA_TOPIC, KAFKA_GROUP: uniqueName('full'), OUTPUT_DIR: disk, OUTPUT_SEGMENT_MIB: '1', POOL_BATCH: '200', POOL_SIZE: '3' };
  const pool = startPool(poolEnv);
  t.after(() => stopPool(pool, 'SIGKILL'));
  await waitFor('the full disk to be named', async () => /ENOSPC\); the disk is full: free space there/.test(pool.output()), 120_000);
  assert.equal(pool.proc.exitCode, null, 'the pool keeps running, waiting for space');
  assert.ok(countLines(disk) < expected.size, 'the disk filled before every change was written');

  // A loader takes closed segments away (copy, then delete), as the README says it may.
  const load = () => {
    for (const f of readdirSync(disk).filter(isClosedOutput)) {
      copyFileSync(join(disk, f), join(loaded, f));
      unlinkSync(join(disk, f));
    }
  };
  await waitFor(`${expected.size} lines across the disk and the loader`, async () => {
    load();
    return countLines(disk) + countLines(loaded) >= expected.size;
  }, 180_000).catch((err: Error) => { throw new Error(`${err.message}\n${pool.output().slice(-3000)}`); });
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await stopPool(pool), 0, pool.output().slice(-1500));
  load();
  // What is left open on the tmpfs is complete too: take it, as a loader would after the pool stopped.
  mkdirSync(join(loaded, 'open'));
  for (const f of readdirSync(disk).filter((n) => n.endsWith('.open'))) copyFileSync(join(disk, f), join(loaded, 'open', f.replace(/\.open$/, '')));
  const all = [...readOutput(loaded), ...readOutput(join(loaded, 'open'))];
  record({
    suite: 'service faults', fault: 'the output disk full (a 4 MiB tmpfs), a loader taking closed segments away',
    outcome: 'each consumer names the full disk (ENOSPC) in one line, closes the segment in hand and retries; it goes on as space is freed',
    ...tally(all.map((l) => `${l.line._meta.partition}:${l.line._meta.offset}`), expected.size),
  });
  assertEachChangeOnce(all, expected);
});
