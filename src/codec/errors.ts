import { ConfigError, PipelineError } from '../errors.js';

/** The table changed in a way the value schema cannot follow without breaking its readers. Exit code 4. */
export class SchemaIncompatibleError extends PipelineError {
  override get exitCode(): number {
    return 4;
  }
}

/** The registry refused or could not be reached. Retriable: the position is kept. */
export class RegistryError extends PipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** A Kafka value that is not Confluent-framed Avro. */
export class WireFormatError extends PipelineError {}

/** The registry answered that it has no schema with this id: the message is poison, not the registry down. */
export class UnknownSchemaError extends PipelineError {}

/**
 * SCHEMA_REGISTRY_URL answers, but not with a Confluent-compatible API (a path missing, another service), or
 * refuses the credentials. Exit code 2: no message may be dead-lettered for it, no restart can mend it.
 */
export class RegistryConfigError extends ConfigError {}
