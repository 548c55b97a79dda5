import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { Scheduled } from './fixtures/tracked.js';

type Result = { ok: true; value: unknown } | { ok: false; error: string };

describe('Scheduler.stop and clearQueue', () => {
  let run: FixtureRun<
    Scheduled<{
      mid: {
        events: string[];
        results: Record<string, Result>;
        firstRunMs: number;
        timerFiredInSecondRun: boolean;
        timerFiredAfterMs: number;
        queuedAfter: number;
      };
      before: { results: Result[] };
      clear: { events: string[] };
      handlers: { events: string[] };
    }>
  >;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['stop'] });
  });
  const firstRun = (): string[] => {
    const events = run.result.mid.events;
    return events.slice(0, events.findIndex((e) => e.startsWith('first run resolved')) + 1);
  };
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };

  it('does nothing when run is not running', () => {
    expect(run.result.before.results).toMatchObject([{ ok: true, value: { tag: 'after an early stop' } }]);
    expectNoneAlive();
  });

  it('starts no new task after stop(), and run resolves once the running ones have ended', () => {
    const events = firstRun();
    expect(events).not.toContain('start queued before stop');
    expect(events).not.toContain('start added after stop');
    expect(events.at(-1)).toBe('first run resolved, queued 2');
    expect(run.result.mid.firstRunMs).toBeLessThan(5000);
    expectNoneAlive();
  });

  it('sends running tasks their term signal (even without termTimeoutMs) and does not call onTermTimeout', () => {
    const events = firstRun();
    expect(events).not.toContain('onTermTimeout ignore-term');
    expect(events).not.toContain('onTermTimeout sleep');
    expect(events).toContain('ignore-term says SIGTERM ignored');
    expect(run.result.mid.results.sleep).toMatchObject({
      ok: false,
      error: expect.stringMatching(/was killed by SIGINT$/) as unknown,
    });
    expectNoneAlive();
  });

  it('then applies their kill timeout (from the term signal), with onKillTimeout', () => {
    const events = firstRun();
    const kill = events.filter((e) => e.startsWith('onKillTimeout ignore-term'));
    expect(kill).toHaveLength(1);
    const afterMs = Number(/after (\d+) ms/.exec(kill[0]!)?.[1]);
    expect(afterMs).toBeGreaterThanOrEqual(499);
    expect(afterMs).toBeLessThan(4000);
    expect(run.result.mid.results.ignoreTerm).toMatchObject({
      ok: false,
      error: expect.stringMatching(/was killed by SIGKILL$/) as unknown,
    });
    expectNoneAlive();
  });

  it('keeps tasks queued before and added after stop() for a later run, which runs them in order', () => {
    const events = run.result.mid.events;
    expect(events).toContain('queued after stop: 2');
    const second = events.slice(events.findIndex((e) => e.startsWith('first run resolved')));
    expect(second.filter((e) => e.startsWith('start'))).toEqual(['start queued before stop', 'start added after stop']);
    expect(run.result.mid.results.beforeStop?.ok).toBe(true);
    expect(run.result.mid.results.afterStop?.ok).toBe(true);
    expect(run.result.mid.queuedAfter).toBe(0);
    expectNoneAlive();
  });

  it('does not cancel timers: the later run waits for them', () => {
    expect(firstRun()).not.toContain('timer fired');
    expect(run.result.mid.timerFiredInSecondRun).toBe(true);
    const events = run.result.mid.events;
    const fired = events.indexOf('timer fired');
    expect(fired).toBeGreaterThan(events.findIndex((e) => e.startsWith('first run resolved')));
    expect(fired).toBeLessThan(events.indexOf('second run resolved'));
    expect(run.result.mid.timerFiredAfterMs).toBeGreaterThanOrEqual(9999);
    expectNoneAlive();
  });

  it('stop() from onEmptyQueue: the task it just added does not start', () => {
    const events = run.result.handlers.events;
    expect(events.slice(0, 2)).toEqual(['first: true', 'onEmptyQueue run resolved, queued 1']);
    expectNoneAlive();
  });

  it('stop() from onStart: no onTermTimeout later, the kill timeout counts from the stop', () => {
    const events = run.result.handlers.events;
    expect(events.slice(2)).toEqual(['onKillTimeout after killTimeoutMs', 'finish: SIGKILL', 'onStart run resolved']);
    expectNoneAlive();
  });

  it('clearQueue() drops queued tasks without callbacks; the running task is unaffected', () => {
    expect(run.result.clear.events).toEqual(['cleared, queued 0', 'finish running: true']);
    expect(run.result.workers.length).toBeGreaterThan(0);
    expectNoneAlive();
  });
});
