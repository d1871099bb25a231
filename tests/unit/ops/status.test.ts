import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStats } from '../../../src/sink/stats.js';
import { formatStatus } from '../../../src/ops/status-format.js';
import { bytesBehind, type StatusReport } from '../../../src/ops/status.js';

test('bytes behind the binlog head count the rest of the checkpoint file and every later file', () => {
  const logs = [{ name: 'b.000001', size: 1000 }, { name: 'b.000002', size: 500 }, { name: 'b.000003', size: 300 }];
  assert.equal(bytesBehind({ file: 'b.000003', pos: 300 }, logs), 0);
  assert.equal(bytesBehind({ file: 'b.000003', pos: 100 }, logs), 200);
  assert.equal(bytesBehind({ file: 'b.000001', pos: 900 }, logs), 100 + 500 + 300);
  assert.equal(bytesBehind({ file: 'b.000000', pos: 4 }, logs), null, 'a purged file: unknown');
});

test('librdkafka statistics: queue depth, lag of the topic\'s real partitions', () => {
  const stats = JSON.stringify({
    msg_cnt: 12,
    brokers: { 'bootstrap:9092/bootstrap': { nodeid: -1, state: 'UP' }, '127.0.0.1:9092/1': { nodeid: 1, state: 'DOWN' } },
    topics: { t: { partitions: { '-1': { partition: -1, consumer_lag: 0 }, 0: { partition: 0, consumer_lag: 5, fetch_state: 'active' }, 1: { partition: 1, consumer_lag: -1, fetch_state: 'none' } } } },
  });
  const s = parseStats(stats, 't');
  assert.equal(s.queuedMessages, 12);
  assert.deepEqual([...s.lag], [[0, 5]]);
});

test('the status table shows position, records still to write per partition (a bound where not counted) and output counts', () => {
  const report: StatusReport = {
    at: '2026-11-22T10:00:00.000Z',
    capture: {
      table: 'shop.product', subject: 'product_updates-value', version: 2, schemaId: 7,
      columns: [{ name: 'id', type: 'int(11)' }, { name: 'price', type: 'float' }],
    },
    tables: [],
    source: {
      id: 'product-source', head: { file: 'b.000002', pos: 800 }, bytesBehind: 300, secondsBehind: 4,
      checkpoint: { file: 'b.000002', pos: 500, gtid: '0-1-9', tsMs: Date.parse('2026-11-22T09:59:56Z'), changes: 42, writtenAtMs: Date.parse('2026-11-22T09:59:50Z'), owner: 'h:1:ab' },
    },
    group: {
      group: 'product-pool', topic: 'product_updates', lag: 7, pending: 5, pendingExact: true,
      partitions: [{ partition: 0, end: 10, committed: 10, lag: 0, pending: 0 }, { partition: 1, end: 9, committed: null, lag: 7, pending: 5 }],
    },
    output: {
      dir: './output', open: [{ file: 'consumer-1.000003.jsonl.open', lines: 4, bytes: 2048 }],
      closed: { files: 2, bytes: 3 * 1_048_576, lines: 7 }, lines: 10, deadLetters: 1,
    },
    latency: { url: 'http://127.0.0.1:9472/metrics', lines: 10, p50Ms: 12, p99Ms: 87 },
  };
  const text = formatStatus(report);
  assert.match(text, /checkpoint +b\.000002:500 +gtid 0-1-9/);
  assert.match(text, /^captured shop\.product\n +columns +id int\(11\), price float\n +value schema +product_updates-value version 2 \(id 7\)$/m);
  assert.match(text, /written 10 s ago by h:1:ab; 42 changes so far/);
  assert.match(text, /behind +300 bytes, 4 s/);
  assert.match(text, /^ +1 +9 +- +5$/m, 'records to write, not the offset lag');
  assert.match(text, /^ +total +5$/m);
  assert.doesNotMatch(text, /<=|markers/, 'a counted lag needs no footnote');
  const far = formatStatus({ ...report, group: { ...report.group, pending: 20_005, pendingExact: false,
    partitions: [report.group.partitions[0]!, { partition: 1, end: 30_000, committed: 10_000, lag: 20_000, pending: null }] } });
  assert.match(far, /^ +1 +30000 +10000 +<=20000$/m, 'an uncounted partition shows its offset lag as a bound');
  assert.match(far, /^ +total +<=20005$/m);
  assert.match(far, /more than 5000 offsets behind/);
  assert.match(text, /^ +open +consumer-1\.000003\.jsonl\.open +4 lines +0\.0 MiB$/m);
  assert.match(text, /^ +closed +2 files, 7 lines, 3\.0 MiB$/m);
  assert.match(text, /lines 10, dead letters 1/);
  assert.match(text, /p50 12 ms, p99 87 ms over 10 lines/);
  const away = formatStatus({ ...report, latency: { url: 'http://127.0.0.1:9472/metrics', lines: null, p50Ms: null, p99Ms: null, error: 'no supervisor answering at http://127.0.0.1:9472/metrics (fetch failed)' } });
  assert.match(away, /no supervisor answering/);
  assert.doesNotMatch(text, /^tables/m, 'one table: no tables block');
  const row = (table: string, topic: string, extra: object) => ({ table, topic, seed: false, columns: 3, version: 1, schemaId: 9, pending: 0, pendingExact: true,
    lag: 0, dir: 'o', lines: 12, openFiles: 1, closedFiles: 2, ...extra });
  const two = formatStatus({ ...report, tables: [row('shop.product', 'product_updates', { seed: true, pending: 5 }), row('shop.orders', 'cdc.shop.orders', { pending: 40, pendingExact: false, version: null })] });
  assert.match(two, /^tables \(2 captured\)$/m);
  assert.match(two, /^ +shop\.product +product_updates +v1 \(id 9\) +5 +12 +1 open, 2 closed$/m);
  assert.match(two, /^ +shop\.orders +cdc\.shop\.orders +- +<=40 +12 +1 open, 2 closed$/m);
  const broken = formatStatus({ ...report, group: { group: 'g', topic: 't', partitions: [], lag: 0, pending: 0, pendingExact: true, error: 'connecting to Kafka: timed out' } });
  assert.match(broken, /error +connecting to Kafka: timed out/);
});
