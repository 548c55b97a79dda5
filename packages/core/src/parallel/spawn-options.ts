import type { RpcSettings } from '@cohort/rpc';
import type { CohortError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { OutputOption } from '../process/output.js';

/**
 * When a worker ends by itself.
 * - `'heartbeat-lost'` (default): when its spawner is gone (exit, crash, SIGKILL); it exits with code 254.
 * - `'connection-closed'`: `spawn` returns a connection; when it closes, the worker exits 0. If nobody connects
 *   within `connectionTimeoutMs`, it exits 254.
 * - `'shutdown-called'`: only `shutdown()` ends it; it survives its spawner. Discouraged: a lost handle leaks a
 *   process for good.
 */
export type ShutdownOn = 'heartbeat-lost' | 'connection-closed' | 'shutdown-called';

/** Options of `Type.spawn`. */
export interface SpawnOptions<Init, ConnectionInit> {
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
   * then exits 254). Without it, the failure is reported as a process warning.
   */
  onFailure?: (error: CohortError) => void;
  /** Where the worker's stdout goes. @default 'inherit' (lines prefixed `[<name>] `) */
  stdout?: OutputOption;
  /** Where the worker's stderr goes. @default 'inherit' (lines prefixed `[<name>] `) */
  stderr?: OutputOption;
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
  /** Where the worker runs. @default Hosts.local() */
  host?: Host;
  /**
   * Milliseconds a `'connection-closed'` worker waits for its first connection before giving up (exit 254).
   * @default 10000
   */
  connectionTimeoutMs?: number;
  /**
   * Milliseconds from launch until the worker must report ready (its entry script reached `startApp()` and
   * `initWorkerState` finished); past that the process is killed and `spawn` rejects with `SPAWN_TIMEOUT`.
   * @default 20000
   */
  spawnTimeoutMs?: number;
  /** RPC settings for this worker's connections; default: those given to `startApp`. */
  rpc?: RpcSettings;
}
