import { z } from 'zod';
import { defineWorkerType, workerTypes, type AnyWorkerType } from '../parallel/worker-type.js';
import { WorkerRuntime, deliverInput, runTaskInput, taskOutcome } from './worker-runtime.js';

const NAME = '__cohort.scheduler';

/**
 * The worker type every scheduler worker runs. It is defined when `@cohort/core` is loaded, so any program that
 * defines tasks and calls `startApp()` can serve as its own scheduler worker.
 */
export const SchedulerWorker = defineWorkerType({
  name: NAME,
  workerInit: z.object({ index: z.number(), idleTimeoutMs: z.number().optional() }),
  initWorkerState: ({ index, idleTimeoutMs }, { workerId }) => new WorkerRuntime(workerId, index, idleTimeoutMs),
  initConnectionState: (_init, { workerState }) => workerState.connected(),
  functions: (f) => ({
    run: f.rpc({
      input: runTaskInput,
      output: taskOutcome,
      run: ({ taskId, task, input }, ctx) => ctx.workerState.runTask(taskId, task, input, ctx),
    }),
    deliver: f.oneWay({
      input: deliverInput,
      run: ({ taskId, message }, { workerState }) => workerState.deliver(taskId, message),
    }),
  }),
});

/** The same type, erased, for the internal spawn path. */
export const schedulerWorkerType: AnyWorkerType = workerTypes.get(NAME)!;
