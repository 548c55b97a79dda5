import type { z } from 'zod';
import type { Message, MessageType } from './message.js';

/** What a task's `run` receives: messaging with the scheduler, and cancellation. */
export interface TaskContext {
  /** The scheduler worker's id. */
  readonly workerId: string;
  /** Aborted when the scheduler gives up on the task (its connection closed). */
  readonly signal: AbortSignal;
  /** Sends a message to the scheduler; its `onMessage` handlers see them in order, before `onFinish`. */
  send<S extends z.ZodType>(type: MessageType<string, S>, value: z.input<S>): void;
  /** Waits for the next message of `type` from the scheduler (FIFO), and returns its value. */
  receive<S extends z.ZodType>(type: MessageType<string, S>): Promise<z.output<S>>;
  /** Waits for the next message of any type from the scheduler (FIFO). */
  receive(): Promise<Message>;
}

/** The scheduler's side of a running task: `onStart(ctx)` and `onMessage(ctx, msg)` receive it. */
export interface SchedulerTaskContext {
  /** The task's name and the worker running it. */
  readonly task: string;
  readonly workerId: string;
  readonly workerPid: number;
  /** Sends a message to the task (it reads it with `ctx.receive`). Ignored once the task has finished. */
  send<S extends z.ZodType>(type: MessageType<string, S>, value: z.input<S>): void;
}

/** `currentWorkerContext()`: the scheduler worker this process is, seen from inside it. */
export interface WorkerContext {
  readonly workerId: string;
  /** The worker's index among the scheduler's workers (0-based, in spawn order). */
  readonly workerIndex: number;
  /**
   * Sends a message to the scheduler: attributed to the running task if there is one, otherwise received by the
   * run-level `onMessage`.
   */
  send<S extends z.ZodType>(type: MessageType<string, S>, value: z.input<S>): void;
}
