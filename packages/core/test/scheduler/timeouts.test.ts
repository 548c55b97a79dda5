import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import type { TaskTimeline } from '../support/task-timeline.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

// Timers are exact in a quiet process; these bounds allow for 2 busy cores.
const SLACK_MS = 3000;
/** How much later than the arming of its timers a task's onStart may record its start on a loaded machine. */
const START_SKEW_MS = 100;

describe('Scheduler term and kill timeouts', () => {
  let run: FixtureRun<
    Scheduled<{ timelines: Record<string, TaskTimeline>; unexpected: unknown[]; slowAliveAtNextStart: boolean }>
  >;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['timeouts'] });
  });
  const t = (tag: string): TaskTimeline => run.result.timelines[tag]!;
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };

  it('termTimeoutMs: the term signal termTimeoutMs after the task started, onTermTimeout called once', () => {
    const term = t('term');
    expect(term.termCalls).toBe(1);
    expect(term.killCalls).toBe(0);
    // `start` is taken in onStart, just after the timers are armed (so that onStart can cancel them): a loaded
    // machine may deschedule the master in between, which makes the measured gap shorter than the timeout.
    expect(term.term! - term.start!).toBeGreaterThanOrEqual(400 - START_SKEW_MS);
    expect(term.term! - term.start!).toBeLessThan(400 + SLACK_MS);
    expect(term.result).toEqual({
      ok: false,
      error: `worker "${nameOf(term.pid)}" (pid ${term.pid}) was killed by SIGTERM`,
    });
    expectNoneAlive();
  });

  it('termTimeoutMs + killTimeoutMs: SIGKILL killTimeoutMs after the SIGTERM, onKillTimeout called once', () => {
    const both = t('term+kill');
    expect(both.termCalls).toBe(1);
    expect(both.killCalls).toBe(1);
    expect(both.messages).toContain('SIGTERM ignored');
    expect(both.term! - both.start!).toBeGreaterThanOrEqual(400 - START_SKEW_MS);
    expect(both.kill! - both.term!).toBeGreaterThanOrEqual(599);
    expect(both.kill! - both.term!).toBeLessThan(600 + SLACK_MS);
    expect(both.result).toEqual({
      ok: false,
      error: `worker "${nameOf(both.pid)}" (pid ${both.pid}) was killed by SIGKILL`,
    });
    expectNoneAlive();
  });

  it('killTimeoutMs alone: SIGKILL killTimeoutMs after the task started, no term signal', () => {
    const kill = t('kill');
    expect(kill.termCalls).toBe(0);
    expect(kill.killCalls).toBe(1);
    expect(kill.kill! - kill.start!).toBeGreaterThanOrEqual(700 - START_SKEW_MS);
    expect(kill.kill! - kill.start!).toBeLessThan(700 + SLACK_MS);
    expect(kill.result).toEqual({
      ok: false,
      error: `worker "${nameOf(kill.pid)}" (pid ${kill.pid}) was killed by SIGKILL`,
    });
    expectNoneAlive();
  });

  it('termSignal: the custom signal is sent instead of SIGTERM', () => {
    const custom = t('SIGINT');
    expect(custom.termCalls).toBe(1);
    expect(custom.result).toEqual({
      ok: false,
      error: `worker "${nameOf(custom.pid)}" (pid ${custom.pid}) was killed by SIGINT`,
    });
    expectNoneAlive();
  });

  it('a task that handles SIGTERM and returns gets ok: true, and its signalled worker is never reused', () => {
    const graceful = t('graceful');
    expect(graceful.termCalls).toBe(1);
    expect(graceful.result).toEqual({ ok: true, value: `pid ${graceful.pid} handled SIGTERM` });
    const after = t('after graceful');
    expect(after.result?.ok).toBe(true);
    expect(after.pid).not.toBe(graceful.pid);
    expectNoneAlive();
  });

  it('a signalled worker holds its place until its process has exited: its replacement starts only then', () => {
    const slow = t('slow to exit');
    const next = t('next after slow to exit');
    expect(slow.result?.ok).toBe(true);
    expect(next.result?.ok).toBe(true);
    expect(next.pid).not.toBe(slow.pid);
    // maxWorkers 1: the old worker, blocked after its task until the next one started (5 s at most), was gone when
    // the next task started on its replacement: the replacement waited out those 5 s rather than run beside it.
    expect(run.result.slowAliveAtNextStart).toBe(false);
    expect(next.start! - slow.finish!).toBeGreaterThanOrEqual(4000);
    expectNoneAlive();
  });

  it('a task that ends before its timeouts gets no signal, no callback, and its worker is reused', () => {
    const quick = t('quick');
    expect(quick).toMatchObject({ termCalls: 0, killCalls: 0, result: { ok: true, value: quick.pid } });
    // Its worker takes the next task in the queue (whichever it is then).
    const reusedBy = Object.entries(run.result.timelines).filter(
      ([tag, other]) => tag !== 'quick' && other.pid === quick.pid,
    );
    expect(reusedBy).toHaveLength(1);
    expect(reusedBy[0]![1].start!).toBeGreaterThanOrEqual(quick.finish!);
    expectNoneAlive();
  });

  it('a worker the scheduler signalled is not an unexpected exit', () => {
    expect(run.result.unexpected).toEqual([]);
    expectNoneAlive();
  });

  function nameOf(pid: number | undefined): string {
    return run.result.workers.find((w) => w.pid === pid)?.name ?? `no worker with pid ${pid}`;
  }
});
