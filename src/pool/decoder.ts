/**
 * Confluent-framed Avro → the record the transform expects. Each writer schema is resolved once into the
 * reader schema (schemas/product-value.avsc), so older and newer writer versions decode alike.
 * A batch is prepared first (every writer schema it names fetched, once), then decoded without awaiting per
 * message. What cannot be decoded is a PoisonError (dead-lettered); a registry that cannot be reached is not.
 */
import avro from 'avsc';
import { UnknownSchemaError, WireFormatError } from '../codec/errors.js';
import type { Registry } from '../codec/registry.js';
import { BASE_SCHEMA } from '../codec/value-schema.js';
import { unframe } from '../codec/wire.js';
import { PipelineError } from '../errors.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

export class PoisonError extends PipelineError {}

export class Decoder {
  private readonly reader = avro.Type.forSchema(BASE_SCHEMA as avro.Schema);
  /** Writer schema id → its resolver, or the PoisonError that says why there is none (kept: it is lasting). */
  private readonly ready = new Map<number, Resolver | PoisonError>();
  private readonly pending = new Map<number, Promise<void>>();

  constructor(private readonly registry: Registry) {}

  /** Fetches and resolves every writer schema these values name that is not known yet. */
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

  /**
   * Decodes a value whose schema prepare() has seen; throws PoisonError for what can never decode. The record
   * is the raw Avro record: columns named in its `null_fields` are SQL NULL (see fromValueRecord).
   */
  decodeReady(value: Buffer): Record<string, unknown> {
    if (value.length < 5 || value[0] !== 0) {
      try {
        unframe(value);
      } catch (err) {
        throw new PoisonError((err as WireFormatError).message, { cause: err });
      }
    }
    const schemaId = value.readUInt32BE(1);
    const resolver = this.ready.get(schemaId);
    if (resolver === undefined) throw new Error(`writer schema ${schemaId} used before prepare()`);
    if (resolver instanceof PoisonError) throw resolver;
    let decoded: { value: unknown; offset: number };
    try {
      // Decoded in place after the 5-byte header: no view of the body per message.
      decoded = this.reader.decode(value, 5, resolver);
    } catch (err) {
      throw new PoisonError(`Avro body does not decode with writer schema ${schemaId}: ${(err as Error).message}`, { cause: err });
    }
    if (decoded.offset !== value.length) {
      throw new PoisonError(`Avro body does not decode with writer schema ${schemaId}: ${decoded.offset < 0 ? 'truncated' : 'trailing data'}`);
    }
    return decoded.value as Record<string, unknown>;
  }

  async decode(value: Buffer): Promise<Record<string, unknown>> {
    await this.prepare([value]);
    return this.decodeReady(value);
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

  private async build(id: number): Promise<Resolver | PoisonError> {
    let writer: avro.Type;
    try {
      writer = await this.registry.typeOf(id);
    } catch (err) {
      if (err instanceof UnknownSchemaError) return new PoisonError(err.message, { cause: err });
      throw err;
    }
    try {
      return this.reader.createResolver(writer);
    } catch (err) {
      return new PoisonError(`writer schema ${id} cannot be read as ${BASE_SCHEMA.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
