import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgress, formatDuration } from '../../../src/cli/progress.js';
import { UsageError } from '../../../src/errors.js';
import { isoTime } from '../../../src/cli/args.js';
import { parseFrom } from '../../../src/cli/replay-args.js';

test('--from takes earliest, an ISO time, or partition:offset pairs', () => {
  assert.deepEqual(parseFrom('earliest'), { kind: 'earliest' });
  assert.deepEqual(parseFrom('2026-03-01T10:00:00Z'), { kind: 'time', at: new Date('2026-03-01T10:00:00Z') });
  const offsets = parseFrom('3:1200,7:0');
  assert.equal(offsets.kind, 'offsets');
  assert.deepEqual(offsets.kind === 'offsets' ? [...offsets.offsets] : [], [[3, 1200], [7, 0]]);
});

test('bad --from values are usage errors that say what was expected; a bad --to time is a usage error', () => {
  for (const [value, message] of [
    [undefined, /--from is required/],
    ['yesterday', /--from "yesterday" is none of its three forms: earliest, an ISO time such as .*, or partition:offset pairs such as 3:1200,7:0/],
    ['3:1,3:2', /names partition 3 twice/], ['3:-1', /none of its three forms/],
  ] as const) {
    assert.throws(() => parseFrom(value), (e: unknown) => e instanceof UsageError && message.test(e.message));
  }
  assert.throws(() => isoTime('--to', '2026-13-45'), UsageError);
});

test('progress: a redrawn bar on a terminal, plain lines otherwise, durations readable', () => {
  const tty: string[] = [];
  const bar = createProgress({ label: 'replay', total: 200, tty: true, write: (s) => tty.push(s), everyMs: 0 });
  bar.update(50);
  bar.finish(200);
  assert.match(tty[0]!, /^\r\[#{6}\.{18}\] replay 50\/200 rows 25\.0% /);
  assert.match(tty[1]!, /\[#{24}\] replay 200\/200 rows 100\.0% .* in \d+\.\d s\x1b\[K\n$/);
  const plain: string[] = [];
  const lines = createProgress({ label: 'backfill', total: 10, tty: false, write: (s) => plain.push(s), everyMs: 0 });
  lines.update(5);
  assert.match(plain[0]!, /^backfill 5\/10 rows 50\.0% [\d,]+ rows\/s ETA \d+s\n$/);
  const logged: string[] = [];
  const piped = createProgress({ label: 'replay', total: 12, unit: 'messages', tty: false, log: (l) => logged.push(l), write: () => assert.fail('no raw write when a logger is given'), everyMs: 0 });
  piped.update(6);
  piped.finish(11);
  assert.match(logged[0]!, /^replay 6\/12 messages 50\.0% /);
  assert.match(logged[1]!, /^replay 11\/11 messages 100\.0% .* in /, 'the end is 100 % though the estimate counted 12 (transaction markers)');
  assert.equal(formatDuration(59), '59s');
  assert.equal(formatDuration(125), '2m05s');
  assert.equal(formatDuration(7300), '2h01m');
});
