// Messages between the scheduler and the steps. Defined at top level: the workers re-run this module and must
// find each type by name.
import { Message } from '@cohort/core';
import { z } from 'zod';
import { Artifact } from './artifact.js';

/** Step → scheduler: how far the step is, shown live. */
export const Progress = Message.define(
  'make-build/progress',
  z.object({ percent: z.number().min(0).max(100), note: z.string() }),
);

/** Step → scheduler: something the build log must keep (a progress note is only shown while the step runs). */
export const Note = Message.define('make-build/note', z.string());

/**
 * Scheduler → step, sent from `onStart`: where the build directory is and what the dependencies made. Only the
 * scheduler knows the latter, once they have finished; a step waits for it before doing anything.
 */
export const Inputs = Message.define(
  'make-build/inputs',
  z.object({ buildDir: z.string(), artifacts: z.record(z.string(), Artifact) }),
);
