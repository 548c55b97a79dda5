import type { z } from 'zod';
import { Registry } from '../common/registry.js';
import type { AnyFunction, FunctionRunner } from './functions.js';

/** A worker type with its type parameters erased, for the runtime. */
export interface AnyWorkerType {
  readonly name: string;
  readonly functions: Record<string, AnyFunction>;
  readonly workerInit: z.ZodType;
  readonly connectionInit: z.ZodType;
  initWorkerState(init: unknown, info: { workerId: string }): unknown;
  initConnectionState(init: unknown, info: { workerState: unknown; workerId: string }): unknown;
}

/** Every worker type of the program, by name: a spawned worker finds the type it serves here. */
export const workerTypes = new Registry<AnyWorkerType>('worker type');

const runners = new WeakMap<AnyFunction, FunctionRunner>();

/** Records the serving side of a function (what its `run` does), kept out of the public function objects. */
export function setRunner(fn: AnyFunction, run: FunctionRunner): void {
  runners.set(fn, run);
}

export function runnerOf(fn: AnyFunction): FunctionRunner {
  return runners.get(fn)!;
}
