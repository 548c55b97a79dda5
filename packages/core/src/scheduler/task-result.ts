import type { TaskResult } from './options.js';

/**
 * A failed task's result: `{ ok: false, error }` as it always was (enumerable, so logs, JSON and deep equality see
 * just that), and the failure as an `Error` in `cause`, not enumerable, as `cause` is on an `Error`.
 */
export function failedResult(error: string, cause: Error): TaskResult<never> {
  return Object.defineProperty({ ok: false as const, error }, 'cause', {
    value: cause,
    writable: false,
    enumerable: false,
    configurable: true,
  }) as TaskResult<never>;
}
