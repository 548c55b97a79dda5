// The peer libraries, set up as their documentation says for process workers (piscina: worker threads, its only
// mode). Their workers run with this process's own flags (tsx's loader, as Cohort's workers do), so that both sides
// load the same way; workerpool and tinypool do not pass them on by themselves (workerpool keeps only
// --max-old-space-size and --inspect), while worker threads inherit them.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import type { Adder } from '../rpc/definitions.js';

const workerpoolScript = fileURLToPath(new URL('./workerpool-worker.ts', import.meta.url));
const tinypoolModule = new URL('./tinypool-worker.ts', import.meta.url).href;
const piscinaModule = new URL('./piscina-worker.ts', import.meta.url).href;

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

/** A piscina pool of `threads` worker threads, started at once; every other option is piscina's default. */
export function startPiscina(threads: number): Piscina {
  return new Piscina({ filename: piscinaModule, minThreads: threads, maxThreads: threads });
}

export const workerpoolAdder = (pool: WorkerpoolPool): Adder => ({
  add: async (a, b) => (await pool.exec('add', [a, b])) as number,
});

export const tinypoolAdder = (pool: Tinypool): Adder => ({
  add: async (a, b) => (await pool.run([a, b])) as number,
});

export const piscinaAdder = (pool: Piscina): Adder => ({
  add: async (a, b) => (await pool.run([a, b])) as number,
});
