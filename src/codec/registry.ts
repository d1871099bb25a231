/**
 * The schema registry behind two calls: register a writer schema (cached, so the registry is asked once per
 * schema version per process) and fetch a writer schema by id (cached, for readers).
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { RegistryError, UnknownSchemaError } from './errors.js';

export class Registry {
  private readonly client: SchemaRegistry;
  private readonly ids = new Map<string, number>();
  private readonly types = new Map<number, Promise<avro.Type>>();

  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(target: string | { url: string; auth?: { username: string; password: string } | undefined }) {
    const { url, auth } = typeof target === 'string' ? { url: target, auth: undefined } : target;
    this.url = url;
    this.headers = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
    this.client = new SchemaRegistry({ host: url, ...(auth ? { auth } : {}) }, { forSchemaOptions: {} });
  }

  /** Registers under `subject` with BACKWARD compatibility set explicitly; returns the schema id. */
  async register(subject: string, schemaText: string): Promise<number> {
    const cached = this.ids.get(`${subject}\n${schemaText}`);
    if (cached !== undefined) return cached;
    try {
      const { id } = await this.client.register(
        { type: SchemaType.AVRO, schema: schemaText },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
      this.ids.set(`${subject}\n${schemaText}`, id);
      return id;
    } catch (err) {
      throw this.explain(`registering a schema under ${subject}`, err);
    }
  }

  /** The writer schema with this id, parsed once. */
  typeOf(id: number): Promise<avro.Type> {
    let type = this.types.get(id);
    if (!type) {
      type = this.fetch(id);
      this.types.set(id, type);
      type.catch(() => this.types.delete(id));
    }
    return type;
  }

  private async fetch(id: number): Promise<avro.Type> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/schemas/ids/${id}`, { headers: this.headers });
    } catch (err) {
      throw this.explain(`fetching schema ${id}`, err);
    }
    if (res.status === 404) throw new UnknownSchemaError(`schema id ${id} is unknown to the registry at ${this.url}`);
    if (!res.ok) throw new RegistryError(`fetching schema ${id} from ${this.url}: HTTP ${res.status}`);
    const body = (await res.json()) as { schema: string };
    return avro.Type.forSchema(JSON.parse(body.schema));
  }

  private explain(what: string, err: unknown): RegistryError {
    const e = err as { message?: string; status?: number; cause?: { code?: string } };
    if (e.status === 409 || /incompatible/i.test(e.message ?? '')) {
      return new RegistryError(`${what}: the registry rejected it as incompatible (${e.message}); the position is kept`, { cause: err });
    }
    const unreachable = /ECONNREFUSED|ENOTFOUND|fetch failed|socket hang up/i.test(`${e.message} ${e.cause?.code ?? ''}`);
    return new RegistryError(
      unreachable
        ? `${what}: schema registry unreachable at ${this.url}; start it or fix SCHEMA_REGISTRY_URL (retrying)`
        : `${what}: ${e.message ?? String(err)}`,
      { cause: err },
    );
  }
}
