import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../support/processes.js';
import { runFixture, type FixtureRun } from '../support/fixture-runner.js';
import type { TaskRecord } from './fixtures/scenarios/prefetch.js';
import type { Scheduled } from './fixtures/tracked.js';

type Tasks = Record<string, TaskRecord>;
interface Case {
  tasks: Tasks;
  events: string[];
}

describe('Scheduler with prefetch: tasks sent ahead to busy workers', () => {
  let run: FixtureRun<
    Scheduled<{
      many: Case & { queued: number };
      ahead: Case & { onFinishEnded: number };
      deaths: { exit: Case; spin: Case; big: Case; many: Case };
      stop: { rounds: Case[] };
      clear: { early: Case; racing: { tasks: Tasks; rounds: number } };
      starts: string[];
    }>
  >;
  beforeAll(async () => {
    run = await runFixture('scheduler/master.ts', { args: ['prefetch'], timeoutMs: 120_000 });
  }, 150_000);
  /** How often the workers really started the task (its own note, whatever the scheduler reported). */
  const ranTimes = (tag: string): number => run.result.starts.filter((t) => t === tag).length;
  const expectNoneAlive = (): void => {
    expect(run.result.aliveAfter).toEqual([]);
    expect(run.pids.filter(isAlive)).toEqual([]);
  };

  it('starts and finishes every task once, one at a time on each worker, each onStart before its onFinish', () => {
    const { tasks, queued } = run.result.many;
    expect(Object.keys(tasks)).toHaveLength(60);
    for (const [tag, r] of Object.entries(tasks)) {
      expect({ tag, starts: r.starts, finishes: r.finishes, ran: ranTimes(tag) }).toEqual({
        tag,
        starts: 1,
        finishes: 1,
        ran: 1,
      });
      expect(r.result).toMatchObject({ ok: true });
      expect(r.startedAt[0]!).toBeLessThanOrEqual(r.finishedAt[0]!);
    }
    // On each worker, a task's onStart comes after the previous task's onFinish.
    const byWorker = new Map<number, TaskRecord[]>();
    for (const r of Object.values(tasks)) byWorker.set(r.workerPid[0]!, [...(byWorker.get(r.workerPid[0]!) ?? []), r]);
    for (const list of byWorker.values()) {
      const spans = list.map((r) => [r.startedAt[0]!, r.finishedAt[0]!] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
    // Each task ran on the worker the scheduler said it started on.
    for (const r of Object.values(tasks)) expect(r.result).toMatchObject({ pid: r.workerPid[0] });
    expect(queued).toBe(0);
    expectNoneAlive();
  });

  it('sends the next task ahead: it starts on its worker before the scheduler has handled the previous result', () => {
    const { tasks, onFinishEnded } = run.result.ahead;
    const second = tasks.second!;
    expect(second.result).toMatchObject({ ok: true });
    // The worker started it while the scheduler was still blocked in the first task's onFinish.
    const workerStart = (second.result as { startedAt: number }).startedAt;
    expect(workerStart).toBeLessThan(onFinishEnded);
  });

  it('fires onStart, and starts the timeouts, when a task sent ahead starts, not when it was sent', () => {
    const { tasks, events } = run.result.ahead;
    const first = tasks.first!;
    const second = tasks.second!;
    expect(first.result).toMatchObject({ ok: true });
    // Sent while `first` spun for 600 ms; its onStart came only after `first` had finished.
    expect(second.startedAt[0]!).toBeGreaterThanOrEqual(first.finishedAt[0]!);
    expect(second.startedAt[0]! - first.startedAt[0]!).toBeGreaterThanOrEqual(500);
    // Its 300 ms term timeout never fired, although it waited longer than that behind `first`.
    expect(events).not.toContain('term second');
    expect(events.indexOf('finish first')).toBeLessThan(events.indexOf('start second'));
    expectNoneAlive();
  });

  it('a task that kills its worker fails once; the task sent ahead behind it runs once, on a new worker', () => {
    for (const name of ['exit', 'spin'] as const) {
      const { tasks } = run.result.deaths[name];
      const before = tasks[`${name}:before`]!;
      const dying = tasks[name]!;
      const after = tasks[`${name}:after`]!;
      expect(before.result).toMatchObject({ ok: true });
      expect({ starts: dying.starts, finishes: dying.finishes, ran: ranTimes(name) }).toEqual({
        starts: 1,
        finishes: 1,
        ran: 1,
      });
      expect(dying.result).toMatchObject({
        ok: false,
        error: expect.stringMatching(name === 'exit' ? /exited with code 3$/ : /was killed by SIGTERM$/) as unknown,
      });
      expect({ starts: after.starts, finishes: after.finishes, ran: ranTimes(`${name}:after`) }).toEqual({
        starts: 1,
        finishes: 1,
        ran: 1,
      });
      expect(after.result).toMatchObject({ ok: true });
      expect(after.workerPid[0]).not.toBe(dying.workerPid[0]);
    }
    expectNoneAlive();
  });

  it('writes a result whole before the task behind it starts, even one too big for one write', () => {
    const { tasks } = run.result.deaths.big;
    expect(tasks.big!.result).toMatchObject({ ok: true, bigLength: 8 << 20 });
    expect(tasks['exit-at-once']!.result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/exited with code 3$/) as unknown,
    });
    expect(ranTimes('exit-at-once')).toBe(1);
    expect(tasks['big:after']!.result).toMatchObject({ ok: true });
    expect(ranTimes('big:after')).toBe(1);
    expectNoneAlive();
  });

  it('several tasks sent ahead behind a task that dies before reporting: all go back to the queue, in order', () => {
    const { tasks, events } = run.result.deaths.many;
    expect(tasks['dies-first']!.result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/exited with code 3$/) as unknown,
    });
    expect(events.filter((e) => e.startsWith('start'))).toEqual([
      'start dies-first',
      'start x1',
      'start x2',
      'start x3',
    ]);
    for (const tag of ['x1', 'x2', 'x3']) {
      expect({ tag, starts: tasks[tag]!.starts, ran: ranTimes(tag) }).toEqual({ tag, starts: 1, ran: 1 });
      expect(tasks[tag]!.result).toMatchObject({ ok: true });
      expect(tasks[tag]!.workerPid[0]).not.toBe(tasks['dies-first']!.workerPid[0]);
    }
    expectNoneAlive();
  });

  it('stop(): a task sent ahead does not start in that run, even when the running task survives its SIGTERM', () => {
    for (const [round, { tasks, events }] of run.result.stop.rounds.entries()) {
      const running = tasks[`r${round}:running`]!;
      const ahead = tasks[`r${round}:ahead`]!;
      expect(running.result).toMatchObject({ ok: true });
      const firstRun = events.slice(0, events.indexOf('first run resolved, queued 2') + 1);
      expect(firstRun).toEqual([`start r${round}:running`, `finish r${round}:running`, 'first run resolved, queued 2']);
      // Both recalled, and back in the queue in their order.
      expect(events.slice(firstRun.length)).toEqual([
        `start r${round}:ahead`,
        `finish r${round}:ahead`,
        `start r${round}:ahead2`,
        `finish r${round}:ahead2`,
        'second run resolved, queued 0',
      ]);
      expect(ranTimes(`r${round}:ahead`)).toBe(1);
      expect(ranTimes(`r${round}:ahead2`)).toBe(1);
      expect(ahead.result).toMatchObject({ ok: true });
    }
    expectNoneAlive();
  });

  it('clearQueue(): a task sent ahead that has not started is removed, with no callbacks', () => {
    const { tasks, events } = run.result.clear.early;
    expect(events).toEqual(['start running', 'finish running']);
    expect(tasks.ahead).toMatchObject({ starts: 0, finishes: 0 });
    expect(tasks.queued).toMatchObject({ starts: 0, finishes: 0 });
    expect(ranTimes('ahead')).toBe(0);
    expect(ranTimes('queued')).toBe(0);
    expectNoneAlive();
  });

  it('clearQueue() racing a task sent ahead as it starts: it runs once with both callbacks, or never, with none', () => {
    const { tasks, rounds } = run.result.clear.racing;
    for (let i = 0; i < rounds; i++) {
      expect(tasks[`a${i}`]).toMatchObject({ starts: 1, finishes: 1, result: { ok: true } });
      const b = tasks[`b${i}`]!;
      const ran = ranTimes(`b${i}`);
      expect({ i, starts: b.starts, finishes: b.finishes, ran }).toEqual({ i, starts: ran, finishes: ran, ran });
      expect(ran).toBeLessThanOrEqual(1);
    }
    expectNoneAlive();
  });
});
