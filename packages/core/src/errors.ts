/** Stable codes of {@link CohortError}. */
export type CohortErrorCode =
  /** `spawn`/`serve` was called before `startApp()`. */
  | 'APP_NOT_STARTED'
  /** Two worker types, tasks, messages or map-reduce definitions share a name. */
  | 'DUPLICATE_NAME'
  /** A worker process could not be started: bad entry, missing type, init threw, bad execArgv, early exit. */
  | 'SPAWN_FAILED'
  /** A worker did not report ready within `spawnTimeoutMs`. */
  | 'SPAWN_TIMEOUT'
  /** A worker failed after it started: uncaught exception or unhandled rejection (passed to `onFailure`). */
  | 'WORKER_FAILED'
  /** A function or reference of one worker type was used with another type's worker. */
  | 'WRONG_WORKER_TYPE'
  /** `connectionInit` or `initConnectionState` failed while opening a connection to a worker. */
  | 'CONNECT_FAILED'
  /** Invalid options or arguments. */
  | 'INVALID_ARGUMENT';

/** Errors raised by `@cohort/core` itself. Branch on `code`; the message names the worker and what to do. */
export class CohortError extends Error {
  override readonly name = 'CohortError';
  readonly code: CohortErrorCode;
  /** The worker concerned, by name, when there is one. */
  readonly worker: string | undefined;

  constructor(code: CohortErrorCode, message: string, options: { worker?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.worker = options.worker;
  }
}
