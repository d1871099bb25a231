import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endsTransaction } from '../../../src/source/binlog-reader.js';

test('statements inside a transaction do not end it; commits and DDL do', () => {
  for (const inside of ['BEGIN', 'begin', 'XA START X\'01\'', 'XA END X\'01\'', 'SAVEPOINT `sp1`', 'savepoint a', 'RELEASE SAVEPOINT `sp1`',
    'ROLLBACK TO `sp1`', 'ROLLBACK TO SAVEPOINT sp1', 'ROLLBACK WORK TO sp1']) {
    assert.equal(endsTransaction(inside), false, inside);
  }
  for (const ends of ['COMMIT', 'ROLLBACK', 'XA COMMIT X\'01\'', 'ALTER TABLE product ADD COLUMN x INT', 'TRUNCATE TABLE product',
    'FLUSH PRIVILEGES', 'BEGIN NOT ATOMIC SELECT 1; END', 'SAVEPOINTS_ARE_NOT_A_TABLE']) {
    assert.equal(endsTransaction(ends), true, ends);
  }
});
