/** Why a worker process ends on purpose, as its spawner is told before the process exits. */
export type ExitReason = 'idle';

let exitOnPurpose: ((code: number, reason: ExitReason) => Promise<never>) | undefined;

/** Set once, by the worker's main, when it has a channel to its spawner. */
export function setPurposefulExit(exit: (code: number, reason: ExitReason) => Promise<never>): void {
  if (exitOnPurpose !== undefined) throw new Error('Cohort: the worker exit was set up twice');
  exitOnPurpose = exit;
}

/**
 * Ends this worker process with `code`, telling its spawner `reason` first: the spawner has read it by the time it
 * reports the exit (`worker.exited`), however late it gets to read anything — its event loop may be blocked.
 */
export function exitWorker(code: number, reason: ExitReason): Promise<never> {
  if (exitOnPurpose === undefined) throw new Error('Cohort: exitWorker() is for worker processes');
  return exitOnPurpose(code, reason);
}
