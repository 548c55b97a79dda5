import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, startFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

interface TraceEvent {
  ph: string;
  tid: number;
  name: string;
  args: Record<string, string>;
}

describe('Scheduler: a worker dies mid-task', () => {
  let run: FixtureRun<Scheduled<{ events: string[]; trace: { traceEvents: TraceEvent[] } }>>;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['deaths'] });
  });
  const pidOf = (tag: string): number =>
    Number(/on (\d+)$/.exec(run.result.events.find((e) => e.startsWith(`start ${tag} on`)) ?? '')?.[1]);
  const nameOf = (pid: number): string => run.result.workers.find((w) => w.pid === pid)?.name ?? '?';
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };

  it('process.exit in a task: one onFinish whose error shows the exit status, then onUnexpectedWorkerExit', () => {
    const pid = pidOf('exit');
    const finishes = run.result.events.filter((e) => e.startsWith('finish exit:'));
    expect(finishes).toEqual([
      `finish exit: ${JSON.stringify({ ok: false, error: `worker "${nameOf(pid)}" (pid ${pid}) exited with code 3` })}`,
    ]);
    const unexpected = `unexpected exit of ${pid}: {"code":3,"signal":null}`;
    expect(run.result.events.filter((e) => e === unexpected)).toHaveLength(1);
    expect(run.result.events.indexOf(unexpected)).toBeGreaterThan(run.result.events.indexOf(finishes[0]!));
    expect(run.result.events).toContain('finish after exit: true');
    // Its last message, sent just before process.exit, came first.
    expect(run.result.events.indexOf('message from exit: exiting with 3')).toBeGreaterThan(-1);
    expect(run.result.events.indexOf('message from exit: exiting with 3')).toBeLessThan(
      run.result.events.indexOf(finishes[0]!),
    );
    expectNoneAlive();
  });

  it('an external SIGKILL: one onFinish that says "was killed by SIGKILL", then onUnexpectedWorkerExit', () => {
    const pid = pidOf('victim');
    const finishes = run.result.events.filter((e) => e.startsWith('finish victim:'));
    expect(finishes).toEqual([
      `finish victim: ${JSON.stringify({ ok: false, error: `worker "${nameOf(pid)}" (pid ${pid}) was killed by SIGKILL` })}`,
    ]);
    const unexpected = `unexpected exit of ${pid}: {"code":null,"signal":"SIGKILL"}`;
    expect(run.result.events.filter((e) => e === unexpected)).toHaveLength(1);
    expect(run.result.events.indexOf(unexpected)).toBeGreaterThan(run.result.events.indexOf(finishes[0]!));
    expectNoneAlive();
  });

  it("run resolves only after the dead worker's task got its onFinish and the exit was reported, even as the last worker", () => {
    const events = run.result.events;
    const firstResolved = events.indexOf('first run resolved');
    for (const e of ['finish exit:', 'finish victim:', 'finish after exit:', 'unexpected exit of']) {
      expect(events.findIndex((x) => x.startsWith(e))).toBeLessThan(firstResolved);
    }
    const pid = pidOf('last');
    expect(events.slice(firstResolved + 1)).toEqual([
      `start last on ${pid}`,
      `finish last: ${JSON.stringify({ ok: false, error: `worker "${nameOf(pid)}" (pid ${pid}) exited with code 5` })}`,
      `unexpected exit of ${pid}: {"code":5,"signal":null}`,
      'second run resolved',
    ]);
    // The dead task's slice is in the trace.
    const slices = run.result.trace.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.map((s) => [s.name, s.args.input, s.args.result])).toEqual([
      ['exit', '5', `error: worker "${nameOf(pid)}" (pid ${pid}) exited with code 5`],
    ]);
    expectNoneAlive();
  });
});

