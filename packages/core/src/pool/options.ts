import { z } from 'zod';
import { DEFAULTS, defaultWorkerCount } from '../common/defaults.js';
import { CohortError } from '../common/errors.js';
import { checkOptions, lazily } from '../common/options.js';
import type { Host } from '../host/host.js';
import { checkProcessOptions, type ProcessOptions } from '../parallel/spawn-options.js';
import type { RunOptions } from '../parallel/worker-connection.js';

/** When a pool worker is replaced by a fresh one (whichever limit it reaches first). */
export interface RecycleOptions {
  /** Calls a worker serves before it is replaced. */
  maxCalls?: number;
  /** Resident set size, in MiB, past which a worker is replaced (checked after its calls). */
  maxRssMiB?: number;
  /** Milliseconds a worker serves before it is replaced. */
  maxAgeMs?: number;
}

/** Options of `Type.pool`. */
export interface PoolOptions<Init, ConnectionInit> {
  /**
   * How many workers: a number, or `{ min, max }` (workers above `min` exit after `idleTimeoutMs`; the pool grows
   * toward `max` while calls wait).
   * @default os.availableParallelism()
   */
  size?: number | { min: number; max: number };
  /** The spawn argument of every worker (the type's `workerInit`). */
  init?: Init;
  /** The argument of each worker's connection (the type's `connectionInit`). */
  connectionInit?: ConnectionInit;
  /**
   * Calls in flight per worker. 1 suits CPU-bound functions (one at a time per process); raise it for functions
   * that mostly wait (I/O).
   * @default 1
   */
  concurrency?: number;
  /** Calls that may wait for a worker; past it `run` rejects at once with `QUEUE_FULL`. @default Infinity */
  maxQueue?: number;
  /** A worker above `size.min` without a call this long exits. @default 30000 */
  idleTimeoutMs?: number;
  /** The default `timeoutMs` of every `run` (see `PoolRunOptions`). */
  timeoutMs?: number;
  /** A worker stopped because its call timed out or was aborted gets SIGTERM, then SIGKILL this much later. @default 1000 */
  killGraceMs?: number;
  /** The default `retries` of every `run`. @default 0 */
  retries?: number;
  /** Replace workers that reach a limit; their replacement starts before they leave. */
  recycle?: RecycleOptions;
  /**
   * Where workers run, instead of `size` (and `spawn.host`): `[{ host, workers }]`, as for map-reduce.
   * @example [{ host: Hosts.local(), workers: 2 }, { host: Hosts.ssh({ destination: 'me@big' }), workers: 8 }]
   */
  hosts?: readonly { host: Host; workers: number }[];
  /** How and where worker processes are started. */
  spawn?: ProcessOptions;
  /** Worker names are `<name>-<n>`. @default `<type>-pool` */
  name?: string;
  /**
   * Processes kept launched ahead of time (local pools only), so that a worker replacing a dead, stopped or
   * recycled one, or one the pool grows by, starts in milliseconds instead of a Node start-up. Each costs one idle
   * process.
   * @default 1
   */
  spares?: number;
}

/** Options of one `pool.run`. */
export interface PoolRunOptions extends RunOptions {
  /**
   * Milliseconds until the call rejects with `TIMEOUT` and its worker is stopped (SIGTERM, then SIGKILL after
   * `killGraceMs`) and replaced: the work really stops. For a stream, until the stream ends.
   */
  timeoutMs?: number;
  /**
   * How many times the call is sent to another worker when its worker dies under it (crash, SIGKILL, OOM, or
   * stopped for another call's timeout). Never on an error the function threw.
   * @default the pool's `retries` (0)
   */
  retries?: number;
}

export interface ResolvedPoolOptions {
  readonly min: number;
  readonly max: number;
  /** Fixed hosts, one entry per worker place (with `hosts`); `undefined`: every place on `spawn.host`. */
  readonly places: readonly (Host | undefined)[] | undefined;
  readonly init: unknown;
  readonly connectionInit: unknown;
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly idleTimeoutMs: number;
  readonly timeoutMs: number | undefined;
  readonly killGraceMs: number;
  readonly retries: number;
  readonly recycle: RecycleOptions;
  readonly spawn: ProcessOptions;
  readonly name: string;
  /** Spares to keep: 0 for pools on other hosts. */
  readonly spares: number;
}

const optionsSchema = lazily(() => {
  const count = z.number().int().min(1, 'must be an integer ≥ 1');
  const milliseconds = z.number().int().positive();
  return z.strictObject({
    size: z.union([count, z.strictObject({ min: z.number().int().nonnegative(), max: count })]).optional(),
    init: z.unknown().optional(),
    connectionInit: z.unknown().optional(),
    concurrency: count.optional(),
    maxQueue: z.union([z.number().int().nonnegative(), z.literal(Number.POSITIVE_INFINITY)]).optional(),
    idleTimeoutMs: milliseconds.optional(),
    timeoutMs: milliseconds.optional(),
    killGraceMs: z.number().int().nonnegative().optional(),
    retries: z.number().int().nonnegative().optional(),
    recycle: z
      .strictObject({
        maxCalls: count.optional(),
        maxRssMiB: z.number().positive().optional(),
        maxAgeMs: milliseconds.optional(),
      })
      .optional(),
    hosts: z
      .array(
        z.strictObject({
          host: z.custom<Host>((value) => typeof (value as Host | null)?.launch === 'function', 'must be a Host'),
          workers: z.number().int().nonnegative(),
        }),
      )
      .optional(),
    spawn: z.unknown().optional(),
    name: z.string().min(1).optional(),
    spares: z.number().int().nonnegative().optional(),
  });
});

export function resolvePoolOptions(options: unknown, typeName: string): ResolvedPoolOptions {
  const where = `${typeName}.pool()`;
  const checked = checkOptions(optionsSchema(), options, where);
  const spawn = checkProcessOptions(checked.spawn as ProcessOptions | undefined, `${where}: option spawn`);
  let min: number;
  let max: number;
  let places: (Host | undefined)[] | undefined;
  if (checked.hosts !== undefined) {
    if (checked.size !== undefined || spawn.host !== undefined) {
      throw new CohortError('INVALID_ARGUMENT', `${where}: give either hosts, or size (with spawn.host), not both`);
    }
    places = checked.hosts.flatMap(({ host, workers }) => Array.from({ length: workers }, () => host));
    if (places.length === 0) throw new CohortError('INVALID_ARGUMENT', `${where}: hosts name no worker`);
    min = max = places.length;
  } else if (typeof checked.size === 'object') {
    ({ min, max } = checked.size);
    if (min > max) throw new CohortError('INVALID_ARGUMENT', `${where}: size.min (${min}) is above size.max (${max})`);
  } else {
    min = max = checked.size ?? defaultWorkerCount();
  }
  return {
    min,
    max,
    places,
    init: checked.init,
    connectionInit: checked.connectionInit,
    concurrency: checked.concurrency ?? DEFAULTS.poolConcurrency,
    maxQueue: checked.maxQueue ?? Number.POSITIVE_INFINITY,
    idleTimeoutMs: checked.idleTimeoutMs ?? DEFAULTS.poolIdleTimeoutMs,
    timeoutMs: checked.timeoutMs,
    killGraceMs: checked.killGraceMs ?? DEFAULTS.poolKillGraceMs,
    retries: checked.retries ?? 0,
    recycle: checked.recycle ?? {},
    spawn,
    name: checked.name ?? `${typeName}-pool`,
    spares:
      places === undefined && (spawn.host === undefined || spawn.host.name === 'local')
        ? (checked.spares ?? DEFAULTS.poolSpares)
        : 0,
  };
}
