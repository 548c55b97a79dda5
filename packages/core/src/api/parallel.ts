import { captureCallSite, withCallSite } from '@cohort/rpc/internal';
import type { z } from 'zod';
import { connectAndShutdownOnDisconnect } from '../parallel/connect.js';
import type { AnyFunction } from '../parallel/functions.js';
import { workerRefSchema } from '../parallel/ref.js';
import { workerTypes } from '../parallel/type-registry.js';
import { checkTypeName, defineWorkerType, type WorkerTypeSpec } from '../parallel/worker-type.js';
import type { Pool } from '../pool/pool.js';
import type { WorkerType } from './worker-type.js';
import { loadPart } from '../common/lazy-parts.js';

/**
 * Declares a worker type. Call at the top level of a module, before `startApp()`: a spawned worker re-runs the
 * same top-level code and finds its type by `name`.
 */
function make<
  const N extends string,
  F extends Record<string, AnyFunction<N>>,
  WI extends z.ZodType = z.ZodVoid,
  CI extends z.ZodType = z.ZodVoid,
  WS = undefined,
  CS = undefined,
>(spec: WorkerTypeSpec<N, WI, CI, WS, CS, F>): WorkerType<N, WI, CI, F> {
  checkTypeName(spec.name);
  const base = defineWorkerType(spec);
  const erased = workerTypes.get(spec.name)!;
  // A pool that cannot start fails with Cohort's own error, made for this call: it points at the line that called pool.
  const pool = (options?: unknown): Promise<Pool<N>> => {
    const site = captureCallSite(pool);
    // The pool's code loads with the first pool: a worker, which re-runs this line's module, never loads it.
    return (loadPart('pool') as Promise<typeof import('../pool/pool.js')>)
      .then(({ Pool }) => Pool.create<N>(erased, options))
      .catch((error: unknown) => Promise.reject(withCallSite(error, site)));
  };
  return Object.freeze({ ...base, pool }) as WorkerType<N, WI, CI, F>;
}

/**
 * Typed worker processes, after Jane Street's rpc_parallel.
 *
 * @example
 * export const Counter = Parallel.make({ name: 'counter', functions: (f) => ({ … }) });
 */
export const Parallel = Object.freeze({
  make,
  /** The zod schema of a `WorkerRef`, to declare a function input that carries one. */
  get workerRef() {
    return workerRefSchema();
  },
  connectAndShutdownOnDisconnect,
});