describe('Scheduler: a handler that throws', () => {
  type Outcome = {
    longStarted: boolean;
    sameError: boolean;
    error: { name?: string; message?: string };
    events: string[];
    workers: number;
    aliveAtRejection: number[];
  };
  let run: FixtureRun<Scheduled<Record<string, Outcome>>>;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['failure'] });
  });

  it.each(['onFinish', 'onStart (async)', 'timer', 'onMessage'])(
    'in %s rejects run with that error, after its workers are killed',
    (where) => {
      const outcome = run.result[where]!;
      expect(outcome.longStarted).toBe(true);
      expect(outcome.sameError).toBe(true);
      expect(outcome.error.message).toBe(`handler ${where} exploded`);
      expect(outcome.workers).toBeGreaterThanOrEqual(1);
      expect(outcome.aliveAtRejection).toEqual([]);
      expect(run.result.aliveAfter).toEqual([]);
      expect(run.pids.filter(isAlive)).toEqual([]);
    },
  );

  it('the killed tasks still get their one onFinish before run rejects', () => {
    for (const where of ['onFinish', 'onStart (async)', 'timer', 'onMessage']) {
      const events = run.result[where]!.events;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatch(/^long task finished: .*was killed by SIGKILL/);
    }
    expect(run.pids.filter(isAlive)).toEqual([]);
  });
});

describe('Scheduler: a scheduler that dies takes its workers with it', () => {
  it.each(['SIGKILL', 'exit'])(
    'within 2 s, busy (in a synchronous loop) or idle (scheduler ends by %s)',
    async (how) => {
      const run = startFixture('scheduler/master.ts', { args: ['sigkill', how] });
      try {
        // Fails at once if the master exits before its workers are ready.
        const ready = await run.waitFor<{ busy: number; idle: number }>('READY', 45_000);
        const pids = [ready.busy, ready.idle];
        // Let the busy one enter its loop.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(pids.every(isAlive)).toBe(true);
        let killedAt = performance.now();
        if (how === 'SIGKILL') run.child.kill('SIGKILL');
        else {
          expect((await run.closed).code).toBe(7);
          killedAt = performance.now();
        }
        const goneAfter: Record<number, number> = {};
        while (performance.now() - killedAt < 10_000 && pids.some((pid) => goneAfter[pid] === undefined)) {
          for (const pid of pids)
            if (goneAfter[pid] === undefined && !isAlive(pid)) goneAfter[pid] = performance.now() - killedAt;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        console.log(
          `workers gone after the scheduler's ${how}: idle ${Math.round(goneAfter[ready.idle] ?? -1)} ms, busy ${Math.round(goneAfter[ready.busy] ?? -1)} ms`,
        );
        expect(goneAfter[ready.idle]).toBeLessThan(2000);
        expect(goneAfter[ready.busy]).toBeLessThan(2000);
      } finally {
        run.child.kill('SIGKILL');
        // Proves gone, among every process of the run, the two workers: tracked() recorded them.
        await run.finish();
      }
    },
  );
});

describe('Scheduler: workers that cannot start', () => {
  type Attempt = {
    outcome: { rejected?: { name: string; code: string; message: string }; hung?: true };
    started: number;
    queuedAfter: number;
  };
  let run: FixtureRun<Scheduled<{ one: Attempt; several: Attempt }>>;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['spawn-fails'] });
  });

  it.each(['one', 'several'] as const)(
    'reject run with SPAWN_FAILED (%s spawning at once), tasks left queued',
    (which) => {
      const attempt = run.result[which];
      expect(attempt.outcome.hung).toBeUndefined();
      expect(attempt.outcome.rejected).toMatchObject({ name: 'CohortError', code: 'SPAWN_FAILED' });
      expect(attempt.outcome.rejected?.message).toMatch(/exited with code 9 before it was ready/);
      expect(attempt.started).toBe(0);
      expect(attempt.queuedAfter).toBe(which === 'one' ? 1 : 3);
      expect(run.pids.filter(isAlive)).toEqual([]);
    },
  );
});
