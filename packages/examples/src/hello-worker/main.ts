// The smallest complete Cohort program: a worker type, startApp, spawn, run, shutdown.
import { z } from 'zod';
import { Parallel, showProcessStatus, startApp } from '@cohort/core';

// Declared at the top level, before startApp(): `spawn` re-runs this very script as the worker process, and the
// worker finds its type by name among the definitions this run made.
const Greeter = Parallel.make({
  name: 'greeter',
  functions: (f) => ({
    greet: f.rpc({
      input: z.string(),
      output: z.string(),
      // Runs in the worker. Its console output reaches the master's terminal prefixed with `[greeter] `.
      run: (who) => {
        console.log(`greeting ${who}`);
        return `hello, ${who}, from worker pid ${process.pid}`;
      },
    }),
  }),
});

// In the master this returns at once. In the worker it serves `greeter` and never returns, so the rest of the
// file runs in the master only.
await startApp();

const worker = await Greeter.spawn({ name: 'greeter' });
console.log(`master pid ${process.pid} spawned worker pid ${worker.pid}`);

// Typed from end to end: the input must be a string (checked here and again in the worker), the result is a string.
const greeting = await worker.run(Greeter.functions.greet, 'world');
console.log(greeting);

// Resolves once the worker's process has exited.
const status = await worker.shutdown();
console.log(`worker ${showProcessStatus(status)}`);

// Every worker this run started, to check with `ps` that none is left.
console.log(`worker pids: ${worker.pid}`);
