import { availableParallelism } from 'node:os';

/** The default of every user-facing option of `@cohort/core`, in one place (the option docs repeat them). */
export const DEFAULTS = Object.freeze({
  /** `spawn({ shutdownOn })`. */
  shutdownOn: 'heartbeat-lost',
  /** `spawn({ spawnTimeoutMs })`: launch to ready. */
  spawnTimeoutMs: 20_000,
  /** `spawn({ connectionTimeoutMs })`: a `'connection-closed'` worker's wait for its first connection. */
  connectionTimeoutMs: 10_000,
  /** How long `shutdown()` (or closing a `'connection-closed'` connection) waits before SIGKILL. */
  shutdownGraceMs: 10_000,
  /** `startApp({ spareWorkers })`. */
  spareWorkers: 0,
});

/** `maxWorkers` of the scheduler and `workers` of map-reduce: one per core. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}
