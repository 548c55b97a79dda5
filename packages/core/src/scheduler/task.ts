import type { MaybePromise } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { Registry } from '../common/registry.js';
import type { TaskContext } from './task-context.js';

/** A declared task: what a scheduler worker runs, found by `name` in the worker (the same program, re-run). */
export interface TaskType<N extends string, I extends z.ZodType, O extends z.ZodType> {
  readonly name: N;
  readonly input: I;
  readonly output: O;
}

/** Any task type, its parameters erased. */
export type AnyTaskType = TaskType<string, z.ZodType, z.ZodType>;

interface TaskEntry {
  readonly type: AnyTaskType;
  readonly run: (input: unknown, ctx: TaskContext) => unknown;
}

export const taskTypes = new Registry<TaskEntry>('task');

/**
 * Declares a task. Call at top level, before `startApp()`; a name defined twice throws.
 * @example
 * export const Build = Task.define({ name: 'build', input: z.string(), output: z.number(),
 *   run: async (target, ctx) => { ctx.send(Log, `building ${target}`); return 0; } });
 */
function define<const N extends string, I extends z.ZodType, O extends z.ZodType>(spec: {
  name: N;
  input: I;
  output: O;
  run: (input: z.output<I>, ctx: TaskContext) => MaybePromise<z.input<O>>;
}): TaskType<N, I, O> {
  const type: TaskType<N, I, O> = Object.freeze({ name: spec.name, input: spec.input, output: spec.output });
  taskTypes.add(spec.name, { type: type as unknown as AnyTaskType, run: spec.run as TaskEntry['run'] });
  return type;
}

/** Task types: `Task.define({ name, input, output, run })`. */
export const Task = Object.freeze({ define });
