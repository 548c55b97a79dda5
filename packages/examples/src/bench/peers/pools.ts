// The peer libraries, set up as their documentation says for process workers. Their workers run with this
// process's own flags (tsx's loader, as Cohort's workers do), so that both sides load the same way; neither
// library passes them on by itself (workerpool keeps only --max-old-space-size and --inspect).
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import type { Adder } from '../rpc/definitions.js';

const workerpoolScript = fileURLToPath(new URL('./workerpool-worker.ts', import.meta.url));
const tinypoolModule = new URL('./tinypool-worker.ts', import.meta.url).href;

export type WorkerpoolPool = ReturnType<typeof workerpool.pool>;

/**
 * A workerpool pool of `workers` child processes. `eager` starts them at once (`minWorkers`), as a pool set up
 * ahead of a burst would be; otherwise they start on demand, as Cohort's scheduler and map-reduce workers do.
 */
export function startWorkerpool(workers: number, eager: boolean): WorkerpoolPool {
  return workerpool.pool(workerpoolScript, {
    workerType: 'process',
    maxWorkers: workers,
    ...(eager ? { minWorkers: workers } : {}),
    forkOpts: { execArgv: [...process.execArgv] },
  });
}

/** A tinypool pool of `workers` child processes, started at once. */
export function startTinypool(workers: number): Tinypool {
  return new Tinypool({
    filename: tinypoolModule,
    runtime: 'child_process',
    minThreads: workers,
    maxThreads: workers,
    execArgv: [...process.execArgv],
    // Without it tinypool gives its children an environment holding only its own variable.
    env: { ...process.env } as Record<string, string>,
  });
}

export const workerpoolAdder = (pool: WorkerpoolPool): Adder => ({
  add: async (a, b) => (await pool.exec('add', [a, b])) as number,
});

export const tinypoolAdder = (pool: Tinypool): Adder => ({
  add: async (a, b) => (await pool.run([a, b])) as number,
});
