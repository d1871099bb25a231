import { kafkajsOptions, type KafkaConnection } from '../config/kafka.js';
import type Kafka from 'node-rdkafka';
import { PipelineError } from '../errors.js';
import type { Logger } from '../log.js';

/** The topic exists with a layout the pipeline cannot use safely. */
export class TopicMismatchError extends PipelineError {}

/** Another instance with the same transactional id took over; this one must stop producing. Exit code 3. */
export class FencedError extends PipelineError {
  override get exitCode(): number {
    return 3;
  }
}

/** A Kafka call failed; the session restarts from the last committed checkpoint. */
export class KafkaError extends PipelineError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

/** No bootstrap broker accepts a connection (retriable: a daemon waits for them). */
export class KafkaUnreachableError extends KafkaError {}

/** Kafka refused the credentials: a configuration problem that retrying cannot fix. Exit code 2. */
export class KafkaAuthError extends PipelineError {
  override get exitCode(): number {
    return 2;
  }
}

interface RdError { code?: number; message?: string; isFatal?: boolean }

const FENCING_CODES = new Set([-144, 90, 47]); // ERR__FENCED, PRODUCER_FENCED, INVALID_PRODUCER_EPOCH
const AUTH_CODES = new Set([-169, 58]); // ERR__AUTHENTICATION, SASL_AUTHENTICATION_FAILED

function isAuthFailure(err: unknown): err is RdError {
  const e = (err ?? {}) as RdError;
  return (e.code !== undefined && AUTH_CODES.has(e.code)) || /SASL authentication|Authentication failed/i.test(e.message ?? '');
}

/** A failed Kafka call as the pipeline's error: fenced (exit 3), refused credentials (exit 2) or retriable. */
export function kafkaError(what: string, err: unknown): PipelineError {
  if (isAuthFailure(err)) return refused(what, err.message ?? String(err.code), err);
  const e = (err ?? {}) as RdError;
  if (e.code !== undefined && FENCING_CODES.has(e.code)) {
    return new FencedError(
      `${what}: fenced by a newer instance with the same transactional id (${e.message ?? e.code}); ` +
        'this one stops so the newer one owns the position', { cause: err });
  }
  return new KafkaError(`${what}: ${e.message ?? String(err)}`, { cause: err });
}

function refused(what: string, why: string, cause: unknown): KafkaAuthError {
  return new KafkaAuthError(
    `${what}: Kafka refused the credentials (${why}); check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM`, { cause });
}

/**
 * A failed connect, explained. librdkafka reports refused SASL credentials only as a transport failure after
 * its timeout, so with SASL configured one KafkaJS handshake (which does tell) checks the credentials.
 */
export async function connectError(what: string, err: unknown, kafka: KafkaConnection): Promise<PipelineError> {
  const plain = kafkaError(what, err);
  if (!kafka.security.sasl || plain instanceof KafkaAuthError || plain instanceof FencedError) return plain;
  const refusal = await credentialsRefused(kafka);
  return refusal ? refused(what, refusal, err) : plain;
}

/** With SASL configured: the brokers' reason when they refuse the credentials (one KafkaJS handshake), else undefined. */
export async function credentialsRefused(kafka: KafkaConnection): Promise<string | undefined> {
  if (!kafka.security.sasl) return undefined;
  const { Kafka: KafkaJs, logLevel } = await import('kafkajs');
  const admin = new KafkaJs({ ...kafkajsOptions(kafka), clientId: 'cdc-credentials-check', logLevel: logLevel.NOTHING, connectionTimeout: 5000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    return undefined;
  } catch (probe) {
    const e = probe as Error;
    return e.name === 'KafkaJSSASLAuthenticationError' ? e.message : undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Refused credentials, said before librdkafka spends its 30 s finding out (once accepted, not asked again). */
const accepted = new WeakSet<KafkaConnection>();
export async function assertCredentials(what: string, kafka: KafkaConnection): Promise<void> {
  if (!kafka.security.sasl || accepted.has(kafka)) return;
  const refusal = await credentialsRefused(kafka);
  if (refusal) throw refused(what, refusal, undefined);
  accepted.add(kafka);
}

/** librdkafka repeats a broker error on every reconnect attempt; one line per kind per 30 s is enough. */
export function logClientErrors(client: Kafka.Producer | Kafka.KafkaConsumer, logger: Logger): void {
  const last = new Map<string, number>();
  (client as Kafka.Producer).on('event.error', (err: Kafka.LibrdKafkaError) => {
    const kind = `${err.code ?? ''}:${err.message}`;
    if (Date.now() - (last.get(kind) ?? 0) < 30_000) return;
    last.set(kind, Date.now());
    logger.warn(`kafka client: ${err.message}`, { code: err.code });
  });
}
