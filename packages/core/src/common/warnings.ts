/**
 * Every process warning Cohort emits (`process.on('warning', (w) => w.code)`): one table, so the README and the
 * code cannot disagree.
 */
export const WARNING_CODES = {
  /** A worker failed after it started and its spawn had no `onFailure`. */
  COHORT_WORKER_FAILED: 'a late worker failure without onFailure',
  /** A one-way function threw in a worker (in the spawner, with the worker's name and the error's stack). */
  COHORT_ONE_WAY_FAILED: 'a one-way function threw in a worker',
  /** A scheduler message of an unknown type, or one that fails its schema, was dropped. */
  COHORT_BAD_MESSAGE: 'a scheduler message was dropped',
  /** A worker's process was still there long after its `'exit'` event, and was SIGKILLed. */
  COHORT_WORKER_EXIT_HUNG: 'a worker hung while exiting and was killed',
  /** A trace file could not be written at the end of a map-reduce that had already failed or been abandoned. */
  COHORT_TRACE_NOT_WRITTEN: 'a trace file could not be written',
} as const;

export type WarningCode = keyof typeof WARNING_CODES;

export function warn(code: WarningCode, message: string): void {
  process.emitWarning(message, { code });
}
