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
  /** `Type.pool({ concurrency })`: calls in flight per worker. */
  poolConcurrency: 1,
  /** `Type.pool({ idleTimeoutMs })`: how long a worker above `size.min` may sit idle. */
  poolIdleTimeoutMs: 30_000,
  /** `Type.pool({ killGraceMs })`: SIGTERM to SIGKILL, for a worker stopped for a timed-out or aborted call. */
  poolKillGraceMs: 1000,
  /** `Type.pool({ spares })`: processes a local pool keeps launched ahead of time. */
  poolSpares: 1,
});

/** `maxWorkers` of the scheduler and `workers` of map-reduce: one per core. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}
