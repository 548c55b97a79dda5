/** Every code a {@link CohortError} may carry, with when it is used: the type and the docs come from this table. */
export const COHORT_ERROR_CODES = {
  /** `spawn`/`serve`/`connect` was called before `startApp()`. */
  APP_NOT_STARTED: 'spawn, serve or connect before startApp()',
  /** Two worker types, tasks, messages or map-reduce definitions share a name. */
  DUPLICATE_NAME: 'a name defined twice',
  /**
   * A worker process could not be started: bad entry, missing type, a type that differs from the spawner's (version
   * skew), init threw, bad execArgv, early exit.
   */
  SPAWN_FAILED: 'a worker could not be started',
  /** A worker did not report ready within `spawnTimeoutMs`. */
  SPAWN_TIMEOUT: 'a worker was not ready in time',
  /** A worker failed after it started: uncaught exception or unhandled rejection (passed to `onFailure`). */
  WORKER_FAILED: 'a worker failed after it started',
  /** A function or reference of one worker type was used with another type's worker. */
  WRONG_WORKER_TYPE: 'a function or reference of another worker type',
  /** `connectionInit` or `initConnectionState` failed while opening a connection to a worker. */
  CONNECT_FAILED: 'a connection to a worker could not be set up',
  /** Invalid options or arguments (the message names the option). */
  INVALID_ARGUMENT: 'an invalid option or argument',
  /** `pool.run` while `maxQueue` calls already wait. */
  QUEUE_FULL: 'a pool whose queue is full',
  /** `pool.run` after `pool.close()` (or a queued call when the pool closed without draining). */
  POOL_CLOSED: 'a pool that is closed',
  /** The pool's workers kept failing to start: it stopped, and every call rejects with this (the cause is the last failure). */
  POOL_FAILED: 'a pool whose workers keep failing to start',
  /** A task's `ctx.receive()` was used after its task had finished. */
  TASK_FINISHED: 'a task context used after its task finished',
} as const;

/** Stable codes of {@link CohortError}. */
export type CohortErrorCode = keyof typeof COHORT_ERROR_CODES;

/** How a process ended: an exit code, or the signal that ended it. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Errors raised by `@cohort/core` itself. Branch on `code`; the message names the worker and what to do. */
export class CohortError extends Error {
  override readonly name = 'CohortError';
  readonly code: CohortErrorCode;
  /** The worker concerned, by name, when there is one. */
  readonly worker: string | undefined;
  /** For `SPAWN_FAILED` because the worker's process ended by itself (or was killed from outside): how it ended. */
  readonly exitStatus: ExitStatus | undefined;

  constructor(
    code: CohortErrorCode,
    message: string,
    options: { worker?: string; cause?: unknown; exitStatus?: ExitStatus } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.worker = options.worker;
    this.exitStatus = options.exitStatus;
  }
}
