import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advance, formatPosition, gtidTracker, parseMariadbPosition } from '../../../src/source/gtid.js';

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

test('the tracker follows the server: MySQL sets grow by uuid:gno, MariaDB positions by domain', () => {
  const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  const mysql = gtidTracker('mysql', `${uuid}:1-5,\n${uuid.replace('3e', '4e')}:1-2`)!;
  mysql.add(`${uuid}:6`);
  mysql.add({ domainId: 0, serverId: 1, seqNo: 9 });
  assert.equal(mysql.text(), `${uuid}:1-6,${uuid.replace('3e', '4e')}:1-2`, 'whitespace from SHOW BINARY LOG STATUS dropped; a MariaDB GTID ignored');
  const empty = gtidTracker('mysql', '')!;
  empty.add(`${uuid}:1`);
  assert.equal(empty.text(), `${uuid}:1`, 'a server with no GTID yet starts from the empty set');
  assert.equal(gtidTracker('mysql', null), undefined, 'nothing to seed from');
  assert.equal(gtidTracker('mysql', '0-1-5'), undefined, 'a MariaDB position is not a MySQL set');
  const mariadb = gtidTracker('mariadb', '0-1-100')!;
  mariadb.add({ domainId: 0, serverId: 1, seqNo: 101 });
  mariadb.add(`${uuid}:6`);
  assert.equal(mariadb.text(), '0-1-101');
  assert.equal(gtidTracker('mariadb', `${uuid}:1-5`), undefined);
});
