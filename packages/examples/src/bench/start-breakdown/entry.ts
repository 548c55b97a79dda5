// The start-breakdown master and (re-run by Cohort) its worker: a worker type with one zod-typed function, as small
// as a user's. zod and Cohort are imported one after the other with a mark after each (dynamic imports, so that
// each import's loading, not only its evaluation, falls between two marks). `startMark` is set by marks.ts
// (preloaded); without it nothing is recorded.
const startMark = (globalThis as { startMark?: (name: string) => void }).startMark ?? (() => undefined);
const { z } = await import('zod');
startMark('modules: zod loaded');
const { Parallel, startApp } = await import('@cohort/core');
startMark('modules: @cohort/core loaded');

export const Probe = Parallel.make({
  name: 'start-probe',
  functions: (f) => ({
    add: f.rpc({
      input: z.tuple([z.number(), z.number()]),
      output: z.number(),
      run: ([a, b]) => {
        startMark('first call runs');
        return a + b;
      },
    }),
  }),
});

startMark('entry: startApp() called');
await startApp();
const { measureStarts } = await import('./measure.js');
await measureStarts(async (withoutLifeline) => {
  // 'shutdown-called' workers watch no lifeline: the difference is what watching it costs.
  const worker = await Probe.spawn(withoutLifeline ? { shutdownOn: 'shutdown-called' } : {});
  const spawnedAt = performance.timeOrigin + performance.now();
  await worker.run(Probe.functions.add, [1, 2]);
  return { pid: worker.pid, spawnedAt, shutdown: () => worker.shutdown() };
});
