import { describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture } from '../support/fixture-runner.js';
import { findNumberedLines } from '../support/output-lines.js';
import type { Scheduled } from './fixtures/tracked.js';

const LINES = 20_000;

describe("a scheduler worker's output reaches the master in full", () => {
  it('20 000 lines printed by a task, then an idle exit while the scheduler is blocked: all of them, in order, before the run resolves', async () => {
    const run = await runFixture<Scheduled<{ result: { ok: boolean; value: number }; unexpected: unknown[] }>>(
      'scheduler/master.ts',
      {
        args: ['output', String(LINES)],
      },
    );
    expect(run.result.result.ok).toBe(true);
    expect(run.result.workers).toHaveLength(1);
    const [worker] = run.result.workers;
    expect(run.result.result.value).toBe(worker!.pid);
    expect(findNumberedLines(run.stdout, worker!.name)).toEqual({ count: LINES, firstWrong: null, afterResult: 0 });
    // It quit on its idle timeout: exit code 0, and not unexpected.
    expect(run.exits.get(worker!.pid)).toBe(0);
    expect(run.result.unexpected).toEqual([]);
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  });
});
