// The scheduler group's workloads, run in entry.ts's process. Both sides start cold and end with their workers
// gone: a Scheduler run starts its workers on demand and resolves once they have exited, so the workerpool run
// is timed from creating the pool to its terminate().
import { Scheduler } from '@cohort/core';
import { now, type Readings } from '../harness.js';
import { startWorkerpool } from '../peers/pools.js';
import { serveSamplers } from '../sampler-serving.js';
import { Noop } from './noop-task.js';
import { steadyOverheadUs } from './steady-overhead.js';

export interface NoopRunArg {
  tasks: number;
  workers: number;
  /** The scheduler's `prefetch` run option (Cohort only). */
  prefetch?: boolean | number;
}

function readings(tasks: number, workers: number, elapsedMs: number, finishedAt: readonly number[]): Readings {
  if (finishedAt.length !== tasks) throw new Error(`${finishedAt.length} of ${tasks} tasks finished`);
  return { tasksPerSecond: tasks / (elapsedMs / 1000), overheadUs: steadyOverheadUs(finishedAt, workers) };
}

export function serveSchedulerSamplers(): void {
  serveSamplers(
    {
      'noop.cohort': async (arg) => {
        const { tasks, workers, prefetch = false } = arg as NoopRunArg;
        const scheduler = new Scheduler();
        const finishedAt: number[] = [];
        let failure: string | undefined;
        for (let i = 0; i < tasks; i++) {
          scheduler.addTask(Noop, undefined, {
            onFinish: (result) => {
              finishedAt.push(now());
              if (!result.ok) failure ??= result.error;
            },
          });
        }
        const start = now();
        await scheduler.run({ maxWorkers: workers, prefetch });
        const elapsed = now() - start;
        if (failure !== undefined) throw new Error(`a no-op task failed: ${failure}`);
        return readings(tasks, workers, elapsed, finishedAt);
      },
      'noop.workerpool': async (arg) => {
        const { tasks, workers } = arg as NoopRunArg;
        const finishedAt: number[] = [];
        const start = now();
        const pool = startWorkerpool(workers, false);
        try {
          await Promise.all(
            Array.from({ length: tasks }, () => pool.exec('noop', []).then(() => void finishedAt.push(now()))),
          );
        } finally {
          await pool.terminate();
        }
        return readings(tasks, workers, now() - start, finishedAt);
      },
    },
    async () => undefined,
  );
}
