import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseValueSchema } from '../../../src/codec/avro-parse.js';
import { ChangeEncoder } from '../../../src/codec/change-encoder.js';
import { parseColumnType } from '../../../src/codec/column.js';
import { productShape } from '../../../src/codec/value-schema.js';
import type { Registry } from '../../../src/codec/registry.js';
import { memoryRegistry, PRODUCT_COLUMNS } from '../../fixtures/memory-registry.js';
import { unframe } from '../../../src/codec/wire.js';
import { Decoder, PoisonError } from '../../../src/pool/decoder.js';
import { toJsonLine, transform } from '../../../src/pool/transform.js';
import { partitionFor } from '../../../src/model/partitioner.js';
import type { ChangeEvent } from '../../../src/model/change.js';

/** Schema ids handed out in memory: what is under test is the encoding, not the registry. */
const COLUMNS = PRODUCT_COLUMNS;
const RULE = { category: 'GARDEN', percent: 10 };

function event(id: number, row: Record<string, unknown>): ChangeEvent {
  return {
    op: 'c', row: { id, category: 'Garden', price: Math.fround(4.5), last_updated: '2026-01-02 00:00:00', ...row },
    source: { serverId: 1, db: 'shop', table: 'product', file: 'mysql-bin.000001', pos: 4, row: 0, gtid: null, tsMs: 1, snapshot: false },
  };
}

test('values are framed with the schema id; rows larger than the scratch buffer encode whole; each value is its own buffer', async () => {
  const registry = memoryRegistry();
  const encoder = new ChangeEncoder(registry, 'product_updates', 10);
  const { schemaId } = await encoder.setShape(productShape('product', COLUMNS));
  const big = 'x'.repeat(300_000);
  const small = encoder.encode(event(7, { name: 'Rake' }), 123);
  const large = encoder.encode(event(8, { name: big }), 456);
  const again = encoder.encode(event(9, { name: 'Hoe' }), 789);
  const type = await registry.typeOf(schemaId);
  const read = (v: Buffer) => {
    const { schemaId: id, body } = unframe(v);
    assert.equal(id, schemaId);
    return type.fromBuffer(body) as Record<string, unknown>;
  };
  assert.equal(read(small.value!).name, 'Rake', 'a later encode did not overwrite an earlier value');
  assert.equal(read(large.value!).name, big);
  assert.equal(read(again.value!).ts_ms, 789);
  assert.deepEqual(small.key, Buffer.from('7'));
  assert.equal(small.partition, partitionFor(Buffer.from('7'), 10));
});

test("the pool's decoder and transform restore NULLs; trailing, truncated or unframed bodies are poison", async () => {
  const registry = memoryRegistry();
  const encoder = new ChangeEncoder(registry, 'product_updates', 10);
  await encoder.setShape(productShape('product', COLUMNS));
  const value = encoder.encode(event(5, { name: null, category: null, price: null }), 1).value!;
  const decoder = new Decoder(registry, { seedTopic: 'product_updates', rule: RULE });
  await decoder.prepare([value]);
  const line = transform(decoder.decodeReady('product_updates', value).record, RULE, { topic: 't', partition: 0, offset: 3 });
  assert.deepEqual([line.id, line.name, line.category, line.price, line.list_price, line.last_updated], [5, null, null, null, null, '2026-01-02T00:00:00.000Z']);
  assert.equal(toJsonLine(line), `${JSON.stringify(line)}\n`);
  assert.equal(decoder.lineOf('product_updates', value, { topic: 't', partition: 0, offset: 3 }), toJsonLine(line), 'the line maker writes what the transform gives');
  const read = (v: Buffer) => decoder.decodeReady('product_updates', v);
  assert.throws(() => read(Buffer.concat([value, Buffer.from([1, 2])])), (e: unknown) => e instanceof PoisonError && /trailing/.test((e as Error).message));
  assert.throws(() => read(value.subarray(0, value.length - 4)), PoisonError);
  assert.throws(() => read(Buffer.from([1, 0, 0, 0, 1])), PoisonError);
});
