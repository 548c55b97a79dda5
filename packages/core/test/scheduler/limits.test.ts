import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Sampled } from './fixtures/process-sampler.js';
import type { Scheduled } from './fixtures/tracked.js';

type Result = { ok: true; value: unknown } | { ok: false; error: string };

interface Outcome {
  sampled: Sampled;
  results: Record<string, Result>;
  unexpected: number;
}

describe('Scheduler: maxWorkers bounds the worker processes alive', () => {
  let run: FixtureRun<Scheduled<{ signalled: Outcome; retiring: Outcome; mixed: Outcome }>>;
  beforeAll(async () => {
    // Some 20 workers are replaced in the mixed run: a minute at most on 2 busy cores.
    run = await runFixture('scheduler/master.ts', { args: ['max-workers'], timeoutMs: 100_000 });
  }, 110_000);
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };
  /** The sampler saw the run's workers (so a maximum of 1 means something). */
  const expectSampled = (outcome: Outcome, workers: number): void => {
    expect(outcome.sampled.samples).toBeGreaterThan(0);
    expect(outcome.sampled.seen.length).toBe(workers);
  };

  it('maxWorkers 1: a worker that handles its SIGTERM and is slow to exit is replaced only after it has: never 2 alive', () => {
    const { sampled, results } = run.result.signalled;
    expect(results['handles SIGTERM']?.ok).toBe(true);
    expect(results.next?.ok).toBe(true);
    expectSampled(run.result.signalled, 2);
    expect(sampled).toMatchObject({ max: 1 });
    expectNoneAlive();
  });

  it('maxWorkers 1: a retiring worker (queue emptied) replaced for a task added 1 ms later: never 2 alive', () => {
    const { sampled, results } = run.result.retiring;
    expect(results.lingers?.ok).toBe(true);
    expect(results['added 1 ms later']?.ok).toBe(true);
    expectSampled(run.result.retiring, 2);
    expect(sampled).toMatchObject({ max: 1 });
    expectNoneAlive();
  });

  it('maxWorkers 2: 60 tasks, some timing out, some exiting, most quick: never 3 alive', () => {
    const { sampled, results } = run.result.mixed;
    expect(Object.keys(results)).toHaveLength(60);
    const failed = Object.entries(results)
      .filter(([, r]) => !r.ok)
      .map(([tag]) => Number(tag.slice('task '.length)) % 12);
    // The tasks killed by their term or kill timeout, and those that exit: 3 of each 12 (the one that handles its
    // SIGTERM returns normally).
    expect(failed.sort()).toEqual([0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    expect(sampled.max).toBeLessThanOrEqual(2);
    // And it did run two at once (the queue was full from the start).
    expect(sampled.max).toBe(2);
    expect(run.result.mixed.unexpected).toBe(5);
    expectNoneAlive();
  });
});
