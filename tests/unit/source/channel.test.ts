import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Channel } from '../../../src/source/channel.js';

test('the channel keeps order, throttles above high and releases below low', async () => {
  const signals: boolean[] = [];
  const ch = new Channel<number>(10, 2, (pause) => signals.push(pause));
  for (let i = 0; i < 5; i++) ch.push(i, 3);
  assert.deepEqual(signals, [true], 'paused once at 12 >= 10, not again');
  const got: number[] = [];
  for (let i = 0; i < 5; i++) got.push((await ch.take(10))!);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  assert.deepEqual(signals, [true, false], 'resumed once it drained to <= 2');
  assert.equal(ch.size, 0);
});

test('take waits for a push, returns undefined on timeout, and rethrows a failure', async () => {
  const ch = new Channel<string>(100, 10, () => undefined);
  assert.equal(await ch.take(5), undefined);
  const pending = ch.take(1000);
  ch.push('late');
  assert.equal(await pending, 'late');
  const failing = ch.take(1000);
  ch.fail(new Error('binlog connection lost'));
  await assert.rejects(failing, /binlog connection lost/);
});

test('a long stream stays compact in memory', async () => {
  const ch = new Channel<number>(1_000_000, 10, () => undefined);
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 1000; i++) ch.push(i);
    for (let i = 0; i < 1000; i++) assert.equal(await ch.take(1), i);
  }
  assert.ok((ch as unknown as { items: unknown[] }).items.length <= 2048);
});
