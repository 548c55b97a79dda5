import type { AnyTaskType } from './task.js';
import type { AddTaskOptions } from './options.js';
import type { SchedulerTaskContext } from './task-context.js';
import type { WorkerSlot } from './worker-slot.js';

/** A task in the queue. */
export interface QueuedTask {
  readonly id: number;
  readonly type: AnyTaskType;
  readonly input: unknown;
  readonly options: AddTaskOptions<unknown>;
}

/** A task sent to a worker, until its `onFinish`. */
export interface ActiveTask extends QueuedTask {
  readonly slot: WorkerSlot;
  readonly ctx: SchedulerTaskContext;
  readonly startUs: number;
  finished: boolean;
  termTimer: NodeJS.Timeout | undefined;
  killTimer: NodeJS.Timeout | undefined;
}
