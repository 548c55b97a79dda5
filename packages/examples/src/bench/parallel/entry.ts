// The parallel group's child process: the Cohort master of the workers it measures, and (re-run by Cohort) each
// of those workers. The top level defines the worker type and calls startApp(), nothing else, so a worker loads
// only what a user's small worker would; the measuring code is imported after startApp(), in the master only.
import { startApp } from '@cohort/core';
import './bench-worker.js';

// BENCH_SPARE_WORKERS: the process that measures spawns from a spare (ignored in workers).
await startApp({ spareWorkers: Number(process.env['BENCH_SPARE_WORKERS'] ?? 0) });
const { serveParallelSamplers } = await import('./samplers.js');
serveParallelSamplers();
