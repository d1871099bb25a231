import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { histogramQuantile, parseHistogram } from '../../../src/ops/histogram.js';

test('quantiles interpolate within the bucket, as PromQL does', () => {
  const buckets = [{ le: 0.01, count: 50 }, { le: 0.1, count: 90 }, { le: 1, count: 100 }, { le: Infinity, count: 100 }];
  assert.equal(histogramQuantile(0.5, buckets), 0.01);
  assert.ok(Math.abs(histogramQuantile(0.7, buckets)! - 0.055) < 1e-12);
  assert.ok(Math.abs(histogramQuantile(0.99, buckets)! - 0.91) < 1e-12);
  assert.equal(histogramQuantile(0.5, [{ le: Infinity, count: 0 }]), null, 'no observations');
  assert.equal(histogramQuantile(0.99, [{ le: 1, count: 1 }, { le: Infinity, count: 10 }]), 1, 'beyond the last bound: that bound');
});

test('buckets are read back from what prom-client exposes', async () => {
  const registry = new Registry();
  const h = new Histogram({ name: 'x_seconds', help: 'x', buckets: [0.005, 0.05, 0.5], registers: [registry] });
  for (const v of [0.001, 0.002, 0.02, 0.03, 0.04, 0.2, 3]) h.observe(v);
  const buckets = parseHistogram(await registry.metrics(), 'x_seconds');
  assert.deepEqual(buckets, [{ le: 0.005, count: 2 }, { le: 0.05, count: 5 }, { le: 0.5, count: 6 }, { le: Infinity, count: 7 }]);
  assert.ok(histogramQuantile(0.5, buckets)! > 0.005 && histogramQuantile(0.5, buckets)! <= 0.05);
});
