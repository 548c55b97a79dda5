import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

type Result = { ok: true; value: unknown } | { ok: false; error: string };

describe('Scheduler run options about workers', () => {
  let run: FixtureRun<
    Scheduled<{
      idle: { result: Result; goneAfterMs: number | null };
      race: { first: Result; next: Result };
      kill: {
        result: Result;
        killed: { worker: { pid: number; name: string }; afterMs: number }[];
        resolvedAfterMs: number;
      };
      empty: { results: Result[]; calls: number; calledWithQueue: number[] };
      slow: { outcome: string; results: Result[] };
      unexpected: unknown[];
    }>
  >;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['workers'] });
  });
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };

  it('workerIdleTimeoutMs: a task longer than the idle timeout completes; the worker then idle exits by itself', () => {
    expect(run.result.idle.result.ok).toBe(true);
    // The scheduler was blocked and told it nothing: the worker left on its own, 300 ms after its task (having
    // announced why on its control channel, which the scheduler reads when it can).
    expect(run.result.idle.goneAfterMs).not.toBeNull();
    expect(run.result.idle.goneAfterMs!).toBeLessThan(4000);
    expectNoneAlive();
  });

  it('workerIdleTimeoutMs: a task sent to a worker that had just quit on its idle timeout runs on another worker', () => {
    const { first, next } = run.result.race;
    expect(next).toMatchObject({ ok: true, value: { tag: 'after the idle quit' } });
    expect(next.ok && (next.value as { pid: number }).pid).not.toBe(first.ok && first.value);
    expect(run.result.unexpected).toEqual([]);
    expectNoneAlive();
  });

  it("workerIdleTimeoutMs counts from the scheduler's connection: a worker the scheduler was slow to reach still serves", () => {
    expect(run.result.slow.outcome).toBe('resolved');
    expect(run.result.slow.results).toMatchObject([{ ok: true, value: { tag: 'after a slow connect' } }]);
    expectNoneAlive();
  });

  it('workerKillTimeoutMs: a worker that does not stop when told is SIGKILLed, and onWorkerKillTimeout called', () => {
    const { result, killed, resolvedAfterMs } = run.result.kill;
    expect(result.ok).toBe(true);
    expect(killed).toHaveLength(1);
    expect(killed[0]?.worker.pid).toBe(result.ok ? result.value : undefined);
    expect(killed[0]!.afterMs).toBeGreaterThanOrEqual(299);
    expect(killed[0]!.afterMs).toBeLessThan(4000);
    // Long before the worker would have stopped by itself (blocked for 8 s).
    expect(resolvedAfterMs).toBeLessThan(6000);
    expectNoneAlive();
  });

  it('onEmptyQueue: called when a worker is free and the queue empty; its tasks go to that worker; then it stops', () => {
    const { results, calls, calledWithQueue } = run.result.empty;
    expect(results.map((r) => r.ok && (r.value as { tag: string }).tag)).toEqual([
      'first',
      'from onEmptyQueue 1',
      'from onEmptyQueue 2',
    ]);
    expect(calls).toBe(3);
    expect(calledWithQueue).toEqual([0, 0, 0]);
    expect(new Set(results.map((r) => r.ok && (r.value as { pid: number }).pid)).size).toBe(1);
    expectNoneAlive();
  });

  it('none of these worker exits is unexpected', () => {
    expect(run.result.unexpected).toEqual([]);
    expectNoneAlive();
  });
});
