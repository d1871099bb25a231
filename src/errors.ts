/**
 * Every error the pipeline raises on purpose is one of these: a stable code for logs and exit codes,
 * whether retrying can help, and a message that says what to do.
 */
export class PipelineError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = new.target.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
    this.retriable = options.retriable ?? false;
  }
}

/** A setting is missing or malformed. Exit code 2. */
export class ConfigError extends PipelineError {}

/** A command-line argument is wrong. Exit code 2. */
export class UsageError extends PipelineError {}

/** Exit codes by error class, so scripts and supervisors (systemd, compose) can tell them apart. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError || err instanceof UsageError) return 2;
  return 1;
}
