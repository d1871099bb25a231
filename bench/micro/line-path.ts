/**
 * npm run bench:micro: the pool's per-message CPU path (Avro decode → transform → JSON line) and the source's
 * (change → Avro value), on realistic records, in ns per message. For profiling what the end-to-end
 * scenarios point at; not a pass/fail test.
 */
import type avro from 'avsc';
import { parseValueSchema } from '../../src/codec/avro-parse.js';
import { ChangeEncoder } from '../../src/codec/change-encoder.js';
import { parseColumnType } from '../../src/codec/column.js';
import type { Registry } from '../../src/codec/registry.js';
import { productShape } from '../../src/codec/value-schema.js';
import { Decoder } from '../../src/pool/decoder.js';
import { transform } from '../../src/pool/transform.js';
import { makeLines } from '../../src/pool/line-batch.js';
import { consumedOf, freshOf } from '../../src/pool/packed-batch.js';
import type { ChangeEvent } from '../../src/model/change.js';

/** Schemas by id, in memory: the micro-benchmark measures CPU, not the registry. */
class MemoryRegistry {
  private readonly schemas = new Map<number, string>();
  async register(_subject: string, text: string): Promise<number> {
    for (const [id, t] of this.schemas) if (t === text) return id;
    this.schemas.set(this.schemas.size + 1, text);
    return this.schemas.size;
  }
  async typeOf(id: number): Promise<avro.Type> {
    return parseValueSchema(this.schemas.get(id)!);
  }
  async schemaText(id: number): Promise<string> {
    return this.schemas.get(id)!;
  }
}

const N = 200_000;
const registry = new MemoryRegistry() as unknown as Registry;
const encoder = new ChangeEncoder(registry, 'bench', 10);
await encoder.setShape(productShape('product', [
  parseColumnType('id', 'int', null), parseColumnType('name', 'varchar(255)', 'utf8mb4'),
  parseColumnType('category', 'varchar(255)', 'utf8mb4'), parseColumnType('price', 'float', null),
  parseColumnType('last_updated', 'timestamp', null),
]));
const categories = ['Electronics', 'Garden', 'Toys', 'Books', 'Kitchen'];
const events: ChangeEvent[] = Array.from({ length: N }, (_, i) => ({
  op: (['c', 'u', 'd'] as const)[i % 3]!,
  row: { id: 100_000 + i, name: `Product ${i} deluxe edition`, category: categories[i % 5], price: Math.fround(1 + (i % 9999) / 100),
    last_updated: new Date(1_764_000_000_000 + i * 1000).toISOString().replace('T', ' ').slice(0, 19) },
  source: { serverId: 1, db: 'shop', table: 'product', file: 'mysql-bin.000042', pos: 123_456 + i, row: i % 500, gtid: `0-1-${i}`, tsMs: 1_764_000_000_000 + i, snapshot: false },
}));

function time(label: string, fn: () => void): void {
  fn(); // warm-up
  const t = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t) / N;
  process.stdout.write(`${label.padEnd(36)} ${ns.toFixed(0).padStart(6)} ns/message\n`);
}

let values: Buffer[] = [];
time('source: encode (record + Avro + frame)', () => { values = events.map((e) => encoder.encode(e, Date.now()).value!); });
const rule = { category: 'ELECTRONICS', percent: 10 };
const decoder = new Decoder(registry, { seedTopic: 't', rule });
await decoder.prepare(values);
let sink = 0;
time('pool: decode', () => { for (const v of values) sink += decoder.decodeReady('t', v).record.id as number; });
const records = values.map((v) => decoder.decodeReady('t', v).record);
time('pool: transform', () => { for (let i = 0; i < N; i++) sink += transform(records[i]!, rule, { topic: 't', partition: 1, offset: i }).id; });
time('pool: decode + transform + line', () => {
  let text = '';
  for (let i = 0; i < N; i++) {
    text += decoder.lineOf('t', values[i]!, { topic: 't', partition: 1, offset: i });
    if (text.length > 200_000) { sink += text.length; text = ''; }
  }
});
// What a line worker does with a consumer's batch: the values packed into one buffer, each topic's lines as UTF-8.
const messages = values.map((value, i) => ({ topic: 't', partition: i % 10, offset: i, value, size: value.length }) as unknown as import('node-rdkafka').Message);
time('pool: pack message objects (no packed read)', () => { for (let i = 0; i < N; i += 1000) sink += freshOf(consumedOf(messages.slice(i, i + 1000))).ends.length; });
const packed = Array.from({ length: N / 1000 }, (_, k) => freshOf(consumedOf(messages.slice(k * 1000, (k + 1) * 1000))));
time('pool: makeLines (line worker)', () => { for (const b of packed) sink += makeLines(decoder, b).length; });
process.stdout.write(`(${sink > 0 ? 'ok' : ''})\n`);
