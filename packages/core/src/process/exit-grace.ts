import type { ExitStatus } from './exit-status.js';

/** How long a worker asked to exit may take before it is SIGKILLed. */
export const EXIT_GRACE_MS = 10_000;

/**
 * Resolves with the exit status once the process has exited, SIGKILLing it if it has not within `graceMs`. The
 * timer is armed at once, before any request to exit is even answered: a worker whose event loop is blocked (a
 * synchronous loop) answers nothing and only a signal ends it.
 */
export async function exitWithin(exited: Promise<ExitStatus>, kill: (signal: NodeJS.Signals) => void, graceMs = EXIT_GRACE_MS): Promise<ExitStatus> {
  const timer = setTimeout(() => kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
