import { z } from 'zod';
import { defaultWorkerCount } from '../common/defaults.js';
import { CohortError } from '../common/errors.js';
import { checkOptions, lazily } from '../common/options.js';
import type { Host } from '../host/host.js';
import { checkProcessOptions, type ProcessOptions } from '../parallel/spawn-options.js';

/** Progress of a map-reduce: inputs mapped so far, and the total when the input's size is known. */
export interface MapReduceProgress {
  readonly done: number;
  readonly total?: number;
}

/** Options of every MapReduce operation. */
export interface MapReduceOptions<Param> {
  /** Sent once to each worker, where `init(param, { workerIndex })` turns it into the state of every `map`. */
  param?: Param;
  /** Number of worker processes (on `spawn.host`, local by default). @default os.availableParallelism() */
  workers?: number;
  /**
   * Where workers run, instead of `workers`: `[{ host, workers }]`, e.g. local ones and some on another machine.
   * Worker indices run across the list in order. Not together with `workers` or `spawn.host`.
   * @example [{ host: Hosts.local(), workers: 2 }, { host: Hosts.ssh({ destination: 'me@big-box' }), workers: 16 }]
   */
  hosts?: readonly { host: Host; workers: number }[];
  /** Called as inputs are mapped (after each batch). */
  onProgress?: (progress: MapReduceProgress) => void;
  /** Writes a Chrome trace-event JSON file at the end: one track per worker, one slice per batch. */
  trace?: string;
  /**
   * Send inputs in adaptive batches with several batches in flight per worker (default). `false` sends one input
   * per call with one call in flight per worker — rpc_parallel's design, useful only for comparison.
   * @default true
   */
  batching?: boolean;
  /** How and where worker processes are started. */
  spawn?: ProcessOptions;
}

const optionsSchema = lazily(() =>
  z.strictObject({
    param: z.unknown().optional(),
    workers: z.number().int().min(1, 'needs at least one worker').optional(),
    hosts: z
      .array(
        z.strictObject({
          host: z.custom<Host>((value) => typeof (value as Host | null)?.launch === 'function', 'must be a Host'),
          workers: z.number().int().nonnegative(),
        }),
      )
      .optional(),
    onProgress: z
      .custom<(progress: MapReduceProgress) => void>((value) => typeof value === 'function', 'must be a function')
      .optional(),
    trace: z.string().min(1).optional(),
    batching: z.boolean().optional(),
    spawn: z.unknown().optional(),
  }),
);

/**
 * The host of each worker to start, in worker index order (`undefined`: the spawn's own host), from options
 * checked by name; `workers` with `hosts` is a contradiction, not a precedence rule.
 */
export function workerPlan(options: MapReduceOptions<unknown>, where: string): (Host | undefined)[] {
  const checked = checkOptions(optionsSchema(), options, where);
  const spawn = checkProcessOptions(options.spawn, `${where}: option spawn`);
  if (checked.hosts !== undefined) {
    if (checked.workers !== undefined || spawn.host !== undefined) {
      throw new CohortError('INVALID_ARGUMENT', `${where}: give either hosts, or workers (with spawn.host), not both`);
    }
    const plan = checked.hosts.flatMap(({ host, workers }) => Array.from({ length: workers }, () => host));
    if (plan.length === 0)
      throw new CohortError('INVALID_ARGUMENT', `${where}: needs at least one worker, and every host has workers: 0`);
    return plan;
  }
  return Array.from({ length: checked.workers ?? defaultWorkerCount() }, () => undefined);
}
