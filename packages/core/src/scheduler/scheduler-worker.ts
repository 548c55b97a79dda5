import { z } from 'zod';
import { defineWorkerType } from '../parallel/worker-type.js';
import { WorkerRuntime, deliverInput, runTaskInput, taskEvent, wireMessage } from './worker-runtime.js';

/**
 * The worker type every scheduler worker runs. It is defined when `@cohort/core` is loaded, so any program that
 * defines tasks and calls `startApp()` can serve as its own scheduler worker.
 */
export const SchedulerWorker = defineWorkerType({
  name: '__cohort.scheduler',
  workerInit: z.object({ index: z.number(), idleTimeoutMs: z.number().optional() }),
  initWorkerState: ({ index, idleTimeoutMs }, { workerId }) => new WorkerRuntime(workerId, index, idleTimeoutMs),
  functions: (f) => ({
    run: f.pipe({
      input: runTaskInput,
      item: taskEvent,
      run: ({ taskId, task, input }, { workerState, signal }) => workerState.runTask(taskId, task, input, signal),
    }),
    deliver: f.oneWay({
      input: deliverInput,
      run: ({ taskId, message }, { workerState }) => workerState.deliver(taskId, message),
    }),
    idleMessages: f.pipe({ input: z.void(), item: wireMessage, run: (_input, { workerState }) => workerState.idleMessages() }),
  }),
});
