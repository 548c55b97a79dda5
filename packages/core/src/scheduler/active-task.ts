import type { AnyTaskType } from './task.js';
import type { AddTaskOptions } from './options.js';
import { encodeMessage, type AnyMessageType } from './message.js';
import { runOn } from '../parallel/worker.js';
import { schedulerWorker } from './scheduler-worker.js';
import type { SchedulerTaskContext } from './task-context.js';
import type { WorkerSlot } from './worker-slot.js';

/** A task in the queue. */
export interface QueuedTask {
  readonly id: number;
  readonly type: AnyTaskType;
  readonly input: unknown;
  readonly options: AddTaskOptions<unknown>;
}

/**
 * A task sent to a worker, until its `onFinish` (or until it comes back to the queue unstarted). A class rather than a copy of the queued task spread into a new
 * object: V8 builds such a spread slowly, one property at a time, and that showed per task.
 */
export class ActiveTask implements QueuedTask {
  finished = false;
  /** It has started on its worker: `onStart` has fired and its timeouts run. False while it waits there, sent ahead. */
  started = false;
  /** Sent ahead, and then recalled: whether it had started is the recall's answer. */
  recalling = false;
  /** Its worker reported the task before it while its recall was unanswered: it may have started. */
  mayHaveStarted = false;
  /** `clearQueue` removed it while it waited on its worker: if it comes back unstarted, it is dropped. */
  cleared = false;
  /** When it started, for the trace (µs since the run began). */
  startUs = 0;
  termTimer: NodeJS.Timeout | undefined = undefined;
  killTimer: NodeJS.Timeout | undefined = undefined;
  private context: SchedulerTaskContext | undefined = undefined;

  constructor(
    readonly id: number,
    readonly type: AnyTaskType,
    readonly input: unknown,
    readonly options: AddTaskOptions<unknown>,
    readonly slot: WorkerSlot,
  ) {}

  /** What `onStart` and `onMessage` receive: made on first use (most tasks have neither), then always the same. */
  get ctx(): SchedulerTaskContext {
    this.context ??= this.makeContext();
    return this.context;
  }

  private makeContext(): SchedulerTaskContext {
    const handle = this.slot.handle!;
    const taskId = this.id;
    return {
      task: this.type.name,
      workerId: handle.id,
      workerPid: handle.pid,
      send: (type, value) => {
        const message = encodeMessage(type as AnyMessageType, value);
        // A stale context (its task finished) must never reach the worker's next task.
        if (this.finished) return;
        void runOn(handle, undefined, schedulerWorker().functions.deliver, { taskId, message }).catch(() => undefined);
      },
    };
  }
}
