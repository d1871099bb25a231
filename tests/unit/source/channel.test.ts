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

test('the byte bound pauses the reader when a few wide rows weigh more than many narrow ones, and resumes only below both lows', async () => {
  const signals: boolean[] = [];
  const ch = new Channel<string>(1000, 250, (pause) => signals.push(pause), { high: 10_000, low: 2_500 });
  ch.push('narrow', 100, 1_000);
  assert.deepEqual(signals, [], '100 changes of 1,000 bytes: under both bounds');
  ch.push('wide', 2, 9_500);
  assert.deepEqual(signals, [true], 'two rows of 9,500 bytes: over the byte bound, far under the change bound');
  assert.equal(ch.byteSize, 10_500);
  await ch.take(1);
  assert.deepEqual(signals, [true], '9,500 bytes still queued: not below the byte low');
  await ch.take(1);
  assert.deepEqual(signals, [true, false]);
  assert.equal(ch.byteSize, 0);
});
