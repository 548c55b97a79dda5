import { z } from 'zod';
import { workerTypes, type AnyWorkerType } from '../parallel/type-registry.js';
import { deferWorkerType, defineWorkerType } from '../parallel/worker-type.js';
import { runTaskInput, taskOutcome } from './task-wire.js';
import { WorkerRuntime, deliverInput } from './worker-runtime.js';

const NAME = '__cohort.scheduler';

/**
 * The worker type every scheduler worker runs. Its name is reserved when `@cohort/core` is loaded, so any program
 * that defines tasks and calls `startApp()` can serve as its own scheduler worker (see `deferWorkerType`).
 */
export const schedulerWorker = deferWorkerType(NAME, () =>
  defineWorkerType({
    name: NAME,
    workerInit: z.object({ index: z.number(), idleTimeoutMs: z.number().optional() }),
    initWorkerState: ({ index, idleTimeoutMs }, { workerId }) => WorkerRuntime.start(workerId, index, idleTimeoutMs),
    initConnectionState: (_init, { workerState }) => workerState.connected(),
    functions: (f) => ({
      run: f.rpc({
        input: runTaskInput(),
        output: taskOutcome(),
        // Indexed, not destructured: array destructuring runs the iterator protocol until the code is optimized.
        run: (task, ctx) => ctx.workerState.runTask(task[0], task[1], task[2], ctx),
      }),
      recall: f.rpc({
        input: z.number(),
        output: z.boolean(),
        run: (taskId, { workerState }) => workerState.recall(taskId),
      }),
      deliver: f.oneWay({
        input: deliverInput(),
        run: ({ taskId, message }, { workerState }) => workerState.deliver(taskId, message),
      }),
    }),
  }),
);

/** The same type, erased, for the internal spawn path. */
export const schedulerWorkerType = (): AnyWorkerType => workerTypes.get(NAME)!;
