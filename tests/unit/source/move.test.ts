import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.js';
import { parseMoveTarget } from '../../../src/source/move.js';

test('move-source --to: head, a binlog position, snapshot or watermark:<ISO>; anything else names the forms', () => {
  assert.deepEqual(parseMoveTarget('head'), { kind: 'head' });
  assert.deepEqual(parseMoveTarget('mysql-bin.000042:1234'), { kind: 'position', file: 'mysql-bin.000042', pos: 1234 });
  assert.deepEqual(parseMoveTarget('snapshot'), { kind: 'snapshot', since: null });
  assert.deepEqual(parseMoveTarget('gtid:0-1-1234'), { kind: 'gtid', gtid: '0-1-1234' });
  assert.deepEqual(parseMoveTarget('watermark:2026-03-01T10:00:00Z'), { kind: 'snapshot', since: new Date('2026-03-01T10:00:00Z') });
  for (const bad of [undefined, 'tail', 'mysql-bin.000042:', 'watermark:yesterday']) {
    assert.throws(() => parseMoveTarget(bad), (e: unknown) => e instanceof UsageError && /head|ISO time/.test((e as Error).message), String(bad));
  }
});
