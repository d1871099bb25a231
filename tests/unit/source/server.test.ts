import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flavorOf } from '../../../src/source/server.js';

test('the binlog status statement follows the server: SHOW MASTER STATUS on MariaDB and MySQL 8.0, SHOW BINARY LOG STATUS on 8.4 and 9.x', () => {
  assert.deepEqual(flavorOf('10.11.19-MariaDB-0+deb12u1-log'), { flavor: 'mariadb', statusSql: 'SHOW MASTER STATUS' });
  assert.deepEqual(flavorOf('11.8.3-MariaDB'), { flavor: 'mariadb', statusSql: 'SHOW MASTER STATUS' });
  assert.deepEqual(flavorOf('8.0.40'), { flavor: 'mysql', statusSql: 'SHOW MASTER STATUS' });
  assert.deepEqual(flavorOf('8.4.6'), { flavor: 'mysql', statusSql: 'SHOW BINARY LOG STATUS' });
  assert.deepEqual(flavorOf('9.7.4-2'), { flavor: 'mysql', statusSql: 'SHOW BINARY LOG STATUS' });
});
