import {
  Rpc,
  type Connection,
  ValidationError,
  formatIssues,
  isPromiseLike,
  messageOf,
  toWireError,
} from '@cohort/rpc/internal';
import { z } from 'zod';
import { CohortError } from '../common/errors.js';
import { lazily } from '../common/options.js';
import { exitWorker } from '../parallel/worker-exit.js';
import { warn } from '../common/warnings.js';
import type { Message, AnyMessageType } from './message.js';
import { decodeMessage, encodeMessage } from './message.js';
import { taskTypes, type AnyTaskType } from './task.js';
import type { TaskOutcome } from './task-wire.js';
import type { TaskContext, WorkerContext } from './task-context.js';
import { RunContext } from './run-context.js';

// Built on first use, as the scheduler's worker type that uses them (see scheduler-worker.ts).
const wireMessage = lazily(() => z.object({ type: z.string(), value: z.unknown() }));
export const deliverInput = lazily(() => z.object({ taskId: z.number(), message: wireMessage() }));

/**
 * Worker → scheduler: a message from a task (`taskId`) or from outside any task (`null`). Sent over the same
 * connection as the task's result, so a task's messages always arrive before its `onFinish`.
 */
export const taskMessage = lazily(() =>
  Rpc.oneWay({
    name: '__cohort.scheduler/message',
    input: z.object({ taskId: z.number().nullable(), message: wireMessage() }),
  }),
);

interface Waiter {
  readonly type: string | undefined;
  resolve(message: Message): void;
}

/** A task this worker was sent: running, or waiting behind the running one (sent ahead by the scheduler). */
interface WorkerTask {
  readonly taskId: number;
  readonly name: string;
  readonly input: unknown;
  readonly call: TaskCall;
  /** Messages from the scheduler, kept from the task's arrival: one sent from `onStart` may precede its start. */
  readonly inbox: Message[];
  readonly waiters: Waiter[];
  /** For a task waiting its turn: settles its `run` call. */
  settle?: (outcome: TaskOutcome | Promise<TaskOutcome>) => void;
}

interface TaskCall {
  readonly signal: AbortSignal;
  readonly connection: Connection;
}

/** The outcome of a task recalled before it started: it never ran here. */
const RECALLED: TaskOutcome = [null];

let current: WorkerRuntime | undefined;

/** The worker context when this process is a scheduler worker; `undefined` anywhere else. */
export function currentWorkerContext(): WorkerContext | undefined {
  return current?.context;
}

/**
 * A failed task's outcome: its text as `onFinish` has always reported it (the message of what it threw), and what it
 * threw as a wire error, whole (name, stack, code, fields, cause chain; cut to size, never throwing).
 */
function failure(text: string, thrown: unknown): TaskOutcome {
  return [false, text, toWireError(thrown)];
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    return messageOf(error);
  }
}

/** A task's output checked against its schema: its outcome. */
function checkOutput(type: AnyTaskType, name: string, output: unknown): TaskOutcome {
  const checked = type.output.safeParse(output);
  if (checked.success) return [true, checked.data];
  const invalid = new ValidationError({
    side: 'output',
    subject: `task ${name}`,
    issues: checked.error.issues,
    what: 'output',
  });
  return failure(`task "${name}" returned an invalid output: ${formatIssues(checked.error.issues)}`, invalid);
}

/**
 * The worker side of the scheduler: runs one task at a time and carries its messages. The scheduler may send the
 * next task while one runs; it waits here and starts once the running task's result is written, so that a task that
 * kills this process is never taken for one that never started.
 */
