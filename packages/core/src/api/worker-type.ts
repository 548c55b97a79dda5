import type { z } from 'zod';
import type { AnyFunction } from '../parallel/functions.js';
import type { BaseWorkerType } from '../parallel/worker-type.js';
import type { PoolOptions } from '../pool/options.js';
import type { Pool } from '../pool/pool.js';

/** Pool options whose `init` is optional exactly when the worker type's `workerInit` accepts `undefined`. */
export type PoolArgs<WI extends z.ZodType, CI extends z.ZodType> =
  undefined extends z.input<WI>
    ? [options?: PoolOptions<z.input<WI>, z.input<CI>>]
    : [options: PoolOptions<z.input<WI>, z.input<CI>> & { init: z.input<WI> }];

/** A worker type: its functions, and the ways to start or reach its workers, one at a time or as a pool. */
export interface WorkerType<
  N extends string,
  WI extends z.ZodType,
  CI extends z.ZodType,
  F extends Record<string, AnyFunction<N>>,
> extends BaseWorkerType<N, WI, CI, F> {
  /**
   * Starts a supervised pool of workers of this type; resolves once its first `size.min` workers are ready (or
   * rejects with why none could start).
   * @example
   * await using pool = await Hasher.pool({ size: 4, recycle: { maxCalls: 10_000 } });
   * const digest = await pool.run(Hasher.functions.sha256, bytes, { timeoutMs: 5000 });
   */
  pool(...args: PoolArgs<WI, CI>): Promise<Pool<N>>;
}
