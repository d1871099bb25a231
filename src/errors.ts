/**
 * Every error the pipeline raises on purpose is one of these: a stable code for logs and exit codes,
 * whether retrying can help, and a message that says what to do.
 */
export class PipelineError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  /** The process exit code when this error ends a command. */
  get exitCode(): number {
    return 1;
  }

  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = new.target.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
    this.retriable = options.retriable ?? false;
  }
}

/** A setting is missing or malformed. Exit code 2. */
export class ConfigError extends PipelineError {
  override get exitCode(): number {
    return 2;
  }
}

/** A command-line argument is wrong. Exit code 2. */
export class UsageError extends PipelineError {
  override get exitCode(): number {
    return 2;
  }
}

/** Exit codes by error class, so scripts and supervisors (systemd, compose) can tell them apart. */
export function exitCodeFor(err: unknown): number {
  return err instanceof PipelineError ? err.exitCode : 1;
}