export class WorkerRuntime {
  readonly context: WorkerContext;
  private task: WorkerTask | undefined;
  /** Tasks sent ahead, in arrival order (at most the run's `prefetch` of them). */
  private readonly waiting: WorkerTask[] = [];
  private startScheduled = false;
  private scheduler: Connection | undefined;
  /** Messages sent before the scheduler's connection was known (before the first task). */
  private readonly early: { taskId: number | null; message: Message }[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set once the idle timeout fired: the process is about to exit and starts no task. */
  private quitting = false;
  private readonly startWaiting = (): void => this.startNext();

  constructor(
    readonly workerId: string,
    readonly workerIndex: number,
    private readonly idleTimeoutMs: number | undefined,
  ) {
    this.context = {
      workerId,
      workerIndex,
      send: (type, value) => this.send(type as AnyMessageType, value, this.task?.taskId ?? null),
    };
  }

  /** Makes this the process's scheduler worker, as `currentWorkerContext()` returns it (once, at worker start). */
  static start(workerId: string, workerIndex: number, idleTimeoutMs: number | undefined): WorkerRuntime {
    current = new WorkerRuntime(workerId, workerIndex, idleTimeoutMs);
    return current;
  }

  /**
   * The scheduler has connected. The idle timeout counts from here, not from the worker's start: a worker that
   * timed out before its scheduler could even connect would fail the spawn (`workerIdleTimeoutMs` shorter than a
   * slow start-up).
   */
  connected(): void {
    if (this.task === undefined) this.armIdleTimer();
  }

  /**
   * Runs a task to its outcome: at once if this worker is free, else after the tasks before it. A task that
   * returns synchronously is answered synchronously (no promise per task).
   */
  runTask(taskId: number, name: string, input: unknown, call: TaskCall): TaskOutcome | Promise<TaskOutcome> {
    // Never settles: the process exits within a tick, and the scheduler, told so, sends the task elsewhere.
    if (this.quitting) return new Promise<never>(() => undefined);
    this.useConnection(call.connection);
    const task: WorkerTask = { taskId, name, input, call, inbox: [], waiters: [] };
    if (this.task === undefined && this.waiting.length === 0) return this.execute(task);
    return new Promise((resolve) => {
      task.settle = resolve;
      this.waiting.push(task);
    });
  }

  /**
   * The scheduler takes back a task it sent ahead (it was stopped, cleared its queue, or signalled this worker):
   * true if the task had not started, and then never will here; false if it has started (or already ended).
   */
  recall(taskId: number): boolean {
    const index = this.waiting.findIndex((task) => task.taskId === taskId);
    if (index === -1) return false;
    const [task] = this.waiting.splice(index, 1);
    task!.settle!(RECALLED);
    if (this.task === undefined && this.waiting.length === 0) this.armIdleTimer();
    return true;
  }

  /** A message from the scheduler; delivered only to the task it was meant for, running or waiting. */
  deliver(taskId: number, raw: { type: string; value: unknown }): void {
    const task = this.task?.taskId === taskId ? this.task : this.waiting.find((waiting) => waiting.taskId === taskId);
    if (task === undefined) return;
    const message = decodeMessage(raw);
    if (typeof message === 'string') {
      warn('COHORT_BAD_MESSAGE', `scheduler worker ${this.workerId}: dropped a message: ${message}`);
      return;
    }
    const index = task.waiters.findIndex((w) => w.type === undefined || w.type === message.type);
    if (index === -1) task.inbox.push(message);
    else task.waiters.splice(index, 1)[0]!.resolve(message);
  }

  private execute(task: WorkerTask): TaskOutcome | Promise<TaskOutcome> {
    clearTimeout(this.idleTimer);
    const entry = taskTypes.get(task.name);
    if (entry === undefined) {
      const text = `task "${task.name}" is not defined by this program; define it with Task.define at top level, before startApp()`;
      return this.end(task, failure(text, new Error(text)));
    }
    this.task = task;
    let output: unknown;
    try {
      const parsed = entry.type.input.safeParse(task.input);
      if (!parsed.success) {
        const invalid = new ValidationError({
          side: 'input',
          subject: `task ${task.name}`,
          issues: parsed.error.issues,
          what: 'input',
        });
        const text = `invalid input for task "${task.name}": ${formatIssues(parsed.error.issues)}`;
        return this.end(task, failure(text, invalid));
      }
      output = entry.run(parsed.data, this.taskContext(task));
    } catch (error) {
      return this.end(task, failure(errorText(error), error));
    }
    if (!isPromiseLike(output)) return this.end(task, checkOutput(entry.type, task.name, output));
    return Promise.resolve(output).then(
      (value) => this.end(task, checkOutput(entry.type, task.name, value)),
      (error: unknown) => this.end(task, failure(errorText(error), error)),
    );
  }

  /**
   * The task ended: the next one waiting starts in a later turn of the event loop, after this outcome has been
   * answered and written, and after the socket has been read once more (a recall may be waiting there).
   */
  private end(task: WorkerTask, outcome: TaskOutcome): TaskOutcome {
    if (this.task === task) this.task = undefined;
    if (this.waiting.length > 0) {
      if (!this.startScheduled) {
        this.startScheduled = true;
        setImmediate(this.startWaiting);
      }
    } else this.armIdleTimer();
    return outcome;
  }

  private startNext(): void {
    this.startScheduled = false;
    const next = this.waiting[0];
    if (next === undefined || this.task !== undefined) return;
    const written = next.call.connection.written();
    if (written !== undefined) {
      this.startScheduled = true;
      void written.then(this.startWaiting);
      return;
    }
    this.waiting.shift();
    next.settle!(this.execute(next));
  }

  private useConnection(connection: Connection): void {
    if (this.scheduler === connection) return;
    this.scheduler = connection;
    for (const { taskId, message } of this.early.splice(0)) this.post(taskId, message);
  }

  /** `taskId` is the sender's task: the scheduler routes messages of a finished task to its run-level handler. */
  private send(type: AnyMessageType, value: unknown, taskId: number | null): void {
    const message = encodeMessage(type, value);
    if (this.scheduler === undefined) this.early.push({ taskId, message });
    else this.post(taskId, message);
  }

  private post(taskId: number | null, message: Message): void {
    // One-way dispatch writes in order on the task's connection, ahead of the task's result.
    this.scheduler!.dispatch(taskMessage(), { taskId, message }).catch(() => undefined);
  }

  /** `call.signal` is read only if the task reads `ctx.signal`: creating it costs a controller per task. */
  private taskContext(task: WorkerTask): TaskContext {
    const taskId = task.taskId;
    const receive = (type?: AnyMessageType): Promise<unknown> => {
      if (this.task !== task) {
        return Promise.reject(
          new CohortError(
            'TASK_FINISHED',
            'ctx.receive() called after the task finished: receive only while the task runs',
          ),
        );
      }
      const index = task.inbox.findIndex((m) => type === undefined || m.type === type.name);
      const found = index === -1 ? undefined : task.inbox.splice(index, 1)[0];
      const unwrap = (m: Message): unknown => (type === undefined ? m : m.value);
      if (found !== undefined) return Promise.resolve(unwrap(found));
      return new Promise((resolve) => task.waiters.push({ type: type?.name, resolve: (m) => resolve(unwrap(m)) }));
    };
    return new RunContext(
      this.workerId,
      task.call,
      (type, value) => this.send(type as AnyMessageType, value, taskId),
      receive as TaskContext['receive'],
    );
  }

  private armIdleTimer(): void {
    const ms = this.idleTimeoutMs;
    if (ms === undefined) return;
    clearTimeout(this.idleTimer);
    // `workerIdleTimeoutMs`: a worker left without a task that long exits by itself.
    this.idleTimer = setTimeout(() => this.quitIdle(), ms);
  }

  /**
   * Quits on the idle timeout. A task the scheduler may have sent meanwhile is refused (it never runs here); the
   * scheduler learns why this worker exits before it learns that it did, however late it reads, so it sends that
   * task elsewhere and counts the exit as expected.
   */
  private quitIdle(): void {
    this.quitting = true;
    void exitWorker(0, 'idle');
  }
}
