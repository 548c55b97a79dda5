import { compareReadings, metric, type BenchGroup } from './harness.js';
import type { NoopRunArg } from './scheduler/samplers.js';
import { startSamplerProcess } from './sampler-process.js';
import { benchScript } from './script-url.js';

// Cohort's Scheduler (Tezt's design) running no-op tasks on 2 workers, against workerpool's process pool running
// the same no-op: what a task costs when the task itself costs nothing. Measured in one child process
// (scheduler/entry.ts), which is the scheduler and also drives workerpool.

const GROUP = 'scheduler';
const WORKERPOOL = "workerpool, workerType 'process'";

/** How many tasks each busy worker is sent ahead in the prefetch runs: enough to keep no-op tasks flowing. */
const PREFETCH = 8;
const FULL = { tasks: 10_000, workers: 2, warmup: 1, repetitions: 5 };
const QUICK = { tasks: 1_000, workers: 2, warmup: 0, repetitions: 2 };

export const schedulerGroup: BenchGroup = {
  name: GROUP,
  title: 'Cohort Scheduler vs workerpool (process workers), no-op tasks, workers started and stopped in each run',
  async run(context) {
    const plan = context.quick ? QUICK : FULL;
    context.progress('scheduler: starting the scheduler process');
    const driver = await startSamplerProcess(benchScript('./scheduler/entry', import.meta.url));
    try {
      context.progress(`scheduler: ${plan.tasks.toLocaleString('en-US')} no-op tasks on ${plan.workers} workers`);
      const arg: NoopRunArg = { tasks: plan.tasks, workers: plan.workers };
      const tasks = `${plan.tasks.toLocaleString('en-US')} no-op tasks, ${plan.workers} workers`;
      const metrics = [];
      // With `prefetch: 8` (a busy worker is sent up to 8 tasks ahead), where issue 13's targets apply; then the
      // default, where a task goes only to an idle worker (strict addTask start order), for information.
      for (const prefetch of [PREFETCH, 0]) {
        context.progress(`scheduler: prefetch ${prefetch}`);
        const runs = await compareReadings({
          warmup: plan.warmup,
          repetitions: plan.repetitions,
          baseline: driver.readings('noop.workerpool', arg),
          cohort: driver.readings('noop.cohort', { ...arg, prefetch }),
        });
        const mode = prefetch > 0 ? `prefetch: ${prefetch}` : 'default (no prefetch)';
        metrics.push(
          metric({
            group: GROUP,
            name: `${tasks}, whole run, ${mode}`,
            unit: 'tasks/s',
            higherIsBetter: true,
            target: prefetch > 0 ? { kind: 'ratio', limit: 1.2 } : { kind: 'none' },
            cohort: runs.cohort('tasksPerSecond'),
            baseline: { name: WORKERPOOL, summary: runs.baseline('tasksPerSecond') },
          }),
          metric({
            group: GROUP,
            name: `per-task overhead, steady state, ${mode}`,
            unit: 'µs',
            higherIsBetter: false,
            target: prefetch > 0 ? { kind: 'ratio', limit: 0.8 } : { kind: 'none' },
            cohort: runs.cohort('overheadUs'),
            baseline: { name: WORKERPOOL, summary: runs.baseline('overheadUs') },
          }),
        );
      }
      return metrics;
    } finally {
      await driver.stop();
    }
  },
};
