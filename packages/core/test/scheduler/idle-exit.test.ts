import { describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

type Result = { ok: true; value: { tag: string; pid: number } } | { ok: false; error: string };

describe('Scheduler: an idle exit is never a task failure', () => {
  it("the scheduler blocked 2 s past a worker's idle timeout sends it the next task: that task runs on another worker, no exit is unexpected", async () => {
    const run = await runFixture<Scheduled<{ a: Result; b: Result; bStarts: number; unexpected: unknown[] }>>(
      'scheduler/master.ts',
      {
        args: ['idle-exit'],
      },
    );
    const { a, b, unexpected } = run.result;
    expect(a).toMatchObject({ ok: true, value: { tag: 'A' } });
    expect(b).toMatchObject({ ok: true, value: { tag: 'B' } });
    // B went to the worker that had quit (which never ran it), then to a new one.
    expect(a.ok && b.ok && b.value.pid).not.toBe(a.ok && a.value.pid);
    expect(run.result.workers.map((w) => w.pid)).toEqual([a.ok && a.value.pid, b.ok && b.value.pid]);
    expect(unexpected).toEqual([]);
    // Both exited with code 0: the first on its idle timeout, the second when told to stop.
    expect(run.result.workers.map((w) => run.exits.get(w.pid))).toEqual([0, 0]);
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  });
});
