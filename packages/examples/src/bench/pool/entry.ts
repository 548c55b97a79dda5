// The pool group's child process: the master of the pools it measures (which also drives the peers' pools), and
// (re-run by Cohort) each pool worker. The top level defines the worker type and calls startApp(), nothing else, so
// a worker loads only what a user's small worker would; the measuring code is imported after startApp().
import { startApp } from '@cohort/core';
import './definitions.js';

await startApp();
const { servePoolSamplers } = await import('./samplers.js');
servePoolSamplers();
