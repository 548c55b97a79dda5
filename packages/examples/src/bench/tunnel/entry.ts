// The tunnel group's child process: the Cohort master of the workers it measures, and (re-run by Cohort) each of
// those workers. As for the parallel group, the top level defines the worker type and calls startApp(), nothing
// else; the measuring code is imported after, in the master only.
import { startApp } from '@cohort/core';
import '../parallel/bench-worker.js';

await startApp();
const { serveTunnelSamplers } = await import('./samplers.js');
serveTunnelSamplers();
