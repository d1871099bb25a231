/**
 * Confluent-framed Avro → the record and the line maker of its table. Each writer schema is fetched and parsed
 * once, and decoded with as it was written, so every column it carries reaches the line; the seed's topic also
 * checks that a writer schema still resolves to the seed's Product (schemas/product-value.avsc), as its transform
 * needs. A batch is prepared first (every writer schema it names fetched, once), then decoded without awaiting
 * per message. What cannot be decoded is a PoisonError (dead-lettered); a registry that cannot be reached is not.
 */
import avro from 'avsc';
import { parseValueSchema } from '../codec/avro-parse.js';
import { UnknownSchemaError, WireFormatError } from '../codec/errors.js';
import type { Registry } from '../codec/registry.js';
import { BASE_SCHEMA } from '../codec/value-schema.js';
import { unframe } from '../codec/wire.js';
import { PipelineError } from '../errors.js';
import type { ParquetPlan } from '../codec/parquet-column.js';
import { productLines, productPlan, tableLines, tablePlan, type LineMaker } from './lines.js';
import type { DiscountRule } from './transform.js';

export class PoisonError extends PipelineError {}

/** Where writer schemas come from: the registry, or the texts a line worker was handed. */
export type SchemaSource = Pick<Registry, 'schemaText'>;

interface Writer {
  type: avro.Type;
  /** The schema as the registry gave it: what a line worker is handed. */
  text: string;
  schema: { fields: Array<{ name: string; type: unknown; column?: string }> };
  /** Line makers by kind ('seed' or 'table'), made on first use. */
  lines: Map<string, LineMaker | PoisonError>;
  /** The same, once made, without a look-up per message. */
  seedLines?: LineMaker;
  tableLines?: LineMaker;
  /** Parquet columns of its lines, by kind, made on first use. */
  plans?: Map<string, ParquetPlan>;
}

export class Decoder {
  private readonly seedReader = avro.Type.forSchema(BASE_SCHEMA as avro.Schema);
  /** Writer schema id → what decodes it, or the PoisonError that says why nothing can (kept: it is lasting). */
  private readonly ready = new Map<number, Writer | PoisonError>();
  private readonly pending = new Map<number, Promise<void>>();

  constructor(private readonly registry: SchemaSource, private readonly o: { seedTopic: string; rule: DiscountRule }) {}

  /** Fetches and parses every writer schema these values name that is not known yet. */
  async prepare(values: Iterable<Buffer>): Promise<void> {
    const wanted = new Set<number>();
    for (const v of values) {
      if (v.length >= 5 && v[0] === 0) {
        const id = v.readUInt32BE(1);
        if (!this.ready.has(id)) wanted.add(id);
      }
    }
    await Promise.all([...wanted].map((id) => this.load(id)));
  }

  /** The writer schema ids these packed values name (the framed ones): prepare() for a packed batch. */
  async prepareIds(ids: Iterable<number>): Promise<void> {
    const wanted = new Set<number>();
    for (const id of ids) if (!this.ready.has(id)) wanted.add(id);
    await Promise.all([...wanted].map((id) => this.load(id)));
  }

  /** What a line worker needs to decode with writer schema `id` as this decoder does: its text, or why nothing can. */
  schemaFor(id: number): { text: string } | { poison: string } | undefined {
    const w = this.ready.get(id);
    if (w === undefined) return undefined;
    return w instanceof PoisonError ? { poison: w.message } : { text: w.text };
  }

  /** The source's read time (ms) of the value lineOf() decoded last: for end-to-end latency. */
  lastTsMs: unknown;
  private lastWriter: Writer | undefined;
  private lastSeed = false;
  /** The writer schema id of the value decoded last. */
  lastSchemaId = -1;

  /** The Parquet columns of the lines of a topic written with this schema (fetched if not known yet). */
  async planFor(topic: string, schemaId: number): Promise<ParquetPlan> {
    if (!this.ready.has(schemaId)) await this.load(schemaId);
    const w = this.ready.get(schemaId);
    if (w === undefined) throw new Error(`writer schema ${schemaId} could not be fetched`);
    if (w instanceof PoisonError) throw w;
    this.lastWriter = w;
    this.lastSeed = topic === this.o.seedTopic;
    return this.lastPlan();
  }

  /** The Parquet columns of the value decoded last (its writer schema's, for its table's kind). */
  lastPlan(): ParquetPlan {
    const w = this.lastWriter!;
    const kind = this.lastSeed ? 'seed' : 'table';
    w.plans ??= new Map();
    let plan = w.plans.get(kind);
    if (!plan) {
      plan = this.lastSeed ? productPlan(w.schema) : tablePlan(w.schema);
      w.plans.set(kind, plan);
    }
    return plan;
  }

