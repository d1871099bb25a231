import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { SchemaIncompatibleError } from '../../src/codec/errors.js';
import { Registry } from '../../src/codec/registry.js';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { config, uniqueName } from './helpers.js';

const seedSchema = await readFile(new URL('../../schemas/product-seed.avsc', import.meta.url), 'utf8');

test('a schema registered through the registry client is fetched back by id over the Confluent API', async () => {
  const registry = new SchemaRegistry({ host: config.registry.url });
  const subject = uniqueName('stack-check-value');
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: seedSchema },
    { subject, compatibility: COMPATIBILITY.BACKWARD },
  );
  assert.ok(Number.isInteger(id) && id > 0);

  // Raw Confluent REST call, not the client's cache.
  const res = await fetch(`${config.registry.url}/schemas/ids/${id}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { schema: string };
  assert.deepEqual(JSON.parse(body.schema), JSON.parse(seedSchema));

  const value = { id: 42, name: 'Lamp 💡', category: 'Home', price: 19.99, last_updated: '2026-01-01T00:00:00.000Z' };
  const encoded = await registry.encode(id, value);
  assert.equal(encoded[0], 0, 'magic byte');
  assert.equal(encoded.readUInt32BE(1), id, 'schema id in the wire format');
  const decoded = (await new SchemaRegistry({ host: config.registry.url }).decode(encoded)) as typeof value;
  assert.equal(decoded.name, value.name);
  assert.equal(decoded.price, Math.fround(19.99));

  const compat = await fetch(`${config.registry.url}/config/${subject}`);
  assert.equal(((await compat.json()) as { compatibilityLevel: string }).compatibilityLevel, 'BACKWARD');
});

test('the registry enforces BACKWARD compatibility', async () => {
  const registry = new SchemaRegistry({ host: config.registry.url });
  const subject = uniqueName('stack-compat-value');
  await registry.register({ type: SchemaType.AVRO, schema: seedSchema }, { subject, compatibility: COMPATIBILITY.BACKWARD });
  const parsed = JSON.parse(seedSchema) as { fields: unknown[] };
  const breaking = { ...parsed, fields: [...parsed.fields, { name: 'sku', type: 'string' }] };
  await assert.rejects(
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(breaking) }, { subject, compatibility: COMPATIBILITY.BACKWARD }),
    /incompatible|409/i,
  );
  const compatible = { ...parsed, fields: [...parsed.fields, { name: 'sku', type: ['null', 'string'], default: null }] };
  const { id } = await registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(compatible) }, { subject, compatibility: COMPATIBILITY.BACKWARD });
  assert.ok(id > 0);
});

test('a schema the registry refuses as incompatible is a SchemaIncompatibleError (exit 4) naming the change and the setting, not an outage', async () => {
  const registry = new Registry(config.registry);
  const subject = uniqueName('stack-refused-value');
  const parsed = JSON.parse(seedSchema) as { fields: unknown[] };
  await registry.register(subject, JSON.stringify({ ...parsed, fields: [...parsed.fields, { name: 'stock', type: ['null', 'int'], default: null }] }));
  const changed = JSON.stringify({ ...parsed, fields: [...parsed.fields, { name: 'stock', type: ['null', 'string'], default: null }] });
  await assert.rejects(registry.register(subject, changed), (err: unknown) => {
    assert.ok(err instanceof SchemaIncompatibleError, String(err));
    assert.equal(err.exitCode, 4);
    assert.equal(err.retriable, false);
    assert.match(err.message, /column stock changed from int \(nullable\) to string \(nullable\)/);
    assert.match(err.message, /set the subject's compatibility to NONE/);
    return true;
  });
});
