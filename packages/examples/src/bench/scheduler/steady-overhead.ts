/**
 * Per-task overhead in µs from the times tasks finished: the time per task between the 10th and the 90th
 * percentile of finishes, times the number of workers (each worker spends that long per task). Leaving out the
 * first and last tenth leaves out worker start-up and shutdown, which the run's tasks/s includes.
 */
export function steadyOverheadUs(finishedAtMs: readonly number[], workers: number): number {
  const sorted = [...finishedAtMs].sort((a, b) => a - b);
  const low = Math.floor(sorted.length * 0.1);
  const high = Math.floor(sorted.length * 0.9);
  if (high - low < 1) throw new RangeError('bench: too few tasks for a steady-state overhead');
  return ((sorted[high]! - sorted[low]!) / (high - low)) * workers * 1000;
}
