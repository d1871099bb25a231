import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../../src/log.js';
import { OutputInUseError, OutputLock } from '../../../src/pool/output-lock.js';

const log = createLogger({ level: 'error', format: 'json' });
const timing = { heartbeatMs: 100, staleMs: 600 };
const otherHost = (path: string) => writeFileSync(path, `${JSON.stringify({ host: 'elsewhere', pid: 1, since: '2026-01-01T00:00:00Z' })}\n`);

test('a lock refreshed on another host is not taken over, however old its mtime looks by this clock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, '.pool.lock');
  otherHost(path);
  let skewed = Date.parse('2020-01-01T00:00:00Z') / 1000;
  const refresher = setInterval(() => utimesSync(path, skewed, ++skewed), 50);
  try {
    await assert.rejects(OutputLock.acquire(dir, '', log, undefined, timing), OutputInUseError);
  } finally {
    clearInterval(refresher);
  }
});

test('a lock left unrefreshed is taken over, even with an mtime in the future by this clock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const path = join(dir, '.pool.lock');
  otherHost(path);
  const future = Date.now() / 1000 + 3600;
  utimesSync(path, future, future);
  const started = performance.now();
  const lock = await OutputLock.acquire(dir, '', log, undefined, timing);
  assert.ok(performance.now() - started >= timing.staleMs, 'taken only after it stayed unchanged for the stale time');
  await lock.release();
});

test('a holder whose lock file is taken over by another host is told who holds it now', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  const lost: string[] = [];
  const lock = await OutputLock.acquire(dir, 'a', log, (why) => lost.push(why), timing);
  otherHost(join(dir, '.pool-a.lock'));
  await new Promise((r) => setTimeout(r, 350));
  assert.match(lost[0] ?? '', /now held by pid 1 on elsewhere: another supervisor took these files over/);
  await lock.release();
});
