// The scheduler group's task: nothing at all, so a run measures only what the scheduler costs per task.
import { Task } from '@cohort/core';
import { z } from 'zod';

export const Noop = Task.define({ name: 'bench-noop', input: z.void(), output: z.void(), run: () => undefined });
