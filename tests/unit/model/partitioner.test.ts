import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { murmur2, partitionFor } from '../../../src/model/partitioner.js';

// Produced by the Java client itself: scripts/vectors/Murmur2Vectors.java against kafka-clients 4.1.
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/murmur2-java.json', import.meta.url), 'utf8')) as Array<{
  key: string; murmur2: number; partition10: number;
}>;

test('murmur2 equals Java for every vector, including empty, long and 4-byte UTF-8 keys', () => {
  assert.ok(vectors.length > 200);
  for (const v of vectors) {
    assert.equal(murmur2(Buffer.from(v.key, 'utf8')), v.murmur2, `key ${JSON.stringify(v.key)}`);
  }
});

test('product ids land on the same partition of 10 as with the Java client, covering all 10', () => {
  const seen = new Set<number>();
  for (const v of vectors) {
    const p = partitionFor(Buffer.from(v.key, 'utf8'), 10);
    assert.equal(p, v.partition10, `key ${JSON.stringify(v.key)}`);
    seen.add(p);
  }
  assert.equal(seen.size, 10);
});
