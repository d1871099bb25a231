import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFieldChanges } from '../../../src/codec/schema-diff.js';

test('column changes between two value schemas are named in column terms', () => {
  const before = { fields: [{ name: 'id', type: 'int' }, { name: 'stock', type: ['null', 'int'] }, { name: 'gone', type: 'string' }] };
  const after = { fields: [{ name: 'id', type: 'int' }, { name: 'stock', type: ['null', 'string'] }, { name: 'sku', type: 'string' }] };
  assert.equal(describeFieldChanges(before, after),
    'column stock changed from int (nullable) to string (nullable); column sku added as string; column gone removed');
  assert.equal(describeFieldChanges(before, before), 'no column differs');
});
