// The scheduler group's child process: the scheduler, and (re-run by Cohort) each of its workers. The top level
// defines the task and calls startApp(); the measuring code is imported after it, in the scheduler only.
import { startApp } from '@cohort/core';
import './noop-task.js';

await startApp();
const { serveSchedulerSamplers } = await import('./samplers.js');
serveSchedulerSamplers();
