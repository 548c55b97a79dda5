import { z } from 'zod';
import { defaultWorkerCount } from '../common/defaults.js';
import { checkOptions, lazily } from '../common/options.js';
import { checkProcessOptions, type ProcessOptions } from '../parallel/spawn-options.js';
import type { ExitStatus } from '../process/exit-status.js';
import type { Message } from './message.js';
import type { SchedulerTaskContext } from './task-context.js';

/**
 * How a task ended, as `onFinish` sees it. A failure's `error` is its text (the thrown error's message, or how the
 * worker ended); its `cause` is the same failure as an `Error`: a `RemoteError` for what the task threw (with its
 * name, stack, code, fields, cause chain and `errors`, as for a worker function), a `ValidationError` for an input or
 * output its schema refused, an `RpcError` `CONNECTION_CLOSED` for a worker that died. `cause` is not enumerable, so
 * a result logged or turned into JSON is `{ ok, error }` as it always was.
 */
export type TaskResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string; readonly cause: Error };

/** Options of `scheduler.addTask`. */
export interface AddTaskOptions<Output> {
  /**
   * Milliseconds after the task starts before its worker is sent `termSignal` (and `onTermTimeout` is called).
   * @example 5000
   */
  termTimeoutMs?: number;
  /**
   * Alone: milliseconds after the task starts before its worker is SIGKILLed. With `termTimeoutMs`: milliseconds
   * after the term signal. `onKillTimeout` is called when it fires.
   */
  killTimeoutMs?: number;
  /** The signal `termTimeoutMs` (and `stop()`) sends. @default 'SIGTERM' */
  termSignal?: NodeJS.Signals;
  onTermTimeout?: () => void;
  onKillTimeout?: () => void;
  /**
   * Called when the task starts on a worker: when it is sent to an idle worker, or, for a task sent ahead to a busy
   * worker (see `prefetch`), when that worker reports the task before it. Its timeouts count from here; `ctx.send`
   * messages the task. If the task never ran there (its worker had just quit on its `workerIdleTimeoutMs`, or died
   * before starting it), it is sent to another worker and this fires again.
   */
  onStart?: (ctx: SchedulerTaskContext) => void;
  /** Called for each message the task sends, in order, before `onFinish`. */
  onMessage?: (ctx: SchedulerTaskContext, message: Message) => void;
  /** Called exactly once per started task. */
  onFinish?: (result: TaskResult<Output>) => void;
}

/** The worker a run-level handler is about. */
export interface SchedulerWorkerInfo {
  readonly id: string;
  readonly name: string;
  readonly pid: number;
  /** 0-based, in spawn order within this scheduler. */
  readonly index: number;
}

/** Options of `scheduler.run`. */
export interface SchedulerRunOptions {
  /** At most this many tasks run at once, each in its own worker process. Must be ≥ 1. @default os.availableParallelism() */
  maxWorkers?: number;
  /**
   * A worker left without a task for this many milliseconds (counted from the scheduler's connection, then from
   * each task's end) exits by itself: a safety net for a scheduler that stops responding. A task sent to it as it
   * quit goes to another worker.
   */
  workerIdleTimeoutMs?: number;
  /**
   * Milliseconds after a worker is told to stop (the queue was empty) before it is SIGKILLed if still alive;
   * `onWorkerKillTimeout` is then called.
   */
  workerKillTimeoutMs?: number;
  onWorkerKillTimeout?: (worker: SchedulerWorkerInfo) => void;
  /** Called when a worker is available and the queue is empty; it may add tasks. */
  onEmptyQueue?: () => void;
  /** Receives messages a worker sends while not running a task. */
  onMessage?: (worker: SchedulerWorkerInfo, message: Message) => void;
  /** Called when a worker exits without having been told to (its running task, if any, has failed). */
  onUnexpectedWorkerExit?: (status: ExitStatus, worker: SchedulerWorkerInfo) => void;
  /** Called when a worker process has started and is ready. */
  onWorkerSpawn?: (worker: SchedulerWorkerInfo) => void;
  /**
   * Sends a busy worker its next tasks while it still runs one (when more tasks are queued than idle workers will
   * take), so that it starts each without waiting a round trip for the scheduler: for many short tasks. `true` sends
   * up to 4 ahead per worker, a number up to that many, `false` or 0 none. A task sent ahead still counts as started
   * (`onStart`, its timeouts) only once its worker has reported the task before it, and `stop()`, `clearQueue()` and
   * a term signal recall it if it has not started there. What it gives up: tasks still go out in `addTask` order, and
   * start in that order on each worker, but a task waiting on a busy worker may start after a later one that went to
   * a worker that came free first.
   * @default false
   */
  prefetch?: boolean | number;
  /** How and where worker processes are started. */
  spawn?: ProcessOptions;
  /**
   * Writes a Chrome trace-event JSON file (open it in Perfetto or chrome://tracing) when the run ends: one track
   * per worker, one slice per task.
   * @example 'build-trace.json'
   */
  trace?: string;
}

/** How many tasks `prefetch: true` sends ahead to each busy worker. */
export const DEFAULT_PREFETCH = 4;

/** Run options checked, with `maxWorkers` defaulted and `prefetch` as a number of tasks. */
export type ResolvedRunOptions = Omit<SchedulerRunOptions, 'prefetch'> & {
  readonly maxWorkers: number;
  readonly prefetch: number;
};

const runOptionsSchema = lazily(() => {
  const milliseconds = z.number().int().nonnegative();
  const handler = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'must be a function');
  return z.strictObject({
    maxWorkers: z.number().int().min(1, 'must be an integer ≥ 1').optional(),
    workerIdleTimeoutMs: milliseconds.optional(),
    workerKillTimeoutMs: milliseconds.optional(),
    onWorkerKillTimeout: handler.optional(),
    onEmptyQueue: handler.optional(),
    onMessage: handler.optional(),
    onUnexpectedWorkerExit: handler.optional(),
    onWorkerSpawn: handler.optional(),
    prefetch: z.union([z.boolean(), z.number().int().nonnegative()]).optional(),
    spawn: z.unknown().optional(),
    trace: z.string().min(1).optional(),
  });
});

export function resolveRunOptions(options: SchedulerRunOptions): ResolvedRunOptions {
  const checked = checkOptions(runOptionsSchema(), options, 'scheduler.run()');
  const spawn = checkProcessOptions(options.spawn as ProcessOptions | undefined, 'scheduler.run(): option spawn');
  const prefetch =
    checked.prefetch === true ? DEFAULT_PREFETCH : checked.prefetch === false ? 0 : (checked.prefetch ?? 0);
  return { ...options, spawn, maxWorkers: checked.maxWorkers ?? defaultWorkerCount(), prefetch };
}
