import { PipelineError } from '../errors.js';

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

interface RdError { code?: number; message?: string; isFatal?: boolean }

const FENCING_CODES = new Set([-144, 90, 47]); // ERR__FENCED, PRODUCER_FENCED, INVALID_PRODUCER_EPOCH

export function kafkaError(what: string, err: unknown): PipelineError {
  const e = (err ?? {}) as RdError;
  if (e.code !== undefined && FENCING_CODES.has(e.code)) {
    return new FencedError(
      `${what}: fenced by a newer instance with the same transactional id (${e.message ?? e.code}); ` +
        'this one stops so the newer one owns the position', { cause: err });
  }
  return new KafkaError(`${what}: ${e.message ?? String(err)}`, { cause: err });
}
