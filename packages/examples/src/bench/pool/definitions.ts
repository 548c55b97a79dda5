// The pool group's worker type, defined at the top level of entry.ts's imports: each pool worker re-runs the entry
// script and finds it by name.
import { createHash } from 'node:crypto';
import { Parallel } from '@cohort/core';
import { z } from 'zod';

export const CHUNK_BYTES = 64 * 1024;

/** How a `flaky` call kills its worker. */
export const deathModes = ['exit', 'sigkill'] as const;
export type DeathMode = (typeof deathModes)[number];

export const PoolBench = Parallel.make({
  name: 'bench-pool',
  // The chunk a `hash` call hashes, kept by the worker (see `hash`).
  initWorkerState: () => ({ chunk: Buffer.alloc(CHUNK_BYTES, 0x5a) }),
  functions: (f) => ({
    /** The tiniest call there is: its cost is all overhead. The same task the peers' workers run. */
    add: f.rpc({ input: z.tuple([z.number(), z.number()]), output: z.number(), run: ([a, b]) => a + b }),
    /**
     * A CPU-bound call: SHA-256 of 64 KiB. The worker hashes a chunk it keeps, stamped with the input, so only an
     * index and a 32-bit digest prefix cross the wire and the master stays idle: on 2 cores, a master copying
     * chunks would take the core the second worker needs (as in the mapreduce group).
     */
    hash: f.rpc({
      input: z.number().int().nonnegative(),
      output: z.number(),
      run: (index, { workerState: { chunk } }) => {
        chunk.writeUInt32LE(index, 0);
        return createHash('sha256').update(chunk).digest().readUInt32LE(0);
      },
    }),
    /**
     * `add`'s answer, except that with probability `dieRate` the call kills its own worker first: `exit` as a
     * library calling `process.exit(1)` would, `sigkill` as the OOM killer or a native crash would.
     */
    flaky: f.rpc({
      input: z.object({ a: z.number(), b: z.number(), dieRate: z.number(), mode: z.enum(deathModes) }),
      output: z.number(),
      run: ({ a, b, dieRate, mode }) => {
        if (Math.random() < dieRate) {
          if (mode === 'exit') process.exit(1);
          process.kill(process.pid, 'SIGKILL');
        }
        return a + b;
      },
    }),
  }),
});
