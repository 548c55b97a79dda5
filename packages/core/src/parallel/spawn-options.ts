import { resolveRpcSettings, type RpcSettings } from '@cohort/rpc/internal';
import { z } from 'zod';
import { DEFAULTS } from '../common/defaults.js';
import { CohortError } from '../common/errors.js';
import { checkOptions, lazily } from '../common/options.js';
import type { Host } from '../host/host.js';
import type { OutputOption } from '../process/output.js';
import type { InspectOption } from './inspector-flags.js';

/**
 * When a worker ends by itself.
 * - `'heartbeat-lost'` (default): when its spawner is gone (exit, crash, SIGKILL); it exits with code 254.
 * - `'connection-closed'`: `spawn` returns a connection; when it closes, the worker exits 0. If nobody connects
 *   within `connectionTimeoutMs`, it exits 254.
 * - `'shutdown-called'`: only `shutdown()` ends it; it survives its spawner. Discouraged: a lost handle leaks a
 *   process for good.
 */
export type ShutdownOn = 'heartbeat-lost' | 'connection-closed' | 'shutdown-called';

/**
 * How and where a worker process runs: the one group of process options that `spawn`, the scheduler's `spawn`,
 * map-reduce's `spawn` and the pool's `spawn` all take.
 */
export interface ProcessOptions {
  /** Where the worker runs. @default Hosts.local() */
  host?: Host;
  /** Working directory of the worker. @default the spawner's */
  cwd?: string;
  /** Environment of the worker. @default the spawner's `process.env` */
  env?: NodeJS.ProcessEnv;
  /**
   * Node flags added after the spawner's own `process.execArgv` (which always carry over, so loaders such as tsx
   * keep working).
   * @example ['--max-old-space-size=4096']
   */
  execArgv?: string[];
  /** Where the worker's stdout goes. @default 'inherit' (lines prefixed `[<name>] `) */
  stdout?: OutputOption;
  /** Where the worker's stderr goes. @default 'inherit' (lines prefixed `[<name>] `) */
  stderr?: OutputOption;
  /**
   * Milliseconds from launch until the worker must report ready (its entry script reached `startApp()` and
   * `initWorkerState` finished); past that the process is killed and the spawn rejects with `SPAWN_TIMEOUT`.
   * @default 20000
   */
  spawnTimeoutMs?: number;
  /** RPC settings for this worker's connections; default: those given to `startApp`. */
  rpc?: RpcSettings;
  /**
   * Node's inspector in the worker, on a port of its own: `true`, `{ host?, brk?, wait? }`, or `false`.
   * Default: as the master (`node --inspect` gives every worker a free port). See {@link InspectOption}.
   */
  inspect?: InspectOption;
  /**
   * The first inspector port to hand out, for inspected workers (by `inspect` or the master's flags): each gets the
   * next port from here that no live worker of this process uses (and, on this machine, no other program holds).
   * Default: a free port picked by the worker's system.
   */
  inspectPortStart?: number;
}

/** Options of `Type.spawn`: what to run, how long it lives, and the process options. */
export interface SpawnOptions<Init, ConnectionInit> extends ProcessOptions {
  /** The spawn argument, validated by the type's `workerInit` schema (here and in the worker). */
  init?: Init;
  /**
   * Names the worker in output prefixes and error messages.
   * @default `<type>-<id>`
   */
  name?: string;
  /** @default 'heartbeat-lost' */
  shutdownOn?: ShutdownOn;
  /**
   * Argument for the connection `spawn` opens (the handle's default connection used by `worker.run`, or the
   * connection returned with `'connection-closed'`). Needed when the type's `connectionInit` requires a value.
   */
  connectionInit?: ConnectionInit;
  /**
   * Called once if the worker fails after it started (an uncaught exception or unhandled rejection; the worker
   * then exits 254). Without it, the failure is reported as a process warning (`COHORT_WORKER_FAILED`).
   */
  onFailure?: (error: CohortError) => void;
}

/** What only a `'connection-closed'` spawn takes. */
export interface ConnectionClosedOptions {
  shutdownOn: 'connection-closed';
  /**
   * Milliseconds the worker waits for its first connection before giving up (exit 254).
   * @default 10000
   */
  connectionTimeoutMs?: number;
}

