/** What the scheduler saw of one target: when it ran, where, how far it got, and how it ended. */
export interface TargetRun {
  startedAtMs?: number;
  endedAtMs?: number;
  /** The worker's index (0-based, in spawn order). */
  worker?: number;
  percent: number;
  note: string;
  /** The timeouts that fired: the term signal, then the SIGKILL. */
  timedOut?: 'term' | 'kill';
  error?: string;
  skippedBecause?: string;
}
