// The Cohort worker type the parallel group measures. Defined at the top level of entry.ts's imports, because
// Cohort starts a worker by re-running the entry script and finding the type by name.
import { Parallel } from '@cohort/core';
import { z } from 'zod';

export const BenchWorker = Parallel.make({
  name: 'bench-parallel',
  workerInit: z.object({
    /** Also serve the rpc group's raw baseline on this Unix socket, so both round trips join the same two processes. */
    rawSocket: z.string().optional(),
  }),
  initWorkerState: async ({ rawSocket }) => {
    if (rawSocket === undefined) return {};
    // Imported only here: a worker spawned to time its start loads nothing the baseline's child does not need.
    const { listenRaw } = await import('../rpc/raw-server.js');
    return { closeRaw: await listenRaw(rawSocket) };
  },
  functions: (f) => ({
    add: f.rpc({ input: z.tuple([z.number(), z.number()]), output: z.number(), run: ([a, b]) => a + b }),
    /** When this process started (epoch ms): tells a worker taken from the spares from one launched for the spawn. */
    startedAt: f.rpc({ input: z.void(), output: z.number(), run: () => performance.timeOrigin }),
  }),
});
