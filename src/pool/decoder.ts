/**
 * Confluent-framed Avro → the record the transform expects. Each writer schema is resolved once into the
 * reader schema (schemas/product-value.avsc), so older and newer writer versions decode alike.
 * What cannot be decoded is a PoisonError (dead-lettered); a registry that cannot be reached is not.
 */
import avro from 'avsc';
import { UnknownSchemaError, WireFormatError } from '../codec/errors.js';
import type { Registry } from '../codec/registry.js';
import { fromValueRecord } from '../codec/value-record.js';
import { BASE_SCHEMA } from '../codec/value-schema.js';
import { unframe } from '../codec/wire.js';
import { PipelineError } from '../errors.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

export class PoisonError extends PipelineError {}

export class Decoder {
  private readonly reader = avro.Type.forSchema(BASE_SCHEMA as avro.Schema);
  private readonly resolvers = new Map<number, Promise<Resolver>>();

  constructor(private readonly registry: Registry) {}

  async decode(value: Buffer): Promise<Record<string, unknown>> {
    let framed: { schemaId: number; body: Buffer };
    try {
      framed = unframe(value);
    } catch (err) {
      throw new PoisonError((err as WireFormatError).message, { cause: err });
    }
    const resolver = await this.resolver(framed.schemaId);
    try {
      return fromValueRecord(this.reader.fromBuffer(framed.body, resolver) as Record<string, unknown>);
    } catch (err) {
      throw new PoisonError(`Avro body does not decode with writer schema ${framed.schemaId}: ${(err as Error).message}`, { cause: err });
    }
  }

  private resolver(id: number): Promise<Resolver> {
    let r = this.resolvers.get(id);
    if (!r) {
      r = this.build(id);
      this.resolvers.set(id, r);
      // Only a lasting answer is cached: a registry outage is retried on the next message.
      r.catch((err) => { if (!(err instanceof PoisonError)) this.resolvers.delete(id); });
    }
    return r;
  }

  private async build(id: number): Promise<Resolver> {
    let writer: avro.Type;
    try {
      writer = await this.registry.typeOf(id);
    } catch (err) {
      if (err instanceof UnknownSchemaError) throw new PoisonError(err.message, { cause: err });
      throw err;
    }
    try {
      return this.reader.createResolver(writer);
    } catch (err) {
      throw new PoisonError(`writer schema ${id} cannot be read as ${BASE_SCHEMA.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}
