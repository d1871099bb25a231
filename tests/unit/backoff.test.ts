import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, Pause } from '../../src/backoff.js';

test('backoff is 0.5 s at attempt 0, 4 s at attempt 3 and capped at 30 s at attempt 50, within ±25 %', () => {
  for (let i = 0; i < 200; i++) {
    const first = backoffDelay(0);
    assert.ok(first >= 375 && first <= 625, `attempt 0: ${first}`);
    const third = backoffDelay(3);
    assert.ok(third >= 3000 && third <= 5000, `attempt 3: ${third}`);
    const late = backoffDelay(50);
    assert.ok(late >= 22_500 && late <= 30_000 * 1.25, `attempt 50: ${late}`);
  }
});

test('a 30 ms pause is not cut short, and wake() ends a minute-long one within a second', async () => {
  const pause = new Pause();
  let t = performance.now();
  await pause.for(30);
  assert.ok(performance.now() - t >= 25);
  t = performance.now();
  const long = pause.for(60_000);
  setTimeout(() => pause.wake(), 10);
  await long;
  assert.ok(performance.now() - t < 1000, 'woken long before its minute');
});
