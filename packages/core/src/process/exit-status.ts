import { constants } from 'node:os';
import type { ExitStatus } from '../common/errors.js';

// Declared with the errors, the lowest layer, because a CohortError carries one.
export type { ExitStatus };

const STOP_SIGNALS = new Set(['SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU']);

/**
 * Tezt's wording for a process status: `exited with code 0`, `was killed by SIGTERM`, `was stopped by SIGSTOP`.
 * @example showProcessStatus({ code: 3, signal: null }) // 'exited with code 3'
 */
export function showProcessStatus(status: ExitStatus): string {
  if (status.signal !== null) {
    return STOP_SIGNALS.has(status.signal) ? `was stopped by ${status.signal}` : `was killed by ${status.signal}`;
  }
  return `exited with code ${status.code ?? 'unknown'}`;
}

/** Shells report death by signal N as exit code 128 + N; ssh forwards it that way. */
export function statusFromShellCode(code: number): ExitStatus {
  if (code > 128) {
    const name = Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0];
    if (name !== undefined) return { code: null, signal: name as NodeJS.Signals };
  }
  return { code, signal: null };
}
