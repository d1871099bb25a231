/**
 * The schema registry behind two calls: register a writer schema (cached, so the registry is asked once per
 * schema version per process) and fetch a writer schema by id (cached, for readers).
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { parseValueSchema } from './avro-parse.js';
import { RegistryConfigError, RegistryError, SchemaIncompatibleError, UnknownSchemaError } from './errors.js';
import { describeFieldChanges } from './schema-diff.js';

export class Registry {
  private readonly client: SchemaRegistry;
  private readonly ids = new Map<string, number>();
  private readonly texts = new Map<number, Promise<string>>();
  private readonly types = new Map<number, Promise<avro.Type>>();

  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(target: string | { url: string; auth?: { username: string; password: string } | undefined }) {
    const { url, auth } = typeof target === 'string' ? { url: target, auth: undefined } : target;
    this.url = url;
    this.headers = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};
    this.client = new SchemaRegistry({ host: url, ...(auth ? { auth } : {}) }, { forSchemaOptions: {} });
  }

  /**
   * Asks the registry for its subjects: the cheapest call of the Confluent API. A wrong path (Apicurio answers
   * 404 at its bare port) or refused credentials are a RegistryConfigError; a registry that cannot be reached
   * is a retriable RegistryError, as everywhere else.
   */
  async check(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/subjects`, { headers: this.headers, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw this.explain('checking the schema registry', err);
    }
    const body = await res.text().catch(() => '');
    if (res.status === 401 || res.status === 403) {
      throw new RegistryConfigError(`the schema registry at ${this.url} refused the credentials (HTTP ${res.status}); check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD`);
    }
    if (res.ok && isJsonArray(body)) return;
    if (res.status >= 500) throw new RegistryError(`checking the schema registry at ${this.url}: HTTP ${res.status}; retrying`);
    throw new RegistryConfigError(
      `SCHEMA_REGISTRY_URL=${this.url} does not serve a Confluent-compatible registry API (GET /subjects answered HTTP ${res.status}); ` +
        'set it to the API\'s base URL (for Apicurio Registry it ends in /apis/ccompat/v7)');
  }

  /** check(), where an outage is for later calls to retry: throws only a RegistryConfigError; says what else went wrong. */
  async checkSettings(): Promise<string | undefined> {
    try {
      await this.check();
      return undefined;
    } catch (err) {
      if (err instanceof RegistryConfigError) throw err;
      return (err as Error).message;
    }
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
      const e = err as { status?: number; message?: string };
      if (e.status === 409 || /incompatible/i.test(e.message ?? '')) throw await this.incompatible(subject, schemaText, err);
      throw this.explain(`registering a schema under ${subject}`, err);
    }
  }

  /** A 409 is a decision, not an outage: retrying cannot change it. Says which columns changed and what to do. */
  private async incompatible(subject: string, schemaText: string, err: unknown): Promise<SchemaIncompatibleError> {
    let changes = 'the column changes could not be listed';
    try {
      const res = await fetch(`${this.url}/subjects/${encodeURIComponent(subject)}/versions/latest`, { headers: this.headers });
      if (res.ok) changes = describeFieldChanges(JSON.parse(((await res.json()) as { schema: string }).schema), JSON.parse(schemaText));
    } catch {
      // the message below is still actionable without the list
    }
    return new SchemaIncompatibleError(
      `the registry refuses the new value schema under ${subject} as not BACKWARD compatible with its latest version ` +
        `(${changes}); change the column back, or, if every reader copes, set the subject's compatibility to NONE ` +
        `(PUT ${this.url}/config/${subject}) and restart: the source stopped before that change and resumes from it`,
      { cause: err });
  }

  /** The writer schema with this id, parsed once (a column's long may be a BigInt: src/codec/avro-parse.ts). */
  typeOf(id: number): Promise<avro.Type> {
    let type = this.types.get(id);
    if (!type) {
      type = this.schemaText(id).then((text) => parseValueSchema(text));
      this.types.set(id, type);
      type.catch(() => this.types.delete(id));
    }
    return type;
  }

  /** The writer schema's text with this id, fetched once. */
  schemaText(id: number): Promise<string> {
    let text = this.texts.get(id);
    if (!text) {
      text = this.fetch(id);
      this.texts.set(id, text);
      text.catch(() => this.texts.delete(id));
    }
    return text;
  }

  private async fetch(id: number): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/schemas/ids/${id}`, { headers: this.headers });
    } catch (err) {
      throw this.explain(`fetching schema ${id}`, err);
    }
    if (res.status === 404) {
      // Only the API's own "schema not found" (40403) makes the message poison; any other 404 is the URL.
      const body = await res.text().catch(() => '');
      if (errorCode(body) === 40403) throw new UnknownSchemaError(`schema id ${id} is unknown to the registry at ${this.url}`);
      throw new RegistryConfigError(
        `SCHEMA_REGISTRY_URL=${this.url} answered HTTP 404 without the registry API's error code for schema ${id}; ` +
          'set it to the API\'s base URL (for Apicurio Registry it ends in /apis/ccompat/v7)');
    }
    if (!res.ok) throw new RegistryError(`fetching schema ${id} from ${this.url}: HTTP ${res.status}`);
    const body = (await res.json()) as { schema: string };
    return body.schema;
  }

  private explain(what: string, err: unknown): RegistryError | RegistryConfigError {
    const e = err as { message?: string; status?: number; cause?: { code?: string } };
    if (e.status === 404 || e.status === 401 || e.status === 403) {
      return new RegistryConfigError(
        `${what}: the registry at ${this.url} answered HTTP ${e.status}; check SCHEMA_REGISTRY_URL` +
          `${e.status === 404 ? ' (for Apicurio Registry it ends in /apis/ccompat/v7)' : ', SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD'}`,
        { cause: err });
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

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

function errorCode(text: string): number | undefined {
  try {
    const code = (JSON.parse(text) as { error_code?: unknown }).error_code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}
