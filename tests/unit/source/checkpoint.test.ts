import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCheckpoint, encodeCheckpoint, streamsByGtid, type Checkpoint } from '../../../src/source/checkpoint.js';

const at: Checkpoint = { file: 'binlog.000007', pos: 4711, gtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-52', tsMs: 1, changes: 2, writtenAtMs: 3, owner: 'me' };

test('a MySQL snapshot point keeps "stream by GTID set" through the checkpoint record', () => {
  assert.equal(decodeCheckpoint(encodeCheckpoint({ ...at, byGtid: true })).byGtid, true);
  assert.equal(decodeCheckpoint(encodeCheckpoint(at)).byGtid, undefined);
  assert.equal(decodeCheckpoint(encodeCheckpoint({ ...at, gtid: '', byGtid: true })).byGtid, true, 'GTIDs on, none executed');
  // Without a set there is nothing to stream from: the flag is dropped rather than trusted.
  assert.equal(decodeCheckpoint(encodeCheckpoint({ ...at, gtid: null, byGtid: true })).byGtid, undefined);
});

test('streamsByGtid: on MySQL by set for a non-empty set with gtid_mode=ON, a snapshot point or a purged file; by file and position otherwise and on MariaDB', () => {
  const files = ['binlog.000007', 'binlog.000008'];
  const on = { flavor: 'mysql' as const, binlogs: files, gtidOn: true };
  const noSet = { ...at, gtid: null };
  assert.equal(streamsByGtid(on, at), true);
  assert.equal(streamsByGtid(on, { ...at, gtid: '' }), false, 'GTIDs on, none executed yet');
  assert.equal(streamsByGtid(on, noSet), false);
  assert.equal(streamsByGtid({ ...on, gtidOn: false }, at), false, 'gtid_mode OFF or PERMISSIVE: the server refuses a dump by set');
  assert.equal(streamsByGtid({ ...on, gtidOn: false }, { ...at, gtid: '', byGtid: true }), true, 'a snapshot point, set or empty');
  assert.equal(streamsByGtid({ ...on, binlogs: ['binlog.000008'] }, noSet), true, 'a purged file: the start plan vouched for the set');
  assert.equal(streamsByGtid({ flavor: 'mariadb', binlogs: files, gtidOn: false }, { ...at, byGtid: true }), false);
});
