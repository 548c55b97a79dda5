import { z } from 'zod';
import type { Message, AnyMessageType } from './message.js';
import { decodeMessage, encodeMessage } from './message.js';
import { AsyncQueue } from './async-queue.js';
import { taskTypes } from './task.js';
import type { TaskContext, WorkerContext } from './task-context.js';

export const wireMessage = z.object({ type: z.string(), value: z.unknown() });

/** What a task sends back on its stream: messages, then exactly one result or error. */
export const taskEvent = z.discriminatedUnion('t', [
  z.object({ t: z.literal('message'), message: wireMessage }),
  z.object({ t: z.literal('result'), value: z.unknown() }),
  z.object({ t: z.literal('error'), error: z.string() }),
]);
export type TaskEvent = z.infer<typeof taskEvent>;

export const runTaskInput = z.object({ taskId: z.number(), task: z.string(), input: z.unknown() });
export const deliverInput = z.object({ taskId: z.number(), message: wireMessage });

interface Waiter {
  readonly type: string | undefined;
  resolve(message: Message): void;
}

interface RunningTask {
  readonly taskId: number;
  readonly events: AsyncQueue<TaskEvent>;
  readonly inbox: Message[];
  readonly waiters: Waiter[];
}

let current: WorkerRuntime | undefined;

/** The worker context when this process is a scheduler worker; `undefined` anywhere else. */
export function currentWorkerContext(): WorkerContext | undefined {
  return current?.context;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The worker side of the scheduler: runs one task at a time and carries its messages. */
export class WorkerRuntime {
  readonly context: WorkerContext;
  private task: RunningTask | undefined;
  private readonly idle = new AsyncQueue<Message>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly workerId: string,
    readonly workerIndex: number,
    private readonly idleTimeoutMs: number | undefined,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const runtime = this;
    this.context = {
      workerId,
      workerIndex,
      send: (type, value) => runtime.send(type as AnyMessageType, value, runtime.task?.taskId),
    };
    current = this;
    this.armIdleTimer();
  }

  /** Starts a task; returns its event stream (messages, then the result). One task at a time. */
  runTask(taskId: number, name: string, input: unknown, signal: AbortSignal): AsyncIterable<TaskEvent> {
    const events = new AsyncQueue<TaskEvent>();
    const entry = taskTypes.get(name);
    if (entry === undefined) {
      events.push({ t: 'error', error: `task "${name}" is not defined by this program; define it with Task.define at top level, before startApp()` });
      events.end();
      return events;
    }
    if (this.task !== undefined) {
      events.push({ t: 'error', error: `worker ${this.workerId} is already running task ${this.task.taskId}` });
      events.end();
      return events;
    }
    clearTimeout(this.idleTimer);
    const task: RunningTask = { taskId, events, inbox: [], waiters: [] };
    this.task = task;
    const ctx = this.taskContext(taskId, signal);
    void (async () => {
      try {
        const parsed = entry.type.input.safeParse(input);
        if (!parsed.success) throw new Error(`invalid input for task "${name}": ${parsed.error.issues.map((i) => i.message).join('; ')}`);
        const output = await entry.run(parsed.data, ctx);
        const checked = entry.type.output.safeParse(output);
        if (!checked.success) throw new Error(`task "${name}" returned an invalid output: ${checked.error.issues.map((i) => i.message).join('; ')}`);
        events.push({ t: 'result', value: checked.data });
      } catch (error) {
        events.push({ t: 'error', error: errorText(error) });
      } finally {
        if (this.task === task) this.task = undefined;
        events.end();
        this.armIdleTimer();
      }
    })();
    return events;
  }

  /** A message from the scheduler; delivered only to the task it was meant for. */
  deliver(taskId: number, raw: { type: string; value: unknown }): void {
    const task = this.task;
    if (task === undefined || task.taskId !== taskId) return;
    const message = decodeMessage(raw);
    if (typeof message === 'string') {
      process.emitWarning(`scheduler worker ${this.workerId}: dropped a message: ${message}`, { code: 'COHORT_BAD_MESSAGE' });
      return;
    }
    const index = task.waiters.findIndex((w) => w.type === undefined || w.type === message.type);
    if (index === -1) task.inbox.push(message);
    else task.waiters.splice(index, 1)[0]!.resolve(message);
  }

  /** Messages sent while no task (or a stale task context) was running, for the run-level `onMessage`. */
  idleMessages(): AsyncIterable<Message> {
    return this.idle;
  }

  private send(type: AnyMessageType, value: unknown, taskId: number | undefined): void {
    const message = encodeMessage(type, value);
    const task = this.task;
    if (task !== undefined && task.taskId === taskId) task.events.push({ t: 'message', message });
    else this.idle.push(message);
  }

  private taskContext(taskId: number, signal: AbortSignal): TaskContext {
    const receive = (type?: AnyMessageType): Promise<unknown> => {
      const task = this.task;
      if (task === undefined || task.taskId !== taskId) {
        return Promise.reject(new Error('ctx.receive() called after the task finished'));
      }
      const index = task.inbox.findIndex((m) => type === undefined || m.type === type.name);
      const found = index === -1 ? undefined : task.inbox.splice(index, 1)[0];
      const unwrap = (m: Message): unknown => (type === undefined ? m : m.value);
      if (found !== undefined) return Promise.resolve(unwrap(found));
      return new Promise((resolve) => task.waiters.push({ type: type?.name, resolve: (m) => resolve(unwrap(m)) }));
    };
    return {
      workerId: this.workerId,
      signal,
      send: (type, value) => this.send(type as AnyMessageType, value, taskId),
      receive: receive as TaskContext['receive'],
    };
  }

  private armIdleTimer(): void {
    const ms = this.idleTimeoutMs;
    if (ms === undefined) return;
    clearTimeout(this.idleTimer);
    // `workerIdleTimeoutMs`: a worker left without a task that long exits by itself.
    this.idleTimer = setTimeout(() => process.exit(0), ms);
  }
}