const isHost = (value: unknown): value is Host =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Host).launch === 'function' &&
  typeof (value as Host).name === 'string';

/** Any object here; `checkRpcSettings` then checks it field by field, as `@cohort/rpc` does. */
export const rpcSettingsOption = (): z.ZodType<RpcSettings> =>
  z.custom<RpcSettings>((value) => typeof value === 'object' && value !== null, 'must be an object of RPC settings');

const milliseconds = () => z.number().int().positive();

function processShape() {
  const output = z.union([
    z.literal('inherit'),
    z.literal('ignore'),
    z.strictObject({ file: z.string().min(1), append: z.boolean().optional() }),
  ]);
  return {
    host: z.custom<Host>(isHost, 'must be a Host (Hosts.local(), Hosts.ssh(…), …)').optional(),
    cwd: z.string().min(1).optional(),
    env: z.record(z.string(), z.string().optional()).optional(),
    execArgv: z.array(z.string()).optional(),
    stdout: output.optional(),
    stderr: output.optional(),
    spawnTimeoutMs: milliseconds().optional(),
    rpc: rpcSettingsOption().optional(),
    inspect: z
      .union([
        z.boolean(),
        z.strictObject({
          host: z.string().min(1).optional(),
          brk: z.boolean().optional(),
          wait: z.boolean().optional(),
        }),
      ])
      .optional(),
    inspectPortStart: z.number().int().min(1).max(65535).optional(),
  };
}

/** The process options alone, as the scheduler, map-reduce and the pool take them. */
export const processOptionsSchema = lazily(() => z.strictObject(processShape()));

const spawnOptionsSchema = lazily(() =>
  z.strictObject({
    ...processShape(),
    init: z.unknown().optional(),
    name: z.string().min(1).optional(),
    shutdownOn: z.enum(['heartbeat-lost', 'connection-closed', 'shutdown-called']).optional(),
    connectionInit: z.unknown().optional(),
    onFailure: z
      .custom<(error: CohortError) => void>((value) => typeof value === 'function', 'must be a function')
      .optional(),
    connectionTimeoutMs: milliseconds().optional(),
  }),
);

/** Spawn options with their defaults, checked. */
export interface ResolvedSpawnOptions extends Omit<SpawnOptions<unknown, unknown>, 'shutdownOn' | 'spawnTimeoutMs'> {
  readonly shutdownOn: ShutdownOn;
  readonly spawnTimeoutMs: number;
  readonly connectionTimeoutMs: number;
}

/** Checks RPC settings where they are given (not on the first connection); `TypeError` → `INVALID_ARGUMENT`. */
export function checkRpcSettings(rpc: RpcSettings | undefined, where: string): void {
  try {
    resolveRpcSettings(rpc);
  } catch (error) {
    throw new CohortError('INVALID_ARGUMENT', `${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** Process options checked (`where` names the call in the error), for the layers that pass them on to spawns. */
export function checkProcessOptions(options: ProcessOptions | undefined, where: string): ProcessOptions {
  const checked = checkOptions(processOptionsSchema(), options, where) as ProcessOptions;
  checkRpcSettings(checked.rpc, `${where}: option rpc`);
  return checked;
}

/** Every spawn option checked by name, with the defaults filled in; contradictions rejected. */
export function resolveSpawnOptions(options: unknown, where: string): ResolvedSpawnOptions {
  const checked = checkOptions(spawnOptionsSchema(), options, where);
  const shutdownOn = checked.shutdownOn ?? (DEFAULTS.shutdownOn as ShutdownOn);
  if (checked.connectionTimeoutMs !== undefined && shutdownOn !== 'connection-closed') {
    throw new CohortError(
      'INVALID_ARGUMENT',
      `${where}: connectionTimeoutMs applies only to shutdownOn: 'connection-closed'`,
    );
  }
  checkRpcSettings(checked.rpc, `${where}: option rpc`);
  return {
    ...(checked as SpawnOptions<unknown, unknown>),
    shutdownOn,
    spawnTimeoutMs: checked.spawnTimeoutMs ?? DEFAULTS.spawnTimeoutMs,
    connectionTimeoutMs: checked.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
  };
}
