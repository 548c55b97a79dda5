import { z } from 'zod';
import { lazily } from '../common/options.js';

/** A task to run, as the scheduler sends it: `[taskId, task name, input]`. */
export type RunTaskInput = [taskId: number, task: string, input: unknown];

/**
 * How a task ended, as the worker reports it (a throw is an outcome, not an RPC failure): a failure's text, and the
 * failure as a wire error (what the task threw, whole), which the scheduler checks as the RPC layer checks any.
 * `[null]`: the scheduler recalled the task before it started, and it never ran.
 */
export type TaskOutcome = [ok: true, value: unknown] | [ok: false, error: string, detail?: unknown] | [ok: null];

// The two messages of every task are tuples rather than objects, so msgpack carries no keys and neither side's
// decoder takes its map path; and they are checked by exact type guards rather than zod's generic tuple and union
// parsers. With tiny tasks in a freshly started worker, those generic paths were a measurable part of what the
// scheduler adds to each task. The RPC layer still checks both on the serving side, as it checks every call.

/** Checked by the worker, which trusts no peer; the task's input is checked by the task's own schema there. */
export const runTaskInput = lazily(() =>
  z.custom<RunTaskInput>(
    (value) =>
      Array.isArray(value) && value.length === 3 && typeof value[0] === 'number' && typeof value[1] === 'string',
    'expected [taskId: number, task: string, input]',
  ),
);

export const taskOutcome = lazily(() =>
  z.custom<TaskOutcome>(
    (value) =>
      Array.isArray(value) &&
      ((value.length === 2 && value[0] === true) ||
        (value[0] === false && (value.length === 2 || value.length === 3) && typeof value[1] === 'string') ||
        (value.length === 1 && value[0] === null)),
    'expected [true, value], [false, error: string, detail?] or [null]',
  ),
);
