import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATEGORIES, prng, randomProduct } from '../../../src/generate/catalogue.js';
import { WorkloadPlanner, type TxPlan } from '../../../src/generate/plan.js';

function drain(planner: WorkloadPlanner): TxPlan[] {
  const plans: TxPlan[] = [];
  for (let p = planner.next(); p !== undefined; p = planner.next()) plans.push(p);
  return plans;
}

test('the planner emits exactly the requested changes, in transactions of at most txSize', () => {
  const plans = drain(new WorkloadPlanner(prng(7), { inserts: 500, updates: 300, deletes: 120, txSize: 40 }, []));
  const count = (k: keyof TxPlan) => plans.reduce((n, p) => n + p[k].length, 0);
  assert.equal(count('inserts'), 500);
  assert.equal(count('updates'), 300);
  assert.equal(count('deletes'), 120);
  for (const p of plans) assert.ok(p.inserts.length + p.updates.length + p.deletes.length <= 40);
  assert.ok(plans.some((p) => p.inserts.length > 0 && p.updates.length > 0), 'kinds are interleaved');
});

test('inserts take new ids, updates and deletes only rows that exist at that point, and no row is updated twice in one transaction', () => {
  const live = new Set([3, 9, 27]);
  const plans = drain(new WorkloadPlanner(prng(11), { inserts: 200, updates: 400, deletes: 150, txSize: 25 }, [...live]));
  for (const p of plans) {
    for (const row of p.inserts) {
      assert.ok(!live.has(row.id), `insert of existing id ${row.id}`);
      live.add(row.id);
    }
    const updated = p.updates.map((u) => u.id);
    assert.equal(new Set(updated).size, updated.length, 'an id updated twice in one transaction');
    for (const id of updated) assert.ok(live.has(id), `update of missing id ${id}`);
    for (const id of p.deletes) {
      assert.ok(live.delete(id), `delete of missing id ${id}`);
    }
  }
});

test('new ids continue after the largest existing id', () => {
  const [first] = drain(new WorkloadPlanner(prng(1), { inserts: 3, updates: 0, deletes: 0, txSize: 10 }, [5, 41, 17]));
  assert.deepEqual(first?.inserts.map((r) => r.id), [42, 43, 44]);
});

test('the same seed gives the same workload; products look like a catalogue', () => {
  const a = drain(new WorkloadPlanner(prng(99), { inserts: 50, updates: 20, deletes: 5, txSize: 10 }, []));
  const b = drain(new WorkloadPlanner(prng(99), { inserts: 50, updates: 20, deletes: 5, txSize: 10 }, []));
  assert.deepEqual(a, b);
  const rand = prng(5);
  for (let i = 0; i < 200; i++) {
    const p = randomProduct(rand, i);
    assert.ok((CATEGORIES as readonly string[]).includes(p.category));
    assert.match(p.name, /^\S+ \S+ .+$/);
    assert.ok(p.price >= 0.99 && p.price <= 999.99, `price ${p.price} out of range`);
    assert.ok(Math.abs(p.price * 100 - Math.round(p.price * 100)) < 1e-6, `price ${p.price} has more than cents`);
  }
});

test('deletes stop when nothing is left to delete', () => {
  const plans = drain(new WorkloadPlanner(prng(3), { inserts: 0, updates: 0, deletes: 10, txSize: 4 }, [1, 2, 3]));
  assert.deepEqual(plans.flatMap((p) => p.deletes).sort(), [1, 2, 3]);
});
