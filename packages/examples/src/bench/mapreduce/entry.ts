// The mapreduce group's child process: the master of each map-reduce, and (re-run by Cohort) each of its
// workers. The top level defines the map-reduces and calls startApp(); the measuring code is imported after it.
import { startApp } from '@cohort/core';
import './definitions.js';

await startApp();
const { serveMapReduceSamplers } = await import('./samplers.js');
serveMapReduceSamplers();