  /** Decodes a value whose schema prepare() has seen, into its line; throws PoisonError for what can never decode. */
  lineOf(topic: string, value: Buffer, meta: { topic: string; partition: number; offset: number }): string {
    return this.lineAt(topic, value, 0, value.length, meta);
  }

  /** lineOf() for the value at `buf[start, end)`: a batch's values packed into one buffer, no view per message. */
  lineAt(topic: string, buf: Buffer, start: number, end: number, meta: { topic: string; partition: number; offset: number }): string {
    const { record, lines } = this.decodeAt(topic, buf, start, end);
    this.lastTsMs = record.ts_ms ?? record.__ts_ms;
    return lines(record, meta);
  }

  /** The raw Avro record (seed columns named in `null_fields` are SQL NULL) and its table's line maker. */
  decodeReady(topic: string, value: Buffer): { record: Record<string, unknown>; lines: LineMaker } {
    return this.decodeAt(topic, value, 0, value.length);
  }

  /** The writer schema id of a Confluent-framed value at `buf[start, end)`, or undefined when it is not framed. */
  static schemaIdAt(buf: Buffer, start: number, end: number): number | undefined {
    return end - start >= 5 && buf[start] === 0 ? buf.readUInt32BE(start + 1) : undefined;
  }

  private decodeAt(topic: string, buf: Buffer, start: number, end: number): { record: Record<string, unknown>; lines: LineMaker } {
    const schemaId = Decoder.schemaIdAt(buf, start, end);
    if (schemaId === undefined) {
      try {
        unframe(buf.subarray(start, end));
      } catch (err) {
        throw new PoisonError((err as WireFormatError).message, { cause: err });
      }
    }
    const id = schemaId!;
    const writer = this.ready.get(id);
    if (writer === undefined) throw new Error(`writer schema ${id} used before prepare()`);
    if (writer instanceof PoisonError) throw writer;
    const seed = topic === this.o.seedTopic;
    // What lastPlan() needs, kept from the look-up made here anyway.
    this.lastWriter = writer;
    this.lastSeed = seed;
    this.lastSchemaId = id;
    const lines = seed ? (writer.seedLines ?? this.linesFor(writer, 'seed', id)) : (writer.tableLines ?? this.linesFor(writer, 'table', id));
    let decoded: { value: unknown; offset: number };
    try {
      // Decoded in place after the 5-byte header: no view of the body per message.
      decoded = writer.type.decode(buf, start + 5);
    } catch (err) {
      throw new PoisonError(`Avro body does not decode with writer schema ${id}: ${(err as Error).message}`, { cause: err });
    }
    if (decoded.offset !== end) {
      throw new PoisonError(`Avro body does not decode with writer schema ${id}: ${decoded.offset < 0 || decoded.offset > end ? 'truncated' : 'trailing data'}`);
    }
    return { record: decoded.value as Record<string, unknown>, lines };
  }

  private linesFor(writer: Writer, kind: 'seed' | 'table', schemaId: number): LineMaker {
    let lines = writer.lines.get(kind);
    if (!lines) {
      if (kind === 'seed') {
        try {
          this.seedReader.createResolver(writer.type);
          lines = productLines(writer.schema, this.o.rule);
        } catch (err) {
          lines = new PoisonError(`writer schema ${schemaId} cannot be read as ${BASE_SCHEMA.name}: ${(err as Error).message}`, { cause: err });
        }
      } else lines = tableLines(writer.schema);
      writer.lines.set(kind, lines);
    }
    if (lines instanceof PoisonError) throw lines;
    if (kind === 'seed') writer.seedLines = lines;
    else writer.tableLines = lines;
    return lines;
  }

  private load(id: number): Promise<void> {
    let p = this.pending.get(id);
    if (!p) {
      // Only a lasting answer is kept: a registry outage is retried with the next batch.
      p = this.build(id).then((r) => { this.ready.set(id, r); }).finally(() => this.pending.delete(id));
      this.pending.set(id, p);
    }
    return p;
  }

  private async build(id: number): Promise<Writer | PoisonError> {
    let text: string;
    try {
      text = await this.registry.schemaText(id);
    } catch (err) {
      if (err instanceof UnknownSchemaError) return new PoisonError(err.message, { cause: err });
      throw err;
    }
    try {
      const schema = JSON.parse(text) as Writer['schema'];
      return { type: parseValueSchema(schema), text, schema, lines: new Map() };
    } catch (err) {
      return new PoisonError(`writer schema ${id} is not an Avro record schema the pool can read: ${(err as Error).message}`, { cause: err });
    }
  }
}
