import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advance, formatPosition, parseMariadbPosition } from '../../../src/source/gtid.js';

test('a MariaDB GTID position is carried per domain, from transaction to transaction', () => {
  const p = parseMariadbPosition('0-1-100,1-2-7')!;
  advance(p, { domainId: 0, serverId: 1, seqNo: 101 });
  advance(p, { domainId: 2, serverId: 5, seqNo: 1n });
  assert.equal(formatPosition(p), '0-1-101,1-2-7,2-5-1');
  assert.equal(formatPosition(parseMariadbPosition('')!), '', 'the empty position');
  const fresh = parseMariadbPosition('')!;
  advance(fresh, { domainId: 0, serverId: 1, seqNo: 5 });
  assert.equal(formatPosition(fresh), '0-1-5');
  assert.equal(parseMariadbPosition('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5'), undefined, 'a MySQL set is not a MariaDB position');
  assert.equal(parseMariadbPosition(null), undefined);
  advance(p, {});
  assert.equal(formatPosition(p), '0-1-101,1-2-7,2-5-1', 'an event without a GTID changes nothing');
});
