import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundCents, shortestFloat32 } from '../../../src/codec/float32.js';
import { toJsonLine, transform } from '../../../src/pool/transform.js';

const rule = { category: 'electronics', percent: 10 };
const meta = { topic: 'product_updates', partition: 3, offset: 17 };
const record = (over: Record<string, unknown>) => ({
  id: 42, name: 'Lamp 💡', category: 'Home', price: Math.fround(19.99), last_updated: '2026-01-01T00:00:00.000Z', op: 'c', ...over,
});

test('float32 prices print as their shortest decimal', () => {
  assert.equal(shortestFloat32(Math.fround(19.99)), 19.99);
  assert.equal(shortestFloat32(Math.fround(0.1)), 0.1);
  assert.equal(shortestFloat32(Math.fround(999.99)), 999.99);
  assert.equal(shortestFloat32(Math.fround(16777217)), 16777216);
  assert.equal(shortestFloat32(0), 0);
  for (let i = 0; i < 10_000; i++) {
    const f = Math.fround(Math.random() * 1000);
    const s = shortestFloat32(f);
    assert.equal(Math.fround(s), f, 'reads back as the same float32');
    assert.ok(String(s).replace(/^0\.|\./, '').replace(/^0+/, '').length <= 9);
  }
});

test('the fast path for prices gives what the digit-by-digit search gives on 200,000 random floats of magnitude 1e-4 to 1e7', () => {
  const reference = (value: number) => {
    if (value === 0) return value;
    const target = Math.fround(value);
    for (let digits = 1; digits <= 9; digits++) {
      const candidate = Number(target.toPrecision(digits));
      if (Math.fround(candidate) === target) return candidate;
    }
    return target;
  };
  for (let i = 0; i < 200_000; i++) {
    const magnitude = 10 ** (Math.floor(Math.random() * 12) - 4);
    const cents = Math.round(Math.random() * 100_000) / 100;
    const f = Math.fround((i % 2 === 0 ? cents : Math.random() * magnitude) * (i % 3 === 0 ? -1 : 1));
    assert.equal(shortestFloat32(f), reference(f), `for ${f}`);
  }
  assert.equal(shortestFloat32(Math.fround(131_071.99)), reference(Math.fround(131_071.99)));
  assert.equal(shortestFloat32(Math.fround(1_234_567.89)), 1_234_567.9, "beyond 2^17 the search decides");
});

test('cents round half up without binary artefacts', () => {
  assert.equal(roundCents(1.005), 1.01);
  assert.equal(roundCents(17.991), 17.99);
  assert.equal(roundCents(2.675), 2.68);
  assert.equal(roundCents(0.125), 0.13);
});

test('category is upper-cased; other categories keep their price', () => {
  const line = transform(record({}), rule, meta);
  assert.deepEqual(line, {
    id: 42, name: 'Lamp 💡', category: 'HOME', price: 19.99, list_price: 19.99, discount_percent: 0,
    last_updated: '2026-01-01T00:00:00.000Z', op: 'c', _meta: meta,
  });
  assert.equal(toJsonLine(line), `${JSON.stringify(line)}\n`);
  assert.match(toJsonLine(line), /"price":19\.99,/);
});

test('the discount category, matched case-insensitively, gets the discount rounded to cents', () => {
  const line = transform(record({ category: 'Electronics', price: Math.fround(19.99) }), rule, meta);
  assert.equal(line.category, 'ELECTRONICS');
  assert.equal(line.list_price, 19.99);
  assert.equal(line.price, 17.99); // 17.991
  assert.equal(line.discount_percent, 10);
  assert.equal(transform(record({ category: 'eLeCtRoNiCs', price: 10 }), { category: 'ELECTRONICS', percent: 25 }, meta).price, 7.5);
  assert.equal(transform(record({ category: 'Electronics' }), { category: 'ELECTRONICS', percent: 0 }, meta).discount_percent, 0);
});

test('NULLs stay null and deletes pass through as op d', () => {
  const line = transform(record({ category: null, price: null, name: null, op: 'd' }), rule, meta);
  const zeroed = transform(record({ category: '', price: 0, name: '', null_fields: ['name', 'category', 'price'] }), rule, meta);
  assert.deepEqual([zeroed.name, zeroed.category, zeroed.price], [null, null, null], 'columns named in null_fields are NULL');
  assert.equal(line.category, null);
  assert.equal(line.price, null);
  assert.equal(line.list_price, null);
  assert.equal(line.name, null);
  assert.equal(line.op, 'd');
});
