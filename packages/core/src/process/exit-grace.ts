import type { ExitStatus } from './exit-status.js';

/**
 * Resolves with the exit status once the process has exited, SIGKILLing it if it has not within `graceMs`. The
 * timer is armed at once, before any request to exit is even answered: a worker whose event loop is blocked (a
 * synchronous loop) answers nothing and only a signal ends it.
 */
export async function exitWithin(
  exited: Promise<ExitStatus>,
  kill: (signal: NodeJS.Signals) => void,
  graceMs: number,
): Promise<ExitStatus> {
  const timer = setTimeout(() => kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The exit status if the process ends within `waitMs`, else `undefined` (nothing is signalled). */
export async function statusWithin(exited: Promise<ExitStatus>, waitMs: number): Promise<ExitStatus | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      exited,
      new Promise<undefined>((resolve) => (timer = setTimeout(resolve, waitMs, undefined))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
