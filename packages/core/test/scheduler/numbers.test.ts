import { describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture } from '../support/fixture-runner.js';
import { SPECIAL_NUMBERS_SHOWN } from '../support/special-numbers.js';
import type { Scheduled } from './fixtures/tracked.js';

describe('Scheduler: -0, NaN and ±Infinity round-trip', () => {
  it("in a task's input, in messages both ways and as its result: each arrives as sent (Object.is)", async () => {
    const run = await runFixture<Scheduled<{ fromTask: string[]; logs: string[]; ok: boolean; value: string }>>(
      'scheduler/master.ts',
      {
        args: ['numbers'],
      },
    );
    const shown = SPECIAL_NUMBERS_SHOWN.join(' ');
    // What the task saw of its input and of the scheduler's messages, and what the scheduler got from it.
    expect(run.result.logs).toEqual([`input ${shown}`, `received ${shown}`]);
    expect(run.result.fromTask).toEqual(SPECIAL_NUMBERS_SHOWN);
    expect(run.result.ok).toBe(true);
    expect(run.result.value).toBe('-0');
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  });
});
